// ActivityRepository on libpqxx.
#include "reducer-service/src/activity_repository.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "common/time/pg_time.h"
#include "reducer-service/src/sql_queries.h"

namespace analytics::reducer {
namespace {

absl::Time Micros(const pqxx::field& f) {
  return absl::FromUnixMicros(f.as<int64_t>());
}

// Statement parameters for an unbounded side or the first page: every
// stored time lies strictly between them.
constexpr char kMinusInfinity[] = "-infinity";
constexpr char kInfinity[] = "infinity";

// The statement's cursor tie-breaker ($5): the event id, or the session or
// visitor id. On the first page any value does, since the cursor time is
// 'infinity'; the largest id keeps it meaningful for events all the same.
std::string TieBreaker(ListKind kind, const std::optional<PageCursor>& after) {
  if (kind == ListKind::kEvents) {
    return absl::StrCat(after.has_value()
                            ? after->event_id
                            : std::numeric_limits<int64_t>::max());
  }
  return after.has_value() ? after->key : "";
}

// Runs one page statement with parameters (site, from, to, cursor time,
// cursor tie-breaker, limit); one converted row per result row.
template <typename Row, typename Convert>
absl::StatusOr<std::vector<Row>> ReadPage(db::ConnectionPool* pool,
                                          const std::string& statement,
                                          ListKind kind, const PageQuery& query,
                                          absl::Duration time_left,
                                          Convert convert) {
  if (time_left <= absl::ZeroDuration()) {
    return absl::DeadlineExceededError("the caller's deadline has passed");
  }
  if (query.limit <= 0) return std::vector<Row>{};
  const ListFilter& f = query.filter;
  const std::string from =
      f.from.has_value() ? ToPgTimestamp(*f.from) : kMinusInfinity;
  const std::string to = f.to.has_value() ? ToPgTimestamp(*f.to) : kInfinity;
  const std::string after_time =
      query.after.has_value() ? ToPgTimestamp(query.after->time) : kInfinity;
  const std::string after_tie_breaker = TieBreaker(kind, query.after);
  // What is left when the statement starts: waiting for a connection (and
  // a retried attempt) used some of it.
  const absl::Time deadline = absl::Now() + time_left;
  return pool->RunTransaction(
      statement,
      [&](pqxx::transaction_base& tx) -> absl::StatusOr<std::vector<Row>> {
        const absl::Duration left = deadline - absl::Now();
        if (left <= absl::ZeroDuration()) {
          return absl::DeadlineExceededError(
              "the caller's deadline passed before the statement could run");
        }
        db::LimitStatementTime(tx, left);
        std::vector<Row> rows;
        const pqxx::result result =
            tx.exec_prepared(statement, f.site_id, from, to, after_time,
                             after_tie_breaker, query.limit);
        rows.reserve(result.size());
        for (const auto& row : result) rows.push_back(convert(row));
        return rows;
      },
      db::Isolation::kRepeatableReadReadOnly, deadline);
}

}  // namespace

PageCursor CursorAfter(const EventListRow& row) {
  return PageCursor{.time = row.occurred_at, .event_id = row.id};
}

PageCursor CursorAfter(const SessionListRow& row) {
  return PageCursor{.time = row.started_at, .key = row.session_id};
}

PageCursor CursorAfter(const VisitorListRow& row) {
  return PageCursor{.time = row.last_seen_at, .key = row.visitor_id};
}

std::vector<db::Statement> ActivityRepository::Statements() {
  return {{"select_events_page", sql::kSelectEventsPage},
          {"select_sessions_page", sql::kSelectSessionsPage},
          {"select_visitors_page", sql::kSelectVisitorsPage}};
}

absl::StatusOr<std::vector<EventListRow>> ActivityRepository::ListEvents(
    const PageQuery& query, absl::Duration time_left) {
  return ReadPage<EventListRow>(
      pool_, "select_events_page", ListKind::kEvents, query, time_left,
      [](const pqxx::row& row) {
        return EventListRow{.id = row[0].as<int64_t>(),
                            .client_event_id = row[1].as<std::string>(),
                            .type = row[2].as<int>(),
                            .name = row[3].as<std::string>(),
                            .occurred_at = Micros(row[4]),
                            .received_at = Micros(row[5]),
                            .visitor_id = row[6].as<std::string>(),
                            .session_id = row[7].as<std::string>(),
                            .user_id = row[8].as<std::string>(),
                            .path = row[9].as<std::string>(),
                            .title = row[10].as<std::string>(),
                            .referrer = row[11].as<std::string>(),
                            .properties_json = row[12].as<std::string>(),
                            .source = row[13].as<std::string>(),
                            .device = row[14].as<std::string>(),
                            .browser = row[15].as<std::string>(),
                            .os = row[16].as<std::string>(),
                            .country = row[17].as<std::string>(),
                            .utm_source = row[18].as<std::string>(),
                            .utm_medium = row[19].as<std::string>(),
                            .utm_campaign = row[20].as<std::string>()};
      });
}

absl::StatusOr<std::vector<SessionListRow>> ActivityRepository::ListSessions(
    const PageQuery& query, absl::Duration time_left) {
  return ReadPage<SessionListRow>(
      pool_, "select_sessions_page", ListKind::kSessions, query, time_left,
      [](const pqxx::row& row) {
        return SessionListRow{.session_id = row[0].as<std::string>(),
                              .visitor_id = row[1].as<std::string>(),
                              .started_at = Micros(row[2]),
                              .last_seen_at = Micros(row[3]),
                              .pageviews = row[4].as<int>(),
                              .events = row[5].as<int>(),
                              .entry_path = row[6].as<std::string>(),
                              .exit_path = row[7].as<std::string>(),
                              .referrer = row[8].as<std::string>(),
                              .utm_source = row[9].as<std::string>(),
                              .utm_medium = row[10].as<std::string>(),
                              .utm_campaign = row[11].as<std::string>(),
                              .device = row[12].as<std::string>(),
                              .browser = row[13].as<std::string>(),
                              .os = row[14].as<std::string>(),
                              .country = row[15].as<std::string>()};
      });
}

absl::StatusOr<std::vector<VisitorListRow>> ActivityRepository::ListVisitors(
    const PageQuery& query, absl::Duration time_left) {
  return ReadPage<VisitorListRow>(
      pool_, "select_visitors_page", ListKind::kVisitors, query, time_left,
      [](const pqxx::row& row) {
        VisitorListRow out{.visitor_id = row[0].as<std::string>(),
                           .first_seen_at = Micros(row[1]),
                           .last_seen_at = Micros(row[2]),
                           .user_id = row[3].as<std::string>(),
                           .traits_json = row[5].as<std::string>()};
        if (!row[4].is_null()) out.identified_at = Micros(row[4]);
        return out;
      });
}

}  // namespace analytics::reducer
