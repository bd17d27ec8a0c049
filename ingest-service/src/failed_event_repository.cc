// Failed events and backlog on libpqxx.
#include "ingest-service/src/failed_event_repository.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/db/channels.h"
#include "ingest-service/src/sql_queries.h"

namespace analytics::ingest {
namespace {

// The queue's state column for a filter; '' matches both states.
std::string StateFilter(FailedState state) {
  switch (state) {
    case FailedState::kRetrying:
      return "pending";
    case FailedState::kDead:
      return "dead";
    case FailedState::kAny:
      break;
  }
  return "";
}

absl::Time Micros(const pqxx::field& f) {
  return absl::FromUnixMicros(f.as<int64_t>());
}

}  // namespace

std::vector<db::Statement> FailedEventRepository::Statements() {
  return {{"select_failed_events", sql::kSelectFailedEvents},
          {"requeue_failed_events", sql::kRequeueFailedEvents},
          {"select_backlog", sql::kSelectBacklog}};
}

absl::StatusOr<std::vector<FailedEventRecord>> FailedEventRepository::List(
    int64_t site_id, FailedState state, int64_t after_event_id, int limit) {
  return pool_->RunTransaction(
      "list_failed_events",
      [&](pqxx::transaction_base& tx)
          -> absl::StatusOr<std::vector<FailedEventRecord>> {
        std::vector<FailedEventRecord> out;
        for (const auto& row :
             tx.exec_prepared("select_failed_events", site_id, after_event_id,
                              StateFilter(state), limit)) {
          FailedEventRecord r;
          r.site_id = site_id;
          r.event_id = row[0].as<int64_t>();
          r.state = row[1].as<std::string>() == "dead" ? FailedState::kDead
                                                       : FailedState::kRetrying;
          r.attempts = row[2].as<int>();
          r.last_error = row[3].as<std::string>();
          if (!row[4].is_null()) r.last_failed_at = Micros(row[4]);
          r.next_attempt_at = Micros(row[5]);
          r.enqueued_at = Micros(row[6]);
          if (!row[7].is_null()) {
            r.type = row[7].as<int>();
            r.name = row[8].as<std::string>();
            r.occurred_at = Micros(row[9]);
          }
          out.push_back(std::move(r));
        }
        return out;
      },
      db::Isolation::kRepeatableReadReadOnly);
}

absl::StatusOr<int64_t> FailedEventRepository::Requeue(
    int64_t site_id, const std::optional<std::vector<int64_t>>& event_ids,
    FailedState state) {
  // A bigint[] literal built from integers only; NULL means all.
  std::optional<std::string> ids;
  if (event_ids.has_value()) {
    ids = absl::StrCat("{", absl::StrJoin(*event_ids, ","), "}");
  }
  return pool_->RunTransaction(
      "requeue_failed_events",
      [&](pqxx::transaction_base& tx) -> absl::StatusOr<int64_t> {
        return tx
            .exec_prepared1("requeue_failed_events", site_id, ids,
                            StateFilter(state), db::kEventsChannel)[0]
            .as<int64_t>();
      });
}

absl::StatusOr<std::vector<BacklogRecord>> FailedEventRepository::Backlog(
    int64_t site_id) {
  return pool_->RunTransaction(
      "select_backlog",
      [&](pqxx::transaction_base& tx)
          -> absl::StatusOr<std::vector<BacklogRecord>> {
        std::vector<BacklogRecord> out;
        for (const auto& row : tx.exec_prepared("select_backlog", site_id)) {
          out.push_back(BacklogRecord{
              .site_id = row[0].as<int64_t>(),
              .pending = row[1].as<int64_t>(),
              .oldest_pending_age = absl::Microseconds(row[2].as<int64_t>()),
              .retrying = row[3].as<int64_t>(),
              .dead = row[4].as<int64_t>()});
        }
        return out;
      },
      db::Isolation::kRepeatableReadReadOnly);
}

}  // namespace analytics::ingest
