// ReportRepository on libpqxx.
#include "reducer-service/src/report_repository.h"

#include "common/json/json_writer.h"
#include "common/time/pg_time.h"
#include "reducer-service/src/sql_queries.h"

namespace analytics::reducer {
namespace {

void PlanFields(JsonWriter& json, const RangePlan& p) {
  json.Field("d0", ToPgTimestamp(p.days.from))
      .Field("d1", ToPgTimestamp(p.days.to))
      .Field("h0", ToPgTimestamp(p.hours[0].from))
      .Field("h1", ToPgTimestamp(p.hours[0].to))
      .Field("h2", ToPgTimestamp(p.hours[1].from))
      .Field("h3", ToPgTimestamp(p.hours[1].to))
      .Field("r0", ToPgTimestamp(p.raw[0].from))
      .Field("r1", ToPgTimestamp(p.raw[0].to))
      .Field("r2", ToPgTimestamp(p.raw[1].from))
      .Field("r3", ToPgTimestamp(p.raw[1].to))
      .Field("u0", ToPgTimestamp(p.sketch_days[0].from))
      .Field("u1", ToPgTimestamp(p.sketch_days[0].to))
      .Field("u2", ToPgTimestamp(p.sketch_days[1].from))
      .Field("u3", ToPgTimestamp(p.sketch_days[1].to));
  json.Key("s").BeginArray();
  for (const VisitorSpan& span : p.spans) {
    json.BeginObject()
        .Field("n", int64_t{span.days})
        .Field("t", ToPgTimestamp(span.start))
        .EndObject();
  }
  json.EndArray();
}

std::string PlansJson(const std::vector<RangePlan>& plans) {
  JsonWriter json;
  json.BeginArray();
  for (size_t i = 0; i < plans.size(); ++i) {
    json.BeginObject().Field("i", static_cast<int64_t>(i));
    PlanFields(json, plans[i]);
    json.EndObject();
  }
  json.EndArray();
  return json.Release();
}

absl::Time Micros(const pqxx::field& f) {
  return absl::FromUnixMicros(f.as<int64_t>());
}

absl::StatusOr<OverviewSnapshot> ReadOverviewIn(
    pqxx::transaction_base& tx, int64_t site_id,
    const std::vector<RangePlan>& plans) {
  // With no plan, still read the queue count and the snapshot time (an
  // empty plan contributes zeros and its row is dropped).
  const bool none = plans.empty();
  const std::string plans_json =
      PlansJson(none ? std::vector<RangePlan>{PlanRange(absl::UnixEpoch(),
                                                        absl::UnixEpoch())}
                     : plans);
  OverviewSnapshot snapshot;
  for (const auto& row :
       tx.exec_prepared("select_overview", site_id, plans_json)) {
    snapshot.ranges.push_back(RangeTotals{.events = row[1].as<int64_t>(),
                                          .pageviews = row[2].as<int64_t>(),
                                          .sessions = row[3].as<int64_t>(),
                                          .bounces = row[4].as<int64_t>(),
                                          .duration_us = row[5].as<int64_t>(),
                                          .visitors = row[6].as<int64_t>()});
    snapshot.pending_events = row[7].as<int64_t>();
    snapshot.as_of = Micros(row[8]);
  }
  if (none) snapshot.ranges.clear();
  if (snapshot.ranges.size() != plans.size()) {
    return absl::InternalError("overview returned a row per plan short");
  }
  return snapshot;
}

BreakdownPage ReadBreakdownIn(pqxx::transaction_base& tx,
                              const BreakdownQuery& q) {
  JsonWriter range;
  range.BeginObject()
      .Field("from", ToPgTimestamp(q.from))
      .Field("to", ToPgTimestamp(q.to));
  PlanFields(range, PlanRange(q.from, q.to));
  range.EndObject();
  std::optional<int64_t> after_value;
  std::string after_key;
  if (q.after.has_value()) {
    after_value = q.after->value;
    after_key = q.after->key;
  }
  const int sort_by = static_cast<int>(q.sort_by);
  pqxx::result rows;
  switch (q.kind.source) {
    case BreakdownKind::Source::kEvents:
      rows = tx.exec_prepared("select_breakdown", q.site_id, range.str(),
                              static_cast<int>(q.kind.dimension), sort_by,
                              after_value, after_key, q.limit);
      break;
    case BreakdownKind::Source::kEntryPage:
    case BreakdownKind::Source::kExitPage:
      rows = tx.exec_prepared(
          "select_session_breakdown", q.site_id, range.str(),
          q.kind.source == BreakdownKind::Source::kEntryPage ? 1 : 2, sort_by,
          after_value, after_key, q.limit);
      break;
  }
  BreakdownPage page;
  for (const auto& row : rows) {
    page.pending_events = row[6].as<int64_t>();
    page.as_of = Micros(row[7]);
    if (row[0].is_null()) continue;  // the empty page's only row
    page.rows.push_back(BreakdownValues{.key = row[0].as<std::string>(),
                                        .events = row[1].as<int64_t>(),
                                        .pageviews = row[2].as<int64_t>(),
                                        .visitors = row[3].as<int64_t>(),
                                        .sessions = row[4].as<int64_t>(),
                                        .sort_value = row[5].as<int64_t>()});
  }
  return page;
}

// Runs `read` in a read-only snapshot limited to the caller's deadline.
template <typename T, typename Read>
absl::StatusOr<T> InSnapshot(db::ConnectionPool* pool, const char* name,
                             absl::Duration time_left, Read read) {
  if (time_left <= absl::ZeroDuration()) {
    return absl::DeadlineExceededError("the caller's deadline has passed");
  }
  // What is left when the statements start: waiting for a connection (and
  // a retried attempt) used some of it.
  const absl::Time deadline = absl::Now() + time_left;
  return pool->RunTransaction(
      name,
      [&](pqxx::transaction_base& tx) -> absl::StatusOr<T> {
        const absl::Duration left = deadline - absl::Now();
        if (left <= absl::ZeroDuration()) {
          return absl::DeadlineExceededError(
              "the caller's deadline passed before the statement could run");
        }
        db::LimitStatementTime(tx, left);
        return read(tx);
      },
      db::Isolation::kRepeatableReadReadOnly, deadline);
}

}  // namespace

std::vector<db::Statement> ReportRepository::Statements() {
  return {{"select_overview", sql::kSelectOverview},
          {"select_breakdown", sql::kSelectBreakdown},
          {"select_session_breakdown", sql::kSelectSessionBreakdown},
          {"select_event_properties", sql::kSelectEventProperties}};
}

absl::StatusOr<OverviewSnapshot> ReportRepository::Read(
    int64_t site_id, const std::vector<RangePlan>& plans,
    absl::Duration time_left) {
  return InSnapshot<OverviewSnapshot>(
      pool_, "overview", time_left, [&](pqxx::transaction_base& tx) {
        return ReadOverviewIn(tx, site_id, plans);
      });
}

absl::StatusOr<BreakdownPage> ReportRepository::ReadBreakdown(
    const BreakdownQuery& query, absl::Duration time_left) {
  return InSnapshot<BreakdownPage>(
      pool_, "breakdown", time_left,
      [&](pqxx::transaction_base& tx) -> absl::StatusOr<BreakdownPage> {
        return ReadBreakdownIn(tx, query);
      });
}

absl::StatusOr<PropertyBreakdown> ReportRepository::ReadProperties(
    const PropertyQuery& q, absl::Duration time_left) {
  return InSnapshot<PropertyBreakdown>(
      pool_, "event_properties", time_left,
      [&](pqxx::transaction_base& tx) -> absl::StatusOr<PropertyBreakdown> {
        PropertyBreakdown out;
        for (const auto& row : tx.exec_prepared(
                 "select_event_properties", q.site_id, ToPgTimestamp(q.from),
                 ToPgTimestamp(q.to), q.event_name, q.property_key, q.limit)) {
          out.events = row[4].as<int64_t>();
          out.pending_events = row[5].as<int64_t>();
          out.as_of = Micros(row[6]);
          if (row[0].is_null()) continue;  // no values: the only row
          out.rows.push_back(
              PropertyValueCount{.value = row[0].as<std::string>(),
                                 .events = row[1].as<int64_t>(),
                                 .visitors = row[2].as<int64_t>(),
                                 .sessions = row[3].as<int64_t>()});
        }
        return out;
      });
}

absl::StatusOr<DashboardSnapshot> ReportRepository::ReadDashboard(
    int64_t site_id, const std::vector<RangePlan>& plans,
    const std::vector<BreakdownQuery>& breakdowns, absl::Duration time_left) {
  return InSnapshot<DashboardSnapshot>(
      pool_, "dashboard", time_left,
      [&](pqxx::transaction_base& tx) -> absl::StatusOr<DashboardSnapshot> {
        DashboardSnapshot out;
        absl::StatusOr<OverviewSnapshot> overview =
            ReadOverviewIn(tx, site_id, plans);
        if (!overview.ok()) return overview.status();
        out.overview = std::move(*overview);
        for (const BreakdownQuery& q : breakdowns) {
          out.breakdowns.push_back(ReadBreakdownIn(tx, q));
        }
        return out;
      });
}

}  // namespace analytics::reducer
