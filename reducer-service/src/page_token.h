// Page tokens of QueryService.ListEvents, ListSessions, ListVisitors and
// GetBreakdown: pure encode/decode, no I/O.
//
// A token is the web-safe base64 (unpadded) of a small binary record:
//   u8  version (1)
//   u8  kind (ListKind: 1..3 a List method's, 4 GetBreakdown's)
// then, for the List methods:
//   u8  flags: bit 0 `from` present, bit 1 `to` present
//   i64 site_id
//   i64 from, i64 to (epoch microseconds; each only when present)
//   i64 cursor time (epoch microseconds)
//   events:             i64 event id
//   sessions, visitors: u32 byte length, then the session or visitor id
// and for GetBreakdown:
//   i64 site_id
//   i64 from, i64 to (epoch microseconds)
//   u8  dimension (analytics.v1.Dimension, 1..255)
//   u8  sort_by (analytics.v1.BreakdownMetric, 0..255)
//   i64 cursor value (>= 0)
//   u32 byte length, then the cursor key
// (integers little-endian). The cursor is the sort key of the last row of
// the page the token follows; the rest is the request's filter, so a token
// only continues the listing it came from, and a token of one method is
// refused by every other. Tokens are not signed: a forged token can only
// page through a site its caller may read anyway.
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

// Which method a token belongs to; the values are part of the format.
// kBreakdown is GetBreakdown's (EncodeBreakdownToken), never a List method's.
enum class ListKind : uint8_t {
  kEvents = 1,
  kSessions = 2,
  kVisitors = 3,
  kBreakdown = 4,
};

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

// The token text. `token.kind` is a List method's (not kBreakdown). Times are
// truncated to whole microseconds; `after.key` is used for sessions and
// visitors (at most kMaxCursorKeyBytes), `after.event_id` for events.
std::string EncodePageToken(const PageToken& token);

// The token `text` encodes. INVALID_ARGUMENT "page_token: ..." when it is not
// the canonical encoding of a well-formed version-1 token of a List method:
// bad base64, wrong version or kind (a GetBreakdown token included),
// truncated or trailing bytes, times outside 0001-01-01..9999-12-31, or a key
// that is too long, contains NUL or is not UTF-8.
absl::StatusOr<PageToken> DecodePageToken(std::string_view text);

// Where a request's page starts: nullopt for an empty token (the first page),
// else the cursor of a token issued by list `kind` for exactly `filter`.
// INVALID_ARGUMENT "page_token: ..." for a malformed token, one of another
// list or of GetBreakdown, or one issued for another site or range.
absl::StatusOr<std::optional<PageCursor>> CursorFromPageToken(
    std::string_view text, ListKind kind, const ListFilter& filter);

// What a GetBreakdown request selects; its tokens are only valid for exactly
// this.
struct BreakdownFilter {
  int64_t site_id = 0;
  // [from, to), whole microseconds within 0001-01-01..9999-12-31.
  absl::Time from = absl::UnixEpoch();
  absl::Time to = absl::UnixEpoch();
  // analytics.v1.Dimension value, 1..255.
  int dimension = 0;
  // analytics.v1.BreakdownMetric value, 0..255.
  int sort_by = 0;

  friend bool operator==(const BreakdownFilter&,
                         const BreakdownFilter&) = default;
};

// The sort key of the last row of a breakdown page: rows are ordered by value
// descending, then key ascending in byte order; the next page holds the rows
// strictly after it.
struct BreakdownCursor {
  // The row's `sort_by` metric; >= 0.
  int64_t value = 0;
  // The row's key: UTF-8 without NUL, at most kMaxBreakdownKeyBytes.
  std::string key = "";

  friend bool operator==(const BreakdownCursor&,
                         const BreakdownCursor&) = default;
};

// Longest breakdown key a token carries (ingest allows 2048-byte paths).
inline constexpr size_t kMaxBreakdownKeyBytes = 2048;

// The token text of the GetBreakdown page after `after`, for requests of
// `filter`. Times are truncated to whole microseconds. `filter.dimension` and
// `filter.sort_by` must be in their ranges above; a token whose filter times,
// value or key are out of their ranges is never accepted back.
std::string EncodeBreakdownToken(const BreakdownFilter& filter,
                                 const BreakdownCursor& after);

// Where a GetBreakdown page starts: nullopt for an empty token (the first
// page), else the cursor of a token issued for exactly `filter`.
// INVALID_ARGUMENT "page_token: ..." for text that is not the canonical
// encoding of a well-formed version-1 GetBreakdown token (bad base64, wrong
// version or kind, truncated or trailing bytes, times outside
// 0001-01-01..9999-12-31, dimension 0, a negative value, or a key that is too
// long, contains NUL or is not UTF-8), for a token of a List method, and for
// one issued for another site_id, from/to, dimension or sort_by.
absl::StatusOr<std::optional<BreakdownCursor>> BreakdownCursorFromToken(
    std::string_view text, const BreakdownFilter& filter);

}  // namespace analytics::reducer
