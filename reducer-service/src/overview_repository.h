// OverviewRepository: reads overview totals for one or more RangePlans in
// one statement (one snapshot): GetOverview (with its comparison period) and
// every bucket of GetTimeseries. The only query-side code that touches
// rollups.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/db/connection_pool.h"
#include "common/db/statement.h"
#include "reducer-service/src/range_plan.h"

namespace analytics::reducer {

// Additive totals of one range (bounces and duration over its sessions).
struct RangeTotals {
  int64_t events = 0;
  int64_t pageviews = 0;
  int64_t sessions = 0;
  int64_t bounces = 0;
  int64_t duration_us = 0;
  int64_t visitors = 0;
};

struct OverviewSnapshot {
  // One per requested plan, in order.
  std::vector<RangeTotals> ranges;
  int64_t pending_events = 0;
  absl::Time as_of;
};

class OverviewRepository {
 public:
  static std::vector<db::Statement> Statements();

  explicit OverviewRepository(db::ConnectionPool* pool) : pool_(pool) {}

  // `time_left`: the caller's remaining deadline; DEADLINE_EXCEEDED when it
  // has passed or the statement outlives it.
  absl::StatusOr<OverviewSnapshot> Read(
      int64_t site_id, const std::vector<RangePlan>& plans,
      absl::Duration time_left = absl::InfiniteDuration());

 private:
  db::ConnectionPool* const pool_;
};

}  // namespace analytics::reducer
