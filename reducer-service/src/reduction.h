// Reduction: the pure heart of the reducer. Given claimed events and the
// existing sessions they may touch, compute every write of one batch: session
// rows, visitor updates, per-bucket visitor membership and additive rollup
// deltas. No I/O, so the rules are unit-tested directly.
//
// Invariants the rules keep:
// - Order independence: sessions are the clusters of a session id's events
//   whose gaps are at most the site's timeout, and every per-session field is
//   chosen by (time, event id). Any arrival order gives the same rows.
// - Rollups are exact sums of current state: a changed session withdraws its
//   old contribution and adds its new one, so totals never go negative.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/time/time.h"
#include "common/rollups/rollup_model.h"

namespace analytics::reducer {

struct ReducerEvent {
  int64_t site_id = 0;
  int64_t id = 0;
  int type = 0;
  std::string name;
  absl::Time occurred_at;
  std::string visitor_id;
  std::string session_id;
  std::string user_id;
  std::string path;
  std::string referrer;
  std::string properties_json = "{}";
  std::string utm_source;
  std::string utm_medium;
  std::string utm_campaign;
  std::string device;
  std::string browser;
  std::string os;
  std::string country;
  absl::Duration session_timeout = absl::Minutes(30);
  // Flagged at ingest: reduced (dequeued) without touching any metric.
  bool bot = false;
};

// One row of the sessions table.
struct Session {
  int64_t site_id = 0;
  std::string session_id;
  absl::Time started_at;
  absl::Time last_seen_at;
  int64_t first_event_id = 0;
  int64_t last_event_id = 0;
  std::string visitor_id;
  int pageviews = 0;
  int events = 0;
  std::string entry_path;
  std::optional<absl::Time> entry_at;
  int64_t entry_event_id = 0;
  std::string exit_path;
  std::optional<absl::Time> exit_at;
  int64_t exit_event_id = 0;
  // Host of the first event's referrer.
  std::string referrer;
  std::string utm_source;
  std::string utm_medium;
  std::string utm_campaign;
  std::string device;
  std::string browser;
  std::string os;
  std::string country;

  absl::Duration duration() const { return last_seen_at - started_at; }
  bool bounced() const { return pageviews <= 1; }
};

struct SessionKey {
  int64_t site_id;
  std::string session_id;
  absl::Time started_at;
  bool operator<(const SessionKey& o) const {
    return std::tie(site_id, session_id, started_at) <
           std::tie(o.site_id, o.session_id, o.started_at);
  }
};

struct VisitorBucket {
  int64_t site_id;
  Granularity granularity;
  absl::Time bucket_start;
  std::string visitor_id;
  bool operator<(const VisitorBucket& o) const {
    return std::tie(site_id, granularity, bucket_start, visitor_id) <
           std::tie(o.site_id, o.granularity, o.bucket_start, o.visitor_id);
  }
};

struct VisitorUpdate {
  int64_t site_id = 0;
  std::string visitor_id;
  absl::Time first_seen_at;
  absl::Time last_seen_at;
  // From the latest IDENTIFY of the batch, if any.
  std::optional<absl::Time> identified_at;
  std::string user_id;
  std::string traits_json = "{}";
};

struct FailedEvent {
  int64_t site_id;
  int64_t event_id;
  std::string error;
};

struct BatchPlan {
  RollupDeltas rollups;
  // The ids the events add to the sketches of their rollup rows.
  RollupSketchIds sketch_ids;
  std::vector<SessionKey> session_deletes;
  std::vector<Session> session_upserts;
  // Sorted and unique.
  std::vector<VisitorBucket> visitor_buckets;
  std::vector<VisitorUpdate> visitors;
  // Events that cannot be reduced; left out of everything above.
  std::vector<FailedEvent> failed;
};

struct PlanOptions {
  // Test-only fault injection: TRACK events with this name fail to reduce.
  std::string fail_event_name;
};

// `existing` holds the stored sessions that may merge with `events` (same
// site and session id, within the timeout of an event); others are ignored.
BatchPlan PlanBatch(const std::vector<ReducerEvent>& events,
                    const std::vector<Session>& existing,
                    const PlanOptions& options = {});

// Adds one to the overview `visitors` of each bucket where a visitor appeared
// for the first time (`fresh`: the visitor_buckets rows newly inserted).
void AddFreshVisitors(const std::vector<VisitorBucket>& fresh,
                      RollupDeltas* rollups);

}  // namespace analytics::reducer
