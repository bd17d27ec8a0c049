// Scenario: generated traffic for the pipeline tests and the oracle that
// recounts any [from, to) straight from the generated events, independently
// of the SQL under test. The oracle implements the product's definitions:
// sessions are a session id's events split after `session_timeout` of
// inactivity and count in the range where they start; bounce = at most one
// pageview in the whole session; duration = last event - first event;
// visitors = distinct visitor ids with an event in the range.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "analytics/v1/ingest.pb.h"
#include "analytics/v1/query.pb.h"

namespace analytics::testing {

struct ScenarioEvent {
  std::string event_id;
  v1::EventType type = v1::PAGEVIEW;
  std::string name;
  absl::Time at;
  std::string visitor_id;
  std::string session_id;
  std::string path;
  std::string user_id;
  std::string referrer;
  std::string utm_source;
  std::string device;
  std::string country;
};

// The acceptance scenario: `visitors` visitors, each identify, pageview "/",
// track plan_selected, pageview "/pricing", track plan_selected at +0..4 s;
// the first half in the hour starting at `first_hour`, the rest in the next.
std::vector<ScenarioEvent> PricingFunnel(absl::Time first_hour, int visitors);

// Random traffic over [start, start + span): `visitors` visitors with 1-4
// sessions each, gaps inside a session below `session_timeout`, some session
// ids reused after a longer gap (so they split), microsecond timestamps.
std::vector<ScenarioEvent> RandomTraffic(absl::Time start, absl::Duration span,
                                         int visitors,
                                         absl::Duration session_timeout,
                                         uint32_t seed);

struct ExpectedOverview {
  int64_t events = 0;
  int64_t pageviews = 0;
  int64_t sessions = 0;
  int64_t bounces = 0;
  int64_t duration_us = 0;
  int64_t visitors = 0;
};

ExpectedOverview Recount(const std::vector<ScenarioEvent>& events,
                         absl::Time from, absl::Time to,
                         absl::Duration session_timeout);

// Adds a test failure for every metric of `actual` that differs from
// `expected` (pending_events must be 0: the range is fully reduced).
void ExpectOverviewMatches(const ExpectedOverview& expected,
                           const v1::Overview& actual);

v1::Event ToProto(const ScenarioEvent& event);

// The events as Ingest requests of at most `batch_size` events, in order.
std::vector<v1::IngestRequest> ToRequests(
    const std::vector<ScenarioEvent>& events, int batch_size);

}  // namespace analytics::testing
