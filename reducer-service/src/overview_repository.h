// OverviewRepository: reads the numbers of GetOverview for a RangePlan in one
// statement (one snapshot). The only query-side code that touches rollups.
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

struct OverviewTotals {
  int64_t events = 0;
  int64_t pageviews = 0;
  int64_t sessions = 0;
  int64_t bounces = 0;
  int64_t duration_us = 0;
  int64_t visitors = 0;
  int64_t pending_events = 0;
  absl::Time as_of;
};

class OverviewRepository {
 public:
  static std::vector<db::Statement> Statements();

  explicit OverviewRepository(db::ConnectionPool* pool) : pool_(pool) {}

  absl::StatusOr<OverviewTotals> Read(int64_t site_id, const RangePlan& plan);

 private:
  db::ConnectionPool* const pool_;
};

}  // namespace analytics::reducer
