// ReportRepository on libpqxx.
#include "reducer-service/src/report_repository.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "common/json/json_writer.h"
#include "common/time/pg_time.h"
#include "reducer-service/src/breakdown_ranking.h"
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

// Sort values a breakdown needs a key's sketches for, as the bits of
// select_breakdown_sketches.sql's $5.
constexpr int kVisitorsBit = 1;
constexpr int kSessionsBit = 2;

int DistinctBit(BreakdownMetric m) {
  switch (m) {
    case BreakdownMetric::kVisitors:
      return kVisitorsBit;
    case BreakdownMetric::kSessions:
      return kSessionsBit;
    case BreakdownMetric::kEvents:
    case BreakdownMetric::kPageviews:
      return 0;
  }
  return 0;
}

std::string KeysJson(const std::vector<std::string>& keys) {
  JsonWriter json;
  json.BeginArray();
  for (const std::string& k : keys) json.String(k);
  json.EndArray();
  return json.Release();
}

struct DistinctCounts {
  int64_t visitors = 0;
  int64_t sessions = 0;
};

// Reads `bits` of the keys' distinct counts into `counts` (keys without
// events in the range stay 0).
void ReadDistinct(pqxx::transaction_base& tx, const BreakdownQuery& q,
                  const std::string& plan, const std::vector<std::string>& keys,
                  int bits,
                  absl::flat_hash_map<std::string, DistinctCounts>& counts) {
  if (keys.empty() || bits == 0) return;
  for (const auto& row : tx.exec_prepared(
           "select_breakdown_sketches", q.site_id, plan,
           static_cast<int>(q.kind.dimension), KeysJson(keys), bits)) {
    DistinctCounts& c = counts[row[0].as<std::string>()];
    if (!row[1].is_null()) c.visitors = row[1].as<int64_t>();
    if (!row[2].is_null()) c.sessions = row[2].as<int64_t>();
  }
}

// An event-dimension breakdown: every key's events and pageviews in one
// statement, then sketch unions only for the keys BreakdownRanking says can
// reach the page, then the page's other distinct count.
BreakdownPage ReadEventBreakdownIn(pqxx::transaction_base& tx,
                                   const BreakdownQuery& q,
                                   const std::string& plan) {
  BreakdownPage page;
  absl::flat_hash_map<std::string, BreakdownValues> totals;
  std::vector<KeyBound> bounds;
  for (const auto& row :
       tx.exec_prepared("select_breakdown_keys", q.site_id, plan,
                        static_cast<int>(q.kind.dimension))) {
    page.pending_events = row[3].as<int64_t>();
    page.as_of = Micros(row[4]);
    if (row[0].is_null()) continue;  // no keys: the only row
    BreakdownValues v{.key = row[0].as<std::string>(),
                      .events = row[1].as<int64_t>(),
                      .pageviews = row[2].as<int64_t>()};
    // Exact for events and pageviews; for a distinct count, its events
    // bound it (every visitor or session of the key has one).
    bounds.push_back(KeyBound{.key = v.key,
                              .bound = q.sort_by == BreakdownMetric::kPageviews
                                           ? v.pageviews
                                           : v.events});
    totals.emplace(v.key, std::move(v));
  }

  const int sort_bit = DistinctBit(q.sort_by);
  absl::flat_hash_map<std::string, DistinctCounts> distinct;
  BreakdownRanking ranking(std::move(bounds), q.after,
                           static_cast<size_t>(std::max(q.limit, 0)));
  // The first round evaluates a few more keys than the page holds; each
  // further round (rare: flat distributions, deep pages) twice as many.
  size_t round = static_cast<size_t>(std::max(q.limit, 1)) * 2;
  for (std::vector<std::string> keys = ranking.Next(round); !keys.empty();
       keys = ranking.Next(round *= 2)) {
    ReadDistinct(tx, q, plan, keys, sort_bit, distinct);
    for (const std::string& key : keys) {
      switch (q.sort_by) {
        case BreakdownMetric::kEvents:
          ranking.Record(key, totals.at(key).events);
          break;
        case BreakdownMetric::kPageviews:
          ranking.Record(key, totals.at(key).pageviews);
          break;
        case BreakdownMetric::kVisitors:
          ranking.Record(key, distinct[key].visitors);
          break;
        case BreakdownMetric::kSessions:
          ranking.Record(key, distinct[key].sessions);
          break;
      }
    }
  }

  const std::vector<RankedKey> ranked = ranking.Page();
  std::vector<std::string> page_keys;
  for (const RankedKey& r : ranked) page_keys.push_back(r.key);
  ReadDistinct(tx, q, plan, page_keys,
               (kVisitorsBit | kSessionsBit) & ~sort_bit, distinct);
  for (const RankedKey& r : ranked) {
    BreakdownValues v = std::move(totals.at(r.key));
    const DistinctCounts& c = distinct[r.key];
    // An estimate can exceed the events; the true count cannot.
    v.visitors = std::min(c.visitors, v.events);
    v.sessions = std::min(c.sessions, v.events);
    v.sort_value = r.value;
    page.rows.push_back(std::move(v));
  }
  return page;
}

BreakdownPage ReadBreakdownIn(pqxx::transaction_base& tx,
                              const BreakdownQuery& q) {
  JsonWriter range;
  range.BeginObject()
      .Field("from", ToPgTimestamp(q.from))
      .Field("to", ToPgTimestamp(q.to));
  PlanFields(range, PlanRange(q.from, q.to));
  range.EndObject();
  if (q.kind.source == BreakdownKind::Source::kEvents) {
    return ReadEventBreakdownIn(tx, q, range.str());
  }
  std::optional<int64_t> after_value;
  std::string after_key;
  if (q.after.has_value()) {
    after_value = q.after->value;
    after_key = q.after->key;
  }
  BreakdownPage page;
  for (const auto& row : tx.exec_prepared(
           "select_session_breakdown", q.site_id, range.str(),
           q.kind.source == BreakdownKind::Source::kEntryPage ? 1 : 2,
           static_cast<int>(q.sort_by), after_value, after_key, q.limit)) {
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

// How a snapshot's statements are planned: kGeneric for the rollup reads,
// whose range arrives as JSON the planner cannot see into anyway; kCustom
// where the range is a plain parameter that prunes partitions and sizes the
// plan (select_event_properties).
enum class Plans { kCustom, kGeneric };

// Runs `read` in a read-only snapshot limited to the caller's deadline.
template <typename T, typename Read>
absl::StatusOr<T> InSnapshot(db::ConnectionPool* pool, const char* name,
                             absl::Duration time_left, Plans plans, Read read) {
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
        if (plans == Plans::kGeneric) db::PreferGenericPlans(tx);
        return read(tx);
      },
      db::Isolation::kRepeatableReadReadOnly, deadline);
}

}  // namespace

std::vector<db::Statement> ReportRepository::Statements() {
  return {{"select_overview", sql::kSelectOverview},
          {"select_breakdown_keys", sql::kSelectBreakdownKeys},
          {"select_breakdown_sketches", sql::kSelectBreakdownSketches},
          {"select_session_breakdown", sql::kSelectSessionBreakdown},
          {"select_event_properties", sql::kSelectEventProperties}};
}

absl::StatusOr<OverviewSnapshot> ReportRepository::Read(
    int64_t site_id, const std::vector<RangePlan>& plans,
    absl::Duration time_left) {
  return InSnapshot<OverviewSnapshot>(
      pool_, "overview", time_left, Plans::kGeneric,
      [&](pqxx::transaction_base& tx) {
        return ReadOverviewIn(tx, site_id, plans);
      });
}

absl::StatusOr<BreakdownPage> ReportRepository::ReadBreakdown(
    const BreakdownQuery& query, absl::Duration time_left) {
  return InSnapshot<BreakdownPage>(
      pool_, "breakdown", time_left, Plans::kGeneric,
      [&](pqxx::transaction_base& tx) -> absl::StatusOr<BreakdownPage> {
        return ReadBreakdownIn(tx, query);
      });
}

absl::StatusOr<PropertyBreakdown> ReportRepository::ReadProperties(
    const PropertyQuery& q, absl::Duration time_left) {
  return InSnapshot<PropertyBreakdown>(
      pool_, "event_properties", time_left, Plans::kCustom,
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
      pool_, "dashboard", time_left, Plans::kGeneric,
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
