// OverviewRepository on libpqxx.
#include "reducer-service/src/overview_repository.h"

#include "common/time/pg_time.h"
#include "reducer-service/src/sql_queries.h"

namespace analytics::reducer {

std::vector<db::Statement> OverviewRepository::Statements() {
  return {{"select_overview", sql::kSelectOverview}};
}

absl::StatusOr<OverviewTotals> OverviewRepository::Read(int64_t site_id,
                                                        const RangePlan& plan) {
  auto ts = [](absl::Time t) { return ToPgTimestamp(t); };
  return pool_->RunTransaction(
      "overview",
      [&](pqxx::transaction_base& tx) -> absl::StatusOr<OverviewTotals> {
        pqxx::row row = tx.exec_prepared1(
            "select_overview", site_id, ts(plan.days.from), ts(plan.days.to),
            ts(plan.hours[0].from), ts(plan.hours[0].to),
            ts(plan.hours[1].from), ts(plan.hours[1].to),
            ts(plan.raw[0].from), ts(plan.raw[0].to), ts(plan.raw[1].from),
            ts(plan.raw[1].to));
        OverviewTotals totals;
        totals.events = row[0].as<int64_t>();
        totals.pageviews = row[1].as<int64_t>();
        totals.sessions = row[2].as<int64_t>();
        totals.bounces = row[3].as<int64_t>();
        totals.duration_us = row[4].as<int64_t>();
        totals.visitors = row[5].as<int64_t>();
        totals.pending_events = row[6].as<int64_t>();
        totals.as_of = absl::FromUnixMicros(row[7].as<int64_t>());
        return totals;
      },
      db::Isolation::kRepeatableReadReadOnly);
}

}  // namespace analytics::reducer
