// EventBatch: the events of one Ingest call after validation, normalised to
// what is stored (batch context merged into each event, times truncated to
// microseconds, properties encoded as a JSON object).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace analytics::ingest {

struct IngestEvent {
  // Index in IngestRequest.events; kept for diagnostics.
  int index = 0;
  std::string client_event_id;  // empty: none
  int type = 0;                 // analytics.v1.EventType value
  std::string name;
  absl::Time occurred_at;
  std::string visitor_id;
  std::string session_id;
  std::string user_id;
  std::string path;
  std::string title;
  std::string referrer;
  std::string properties_json = "{}";
  std::string source;
  std::string device;
  std::string browser;
  std::string os;
  std::string country;
  std::string utm_source;
  std::string utm_medium;
  std::string utm_campaign;
  std::string user_agent;
  // From the user agent: a crawler, monitor or HTTP library. Stored, but
  // left out of every metric.
  bool bot = false;
};

struct EventBatch {
  int64_t site_id = 0;
  std::vector<IngestEvent> events;
};

}  // namespace analytics::ingest
