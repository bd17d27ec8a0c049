// OverviewRepository on libpqxx.
#include "reducer-service/src/overview_repository.h"

#include "common/json/json_writer.h"
#include "common/time/pg_time.h"
#include "reducer-service/src/sql_queries.h"

namespace analytics::reducer {
namespace {

std::string PlansJson(const std::vector<RangePlan>& plans) {
  JsonWriter json;
  json.BeginArray();
  for (size_t i = 0; i < plans.size(); ++i) {
    const RangePlan& p = plans[i];
    json.BeginObject()
        .Field("i", static_cast<int64_t>(i))
        .Field("d0", ToPgTimestamp(p.days.from))
        .Field("d1", ToPgTimestamp(p.days.to))
        .Field("h0", ToPgTimestamp(p.hours[0].from))
        .Field("h1", ToPgTimestamp(p.hours[0].to))
        .Field("h2", ToPgTimestamp(p.hours[1].from))
        .Field("h3", ToPgTimestamp(p.hours[1].to))
        .Field("r0", ToPgTimestamp(p.raw[0].from))
        .Field("r1", ToPgTimestamp(p.raw[0].to))
        .Field("r2", ToPgTimestamp(p.raw[1].from))
        .Field("r3", ToPgTimestamp(p.raw[1].to))
        .EndObject();
  }
  json.EndArray();
  return json.Release();
}

}  // namespace

std::vector<db::Statement> OverviewRepository::Statements() {
  return {{"select_overview", sql::kSelectOverview}};
}

absl::StatusOr<OverviewSnapshot> OverviewRepository::Read(
    int64_t site_id, const std::vector<RangePlan>& plans,
    absl::Duration time_left) {
  if (time_left <= absl::ZeroDuration()) {
    return absl::DeadlineExceededError("the caller's deadline has passed");
  }
  // With no plan, still read the queue count and the snapshot time (an
  // empty plan contributes zeros and its row is dropped).
  const bool none = plans.empty();
  const std::string plans_json =
      PlansJson(none ? std::vector<RangePlan>{PlanRange(absl::UnixEpoch(),
                                                        absl::UnixEpoch())}
                     : plans);
  return pool_->RunTransaction(
      "overview",
      [&](pqxx::transaction_base& tx) -> absl::StatusOr<OverviewSnapshot> {
        db::LimitStatementTime(tx, time_left);
        OverviewSnapshot snapshot;
        for (const auto& row :
             tx.exec_prepared("select_overview", site_id, plans_json)) {
          snapshot.ranges.push_back(
              RangeTotals{.events = row[1].as<int64_t>(),
                          .pageviews = row[2].as<int64_t>(),
                          .sessions = row[3].as<int64_t>(),
                          .bounces = row[4].as<int64_t>(),
                          .duration_us = row[5].as<int64_t>(),
                          .visitors = row[6].as<int64_t>()});
          snapshot.pending_events = row[7].as<int64_t>();
          snapshot.as_of = absl::FromUnixMicros(row[8].as<int64_t>());
        }
        if (none) snapshot.ranges.clear();
        if (snapshot.ranges.size() != plans.size()) {
          return absl::InternalError("overview returned a row per plan short");
        }
        return snapshot;
      },
      db::Isolation::kRepeatableReadReadOnly);
}

}  // namespace analytics::reducer
