// A reduction pass on libpqxx. Each batch travels as one JSON parameter per
// statement, so a pass costs a fixed number of round trips.
#include "reducer-service/src/reduction_repository.h"

#include <algorithm>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/db/locks.h"
#include "common/json/json_writer.h"
#include "common/status/status_mapping.h"
#include "common/time/pg_time.h"
#include "reducer-service/src/sql_queries.h"

namespace analytics::reducer {

std::vector<db::Statement> ReductionRepository::Statements() {
  return {
      {"claim_events", sql::kClaimEvents},
      {"claim_events_by_id", sql::kClaimEventsById},
      {"lock_sites", sql::kLockSites},
      {"lock_sessions", sql::kLockSessions},
      {"select_sessions", sql::kSelectSessions},
      {"delete_sessions", sql::kDeleteSessions},
      {"upsert_sessions", sql::kUpsertSessions},
      {"insert_visitor_buckets", sql::kInsertVisitorBuckets},
      {"upsert_visitors", sql::kUpsertVisitors},
      {"lock_rollups", sql::kLockRollups},
      {"update_rollups", sql::kUpdateRollups},
      {"upsert_rollups", sql::kUpsertRollups},
      {"upsert_visitor_spans", sql::kUpsertVisitorSpans},
      {"mark_events_failed", sql::kMarkEventsFailed},
      {"delete_queued_events", sql::kDeleteQueuedEvents},
      {"select_queue_stats", sql::kSelectQueueStats},
  };
}

namespace {

absl::Time Micros(const pqxx::field& f) {
  return absl::FromUnixMicros(f.as<int64_t>());
}

std::optional<absl::Time> OptionalMicros(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return Micros(f);
}

void TimeField(JsonWriter& json, std::string_view key,
               const std::optional<absl::Time>& t) {
  json.Key(key);
  if (t.has_value()) {
    json.String(ToPgTimestamp(*t));
  } else {
    json.Null();
  }
}

std::string QueueJson(const std::vector<QueuedEvent>& events) {
  JsonWriter json;
  json.BeginArray();
  for (const QueuedEvent& e : events) {
    json.BeginObject()
        .Field("site_id", e.site_id)
        .Field("event_id", e.event_id)
        .EndObject();
  }
  json.EndArray();
  return json.Release();
}

// Parses claim_events rows. Every entry goes to `claimed`; one whose event
// row is gone yields no event, so the pass just removes it from the queue.
std::vector<ReducerEvent> ParseClaimed(const pqxx::result& rows,
                                       std::vector<QueuedEvent>* claimed) {
  std::vector<ReducerEvent> events;
  for (const auto& row : rows) {
    claimed->push_back({row[0].as<int64_t>(), row[1].as<int64_t>()});
    if (row[3].is_null() || row[19].is_null()) continue;  // orphan
    ReducerEvent e;
    e.site_id = row[0].as<int64_t>();
    e.id = row[1].as<int64_t>();
    e.type = row[3].as<int>();
    e.name = row[4].as<std::string>();
    e.occurred_at = Micros(row[5]);
    e.visitor_id = row[6].as<std::string>();
    e.session_id = row[7].as<std::string>();
    e.user_id = row[8].as<std::string>();
    e.path = row[9].as<std::string>();
    e.referrer = row[10].as<std::string>();
    e.properties_json = row[11].as<std::string>();
    e.utm_source = row[12].as<std::string>();
    e.utm_medium = row[13].as<std::string>();
    e.utm_campaign = row[14].as<std::string>();
    e.device = row[15].as<std::string>();
    e.browser = row[16].as<std::string>();
    e.os = row[17].as<std::string>();
    e.country = row[18].as<std::string>();
    e.session_timeout = absl::Milliseconds(row[19].as<int64_t>());
    e.bot = row[20].as<bool>();
    events.push_back(std::move(e));
  }
  return events;
}

Session ParseSession(const pqxx::row& row) {
  Session s;
  s.site_id = row[0].as<int64_t>();
  s.session_id = row[1].as<std::string>();
  s.started_at = Micros(row[2]);
  s.last_seen_at = Micros(row[3]);
  s.first_event_id = row[4].as<int64_t>();
  s.last_event_id = row[5].as<int64_t>();
  s.visitor_id = row[6].as<std::string>();
  s.pageviews = row[7].as<int>();
  s.events = row[8].as<int>();
  s.entry_path = row[9].as<std::string>();
  s.entry_at = OptionalMicros(row[10]);
  s.entry_event_id = row[11].as<int64_t>();
  s.exit_path = row[12].as<std::string>();
  s.exit_at = OptionalMicros(row[13]);
  s.exit_event_id = row[14].as<int64_t>();
  s.referrer = row[15].as<std::string>();
  s.utm_source = row[16].as<std::string>();
  s.utm_medium = row[17].as<std::string>();
  s.utm_campaign = row[18].as<std::string>();
  s.device = row[19].as<std::string>();
  s.browser = row[20].as<std::string>();
  s.os = row[21].as<std::string>();
  s.country = row[22].as<std::string>();
  return s;
}

// For each (site, session id): the new events' span widened by the timeout.
std::string SessionWindowsJson(const std::vector<ReducerEvent>& events) {
  std::map<std::pair<int64_t, std::string>, std::pair<absl::Time, absl::Time>>
      spans;
  std::map<std::pair<int64_t, std::string>, absl::Duration> timeouts;
  for (const ReducerEvent& e : events) {
    auto key = std::make_pair(e.site_id, e.session_id);
    auto [it, inserted] = spans.try_emplace(key, e.occurred_at, e.occurred_at);
    it->second.first = std::min(it->second.first, e.occurred_at);
    it->second.second = std::max(it->second.second, e.occurred_at);
    timeouts[key] = e.session_timeout;
  }
  JsonWriter json;
  json.BeginArray();
  for (const auto& [key, span] : spans) {
    json.BeginObject()
        .Field("site_id", key.first)
        .Field("session_id", key.second)
        .Field("lo", ToPgTimestamp(span.first - timeouts[key]))
        .Field("hi", ToPgTimestamp(span.second + timeouts[key]))
        .EndObject();
  }
  json.EndArray();
  return json.Release();
}

// The reduction lock keys of the sites of `events`, as a bigint[] literal.
std::string SiteLockKeys(const std::vector<ReducerEvent>& events) {
  std::set<int64_t> keys;
  for (const ReducerEvent& e : events) {
    keys.insert(db::SiteReductionLockKey(e.site_id));
  }
  return absl::StrCat("{", absl::StrJoin(keys, ","), "}");
}

std::string SessionKeysJson(const std::vector<SessionKey>& keys) {
  JsonWriter json;
  json.BeginArray();
  for (const SessionKey& k : keys) {
    json.BeginObject()
        .Field("site_id", k.site_id)
        .Field("session_id", k.session_id)
        .Field("started_at", ToPgTimestamp(k.started_at))
        .EndObject();
  }
  json.EndArray();
  return json.Release();
}

std::string SessionsJson(const std::vector<Session>& sessions) {
  JsonWriter json;
  json.BeginArray();
  for (const Session& s : sessions) {
    json.BeginObject()
        .Field("site_id", s.site_id)
        .Field("session_id", s.session_id)
        .Field("started_at", ToPgTimestamp(s.started_at))
        .Field("last_seen_at", ToPgTimestamp(s.last_seen_at))
        .Field("first_event_id", s.first_event_id)
        .Field("last_event_id", s.last_event_id)
        .Field("visitor_id", s.visitor_id)
        .Field("pageviews", int64_t{s.pageviews})
        .Field("events", int64_t{s.events})
        .Field("entry_path", s.entry_path);
    TimeField(json, "entry_at", s.entry_at);
    json.Key("entry_event_id");
    s.entry_at ? json.Int(s.entry_event_id) : json.Null();
    json.Field("exit_path", s.exit_path);
    TimeField(json, "exit_at", s.exit_at);
    json.Key("exit_event_id");
    s.exit_at ? json.Int(s.exit_event_id) : json.Null();
    json.Field("referrer", s.referrer)
        .Field("utm_source", s.utm_source)
        .Field("utm_medium", s.utm_medium)
        .Field("utm_campaign", s.utm_campaign)
        .Field("device", s.device)
        .Field("browser", s.browser)
        .Field("os", s.os)
        .Field("country", s.country)
        .EndObject();
  }
  json.EndArray();
  return json.Release();
}

std::string VisitorBucketsJson(const std::vector<VisitorBucket>& buckets) {
  JsonWriter json;
  json.BeginArray();
  for (const VisitorBucket& b : buckets) {
    json.BeginObject()
        .Field("site_id", b.site_id)
        .Field("granularity", int64_t{static_cast<int16_t>(b.granularity)})
        .Field("bucket_start", ToPgTimestamp(b.bucket_start))
        .Field("visitor_id", b.visitor_id)
        .EndObject();
  }
  json.EndArray();
  return json.Release();
}

std::string VisitorsJson(const std::vector<VisitorUpdate>& visitors) {
  JsonWriter json;
  json.BeginArray();
  for (const VisitorUpdate& v : visitors) {
    json.BeginObject()
        .Field("site_id", v.site_id)
        .Field("visitor_id", v.visitor_id)
        .Field("first_seen_at", ToPgTimestamp(v.first_seen_at))
        .Field("last_seen_at", ToPgTimestamp(v.last_seen_at));
    TimeField(json, "identified_at", v.identified_at);
    json.Field("user_id", v.user_id);
    json.Key("traits").Raw(v.traits_json);
    json.EndObject();
  }
  json.EndArray();
  return json.Release();
}

// Locks the existing rows in key order, updates them in place and inserts
// the rest (see lock_rollups.sql for why this is not one upsert).
void WriteRollups(pqxx::transaction_base& tx, const RollupDeltas& rollups,
                  const RollupSketchIds& ids) {
  if (rollups.empty()) return;
  RollupDeltas existing, missing;
  std::set<RollupKey> stored;
  for (const auto& row :
       tx.exec_prepared("lock_rollups", RollupRowsJson(rollups))) {
    stored.insert(RollupKey{row[0].as<int64_t>(),
                            static_cast<Granularity>(row[1].as<int>()),
                            static_cast<Dimension>(row[2].as<int>()),
                            row[3].as<std::string>(), Micros(row[4])});
  }
  for (const auto& [key, delta] : rollups) {
    (stored.contains(key) ? existing : missing).emplace(key, delta);
  }
  if (!existing.empty())
    tx.exec_prepared("update_rollups", RollupRowsJson(existing, &ids));
  if (!missing.empty())
    tx.exec_prepared("upsert_rollups", RollupRowsJson(missing, &ids));
  // The overview's day rows that gained ids pass them on to their visitor
  // spans (migration 0009), after every rollup row: the same lock order in
  // every reducer.
  RollupDeltas overview_days;
  for (const auto& [key, delta] : rollups) {
    if (key.granularity == Granularity::kDay &&
        key.dimension == Dimension::kOverview) {
      auto it = ids.find(key);
      if (it != ids.end() && !it->second.visitor_ids.empty()) {
        overview_days.emplace(key, delta);
      }
    }
  }
  if (!overview_days.empty()) {
    tx.exec_prepared("upsert_visitor_spans",
                     RollupRowsJson(overview_days, &ids));
  }
}

double UnitRandom() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(random);
}

// Marks `failed` (with their current attempts) and counts the dead letters.
void MarkFailed(pqxx::transaction_base& tx,
                const std::vector<FailedEvent>& failed,
                const std::map<std::pair<int64_t, int64_t>, int>& attempts,
                const BackoffPolicy& backoff, PassResult* result) {
  if (failed.empty()) return;
  JsonWriter json;
  json.BeginArray();
  for (const FailedEvent& f : failed) {
    auto it = attempts.find({f.site_id, f.event_id});
    const int before = it == attempts.end() ? 0 : it->second;
    json.BeginObject()
        .Field("site_id", f.site_id)
        .Field("event_id", f.event_id)
        .Field("error", f.error.substr(0, 1000))
        .Field("delay_ms", absl::ToInt64Milliseconds(
                               RetryDelay(before, backoff, UnitRandom())))
        .EndObject();
  }
  json.EndArray();
  for (const auto& row : tx.exec_prepared("mark_events_failed", json.str(),
                                          backoff.max_attempts)) {
    ++result->failed;
    if (row[3].as<std::string>() == "dead") ++result->dead;
  }
}

}  // namespace

absl::Status ReductionRepository::Reduce(const ClaimSpec& spec,
                                         PassResult* result) {
  return pool_->RunTransaction("reduce", [&](pqxx::transaction_base& tx) {
    *result = PassResult{};
    pqxx::result rows =
        spec.only.has_value()
            ? tx.exec_prepared("claim_events_by_id", QueueJson(*spec.only))
            : tx.exec_prepared("claim_events", spec.limit);
    std::vector<ReducerEvent> events = ParseClaimed(rows, &result->claimed);
    std::map<std::pair<int64_t, int64_t>, int> attempts;
    for (const auto& row : rows) {
      attempts[{row[0].as<int64_t>(), row[1].as<int64_t>()}] = row[2].as<int>();
    }
    if (result->claimed.empty()) return absl::OkStatus();

    std::vector<Session> existing;
    if (!events.empty()) {
      tx.exec_prepared("lock_sites", SiteLockKeys(events));
      const std::string windows = SessionWindowsJson(events);
      tx.exec_prepared("lock_sessions", windows);
      for (const auto& row : tx.exec_prepared("select_sessions", windows)) {
        existing.push_back(ParseSession(row));
      }
    }
    BatchPlan plan = PlanBatch(events, existing, plan_options_);

    if (!plan.session_deletes.empty()) {
      tx.exec_prepared("delete_sessions",
                       SessionKeysJson(plan.session_deletes));
    }
    if (!plan.session_upserts.empty()) {
      tx.exec_prepared("upsert_sessions", SessionsJson(plan.session_upserts));
    }
    if (!plan.visitor_buckets.empty()) {
      std::vector<VisitorBucket> fresh;
      for (const auto& row :
           tx.exec_prepared("insert_visitor_buckets",
                            VisitorBucketsJson(plan.visitor_buckets))) {
        fresh.push_back({row[0].as<int64_t>(),
                         static_cast<Granularity>(row[1].as<int>()),
                         Micros(row[2]), row[3].as<std::string>()});
      }
      AddFreshVisitors(fresh, &plan.rollups);
    }
    if (!plan.visitors.empty()) {
      tx.exec_prepared("upsert_visitors", VisitorsJson(plan.visitors));
    }
    WriteRollups(tx, plan.rollups, plan.sketch_ids);
    MarkFailed(tx, plan.failed, attempts, backoff_, result);

    std::set<std::pair<int64_t, int64_t>> failed;
    for (const FailedEvent& f : plan.failed)
      failed.insert({f.site_id, f.event_id});
    std::vector<QueuedEvent> done;
    for (const QueuedEvent& q : result->claimed) {
      if (!failed.contains({q.site_id, q.event_id})) done.push_back(q);
    }
    if (!done.empty())
      tx.exec_prepared("delete_queued_events", QueueJson(done));
    result->reduced = static_cast<int>(done.size());
    return absl::OkStatus();
  });
}

absl::Status ReductionRepository::RecordFailure(const QueuedEvent& event,
                                                const std::string& error,
                                                PassResult* result) {
  return pool_->RunTransaction(
      "record_failure", [&](pqxx::transaction_base& tx) {
        pqxx::result rows =
            tx.exec_prepared("claim_events_by_id", QueueJson({event}));
        if (rows.empty()) return absl::OkStatus();  // held elsewhere or gone
        std::map<std::pair<int64_t, int64_t>, int> attempts{
            {{event.site_id, event.event_id}, rows[0][2].as<int>()}};
        MarkFailed(tx, {{event.site_id, event.event_id, error}}, attempts,
                   backoff_, result);
        return absl::OkStatus();
      });
}

absl::StatusOr<QueueStats> ReductionRepository::ReadQueueStats() {
  return pool_->RunTransaction(
      "queue_stats",
      [](pqxx::transaction_base& tx) -> absl::StatusOr<QueueStats> {
        pqxx::row row = tx.exec_prepared1("select_queue_stats");
        return QueueStats{.pending = row[0].as<int64_t>(),
                          .oldest_pending_age_seconds = row[1].as<double>(),
                          .retrying = row[2].as<int64_t>(),
                          .dead = row[3].as<int64_t>()};
      },
      db::Isolation::kRepeatableReadReadOnly);
}

}  // namespace analytics::reducer
