// ActivityRepository: pages of a site's stored events, sessions and visitors
// for QueryService.ListEvents/ListSessions/ListVisitors. Read-only; each page
// is one statement in one read-only snapshot, newest first, strictly below a
// cursor (keyset paging), so a page costs the same however deep it is.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/db/connection_pool.h"
#include "common/db/statement.h"
#include "reducer-service/src/page_token.h"

namespace analytics::reducer {

// One page request: the rows of `filter` strictly below `after` (from the
// top when absent), at most `limit`.
struct PageQuery {
  ListFilter filter;
  std::optional<PageCursor> after = std::nullopt;
  int limit = 50;
};

// A stored event (events table).
struct EventListRow {
  int64_t id = 0;
  std::string client_event_id;  // "" when the client sent none
  int type = 0;                 // analytics.v1.EventType
  std::string name;
  absl::Time occurred_at;
  absl::Time received_at;
  std::string visitor_id;
  std::string session_id;
  std::string user_id;
  std::string path;
  std::string title;
  std::string referrer;
  std::string properties_json;  // a flat JSON object, as stored
  std::string source;
  std::string device;
  std::string browser;
  std::string os;
  std::string country;
  std::string utm_source;
  std::string utm_medium;
  std::string utm_campaign;
};

// A reduced session (sessions table).
struct SessionListRow {
  std::string session_id;
  std::string visitor_id;
  absl::Time started_at;
  absl::Time last_seen_at;
  int pageviews = 0;
  int events = 0;
  std::string entry_path;
  std::string exit_path;
  std::string referrer;
  std::string utm_source;
  std::string utm_medium;
  std::string utm_campaign;
  std::string device;
  std::string browser;
  std::string os;
  std::string country;
};

// A reduced visitor (visitors table).
struct VisitorListRow {
  std::string visitor_id;
  absl::Time first_seen_at;
  absl::Time last_seen_at;
  std::string user_id;
  std::optional<absl::Time> identified_at = std::nullopt;
  std::string traits_json;  // a JSON object
};

// The cursor a row leaves for the next page.
PageCursor CursorAfter(const EventListRow& row);
PageCursor CursorAfter(const SessionListRow& row);
PageCursor CursorAfter(const VisitorListRow& row);

class ActivityRepository {
 public:
  static std::vector<db::Statement> Statements();

  explicit ActivityRepository(db::ConnectionPool* pool) : pool_(pool) {}

  // Each returns the page's rows in order. `time_left`: the caller's
  // remaining deadline; DEADLINE_EXCEEDED when it has passed or the
  // statement outlives it.

  // Non-bot events, reduced or not, with occurred_at in the filter's range,
  // by (occurred_at, id) descending.
  absl::StatusOr<std::vector<EventListRow>> ListEvents(
      const PageQuery& query,
      absl::Duration time_left = absl::InfiniteDuration());
  // Sessions with started_at in the range, by (started_at, session_id in
  // byte order) descending.
  absl::StatusOr<std::vector<SessionListRow>> ListSessions(
      const PageQuery& query,
      absl::Duration time_left = absl::InfiniteDuration());
  // Visitors with last_seen_at in the range, by (last_seen_at, visitor_id in
  // byte order) descending.
  absl::StatusOr<std::vector<VisitorListRow>> ListVisitors(
      const PageQuery& query,
      absl::Duration time_left = absl::InfiniteDuration());

 private:
  db::ConnectionPool* const pool_;
};

}  // namespace analytics::reducer
