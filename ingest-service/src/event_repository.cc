// EventRepository on libpqxx: one statement per batch, batches of
// concurrent calls grouped into shared transactions.
#include "ingest-service/src/event_repository.h"

#include "common/db/cancellation.h"
#include "common/db/channels.h"
#include "common/json/json_writer.h"
#include "common/rollups/rollup_model.h"
#include "common/time/pg_time.h"
#include "ingest-service/src/sql_queries.h"

namespace analytics::ingest {

std::vector<db::Statement> EventRepository::Statements() {
  return {{"insert_events", sql::kInsertEvents}};
}

namespace {

// {"site_id": .., "events": [..]}: one member of insert_events.sql's group.
std::string EncodeBatch(const EventBatch& batch) {
  JsonWriter json;
  json.BeginObject().Field("site_id", batch.site_id).Key("events");
  json.BeginArray();
  for (const IngestEvent& e : batch.events) {
    json.BeginObject()
        .Field("client_event_id", e.client_event_id)
        .Field("type", int64_t{e.type})
        .Field("name", e.name)
        .Field("occurred_at", ToPgTimestamp(e.occurred_at))
        .Field("visitor_id", e.visitor_id)
        .Field("session_id", e.session_id)
        .Field("user_id", e.user_id)
        .Field("path", e.path)
        .Field("title", e.title)
        .Field("referrer", e.referrer)
        // The host the reducer's referrer rollups use, stored so that range
        // edges group raw events the same way (migration 0006).
        .Field("referrer_host", ReferrerHost(e.referrer));
    json.Key("properties").Raw(e.properties_json);
    json.Field("source", e.source)
        .Field("device", e.device)
        .Field("browser", e.browser)
        .Field("os", e.os)
        .Field("country", e.country)
        .Field("utm_source", e.utm_source)
        .Field("utm_medium", e.utm_medium)
        .Field("utm_campaign", e.utm_campaign)
        .Field("user_agent", e.user_agent)
        .Key("bot")
        .Bool(e.bot)
        .EndObject();
  }
  json.EndArray();
  json.EndObject();
  return json.Release();
}

// A shared statement that failed because of what one batch holds
// (SQLSTATE classes 22 and 23 map to these), rather than because of the
// database: worth retrying batch by batch.
bool FromTheData(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInvalidArgument ||
         status.code() == absl::StatusCode::kFailedPrecondition ||
         status.code() == absl::StatusCode::kAlreadyExists;
}

// insert_events.sql's group argument.
std::string EncodeGroup(const std::vector<const std::string*>& members) {
  size_t size = 2;
  for (const std::string* m : members) size += m->size() + 1;
  std::string group;
  group.reserve(size);
  group.push_back('[');
  for (size_t i = 0; i < members.size(); ++i) {
    if (i > 0) group.push_back(',');
    group.append(*members[i]);
  }
  group.push_back(']');
  return group;
}

// One batch's result row of insert_events.sql.
absl::StatusOr<int> StoredCount(const pqxx::row& row) {
  if (!row[2].as<bool>()) {
    return absl::UnauthenticatedError("the site of this write key was deleted");
  }
  return row[1].as<int>();
}

// Runs insert_events.sql for `members` in `tx`; one result per member.
std::vector<absl::StatusOr<int>> InsertGroup(
    pqxx::transaction_base& tx,
    const std::vector<const std::string*>& members) {
  pqxx::result rows = tx.exec_prepared("insert_events", EncodeGroup(members),
                                       db::kEventsChannel);
  std::vector<absl::StatusOr<int>> results;
  results.reserve(members.size());
  for (const auto& row : rows) results.push_back(StoredCount(row));
  return results;
}

}  // namespace

absl::StatusOr<int> EventRepository::Store(const EventBatch& batch) {
  Pending pending{.events_json = EncodeBatch(batch),
                  .events = static_cast<int>(batch.events.size()),
                  .result = std::nullopt};
  absl::MutexLock lock(&mu_);
  queue_.push_back(&pending);
  while (true) {
    auto done_or_free = [this, &pending]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return pending.result.has_value() ||
             (committing_ < options_.committers && !queue_.empty());
    };
    mu_.Await(absl::Condition(&done_or_free));
    if (pending.result.has_value()) return *std::move(pending.result);
    // A free committer and queued work: this thread commits the oldest
    // group, which may or may not hold its own batch.
    std::vector<Pending*> group = TakeGroup();
    ++committing_;
    mu_.Unlock();
    CommitGroup(group);
    mu_.Lock();
    --committing_;
  }
}

std::vector<EventRepository::Pending*> EventRepository::TakeGroup() {
  std::vector<Pending*> group;
  int events = 0;
  while (!queue_.empty() && (group.empty() || events + queue_.front()->events <=
                                                  options_.max_group_events)) {
    events += queue_.front()->events;
    group.push_back(queue_.front());
    queue_.pop_front();
  }
  return group;
}

void EventRepository::CommitGroup(const std::vector<Pending*>& group) {
  std::vector<const std::string*> members;
  for (const Pending* p : group) members.push_back(&p->events_json);
  std::vector<absl::StatusOr<int>> results;
  // The group belongs to every member, not to the caller whose thread runs
  // it: a write that started is finished even if that caller went away.
  db::CancellationScope not_cancellable(nullptr);
  absl::Status shared = pool_->RunTransaction(
      "store_events", [&](pqxx::transaction_base& tx) -> absl::Status {
        results = InsertGroup(tx, members);  // a retried attempt starts over
        if (results.size() != members.size()) {
          return absl::InternalError("insert_events: a result per batch");
        }
        return absl::OkStatus();
      });
  if (!shared.ok() && group.size() > 1 && FromTheData(shared)) {
    // One batch's data broke the statement: each gets its own outcome.
    for (Pending* p : group) CommitGroup({p});
    return;
  }
  if (!shared.ok()) {
    // The database failed all of them alike. Never again after UNKNOWN (the
    // commit may have gone through: events without ids would be stored
    // twice), nor after an exhausted pool or an outage (k batches would
    // wait k times).
    results.assign(group.size(), shared);
  }
  absl::MutexLock lock(&mu_);
  for (size_t i = 0; i < group.size(); ++i) {
    group[i]->result = std::move(results[i]);
  }
}

}  // namespace analytics::ingest
