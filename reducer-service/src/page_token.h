// Page tokens of QueryService.ListEvents, ListSessions and ListVisitors: pure
// encode/decode, no I/O.
//
// A token is the web-safe base64 (unpadded) of a small binary record:
//   u8  version (1)
//   u8  list (ListKind)
//   u8  flags: bit 0 `from` present, bit 1 `to` present
//   i64 site_id
//   i64 from, i64 to (epoch microseconds; each only when present)
//   i64 cursor time (epoch microseconds)
//   events:             i64 event id
//   sessions, visitors: u32 byte length, then the session or visitor id
// (integers little-endian). The cursor is the sort key of the last row of
// the page the token follows; the site and range are the request's filter,
// so a token only continues the listing it came from. Tokens are not signed:
// a forged token can only page through a site its caller may read anyway.
//
// Thread-safe (no state).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace analytics::reducer {

// Which list a token belongs to; the values are part of the format.
enum class ListKind : uint8_t { kEvents = 1, kSessions = 2, kVisitors = 3 };

// What a list request selects: a site and an optional [from, to) range of
// the list's sort time (times in whole microseconds).
struct ListFilter {
  int64_t site_id = 0;
  std::optional<absl::Time> from = std::nullopt;
  std::optional<absl::Time> to = std::nullopt;

  friend bool operator==(const ListFilter&, const ListFilter&) = default;
};

// The sort key of a row, newest first: time descending, then the tie-breaker
// descending (event id for events; session or visitor id, in byte order, for
// the others). The next page holds the rows strictly below it.
struct PageCursor {
  // occurred_at, started_at or last_seen_at; whole microseconds.
  absl::Time time = absl::UnixEpoch();
  // kEvents: events.id.
  int64_t event_id = 0;
  // kSessions: session_id; kVisitors: visitor_id.
  std::string key = "";

  friend bool operator==(const PageCursor&, const PageCursor&) = default;
};

struct PageToken {
  ListKind kind = ListKind::kEvents;
  ListFilter filter;
  PageCursor after;

  friend bool operator==(const PageToken&, const PageToken&) = default;
};

// Longest session or visitor id a token carries (ingest allows 200 bytes).
inline constexpr size_t kMaxCursorKeyBytes = 1024;

// The token text. Times are truncated to whole microseconds; `after.key` is
// used for sessions and visitors (at most kMaxCursorKeyBytes), `after.event_id`
// for events.
std::string EncodePageToken(const PageToken& token);

// The token `text` encodes. INVALID_ARGUMENT "page_token: ..." when it is not
// the canonical encoding of a well-formed version-1 token: bad base64, wrong
// version or list, truncated or trailing bytes, times outside
// 0001-01-01..9999-12-31, or a key that is too long, contains NUL or is not
// UTF-8.
absl::StatusOr<PageToken> DecodePageToken(std::string_view text);

// Where a request's page starts: nullopt for an empty token (the first page),
// else the cursor of a token issued by list `kind` for exactly `filter`.
// INVALID_ARGUMENT "page_token: ..." for a malformed token, one of another
// list, or one issued for another site or range.
absl::StatusOr<std::optional<PageCursor>> CursorFromPageToken(
    std::string_view text, ListKind kind, const ListFilter& filter);

}  // namespace analytics::reducer
