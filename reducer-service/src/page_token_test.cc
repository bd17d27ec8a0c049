// Page tokens of the List methods and of GetBreakdown: exact round trips, and
// every malformed or misused token is INVALID_ARGUMENT naming page_token.
#include "reducer-service/src/page_token.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"

namespace analytics::reducer {
namespace {

absl::Time At(const char* text) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, text, &t, &err)) << err;
  return t;
}

PageToken EventsToken() {
  return PageToken{
      .kind = ListKind::kEvents,
      .filter = {.site_id = 42,
                 .from = At("2026-01-01T00:00:00.000001Z"),
                 .to = At("2026-02-01T00:00:00Z")},
      .after = {.time = At("2026-01-15T10:11:12.131415Z"), .event_id = 987654}};
}

PageToken VisitorsToken() {
  return PageToken{.kind = ListKind::kVisitors,
                   .filter = {.site_id = 7},
                   .after = {.time = At("2025-12-31T23:59:59.999999Z"),
                             .key = "visitor-\xc3\xa9-1"}};
}

std::string Bytes(const std::string& token) {
  std::string bytes;
  EXPECT_TRUE(absl::WebSafeBase64Unescape(token, &bytes));
  return bytes;
}

std::string Text(const std::string& bytes) {
  return absl::WebSafeBase64Escape(bytes);
}

void ExpectRejected(const std::string& text) {
  absl::StatusOr<PageToken> decoded = DecodePageToken(text);
  ASSERT_FALSE(decoded.ok()) << "accepted: " << text;
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(decoded.status().message(), "page_token: "))
      << decoded.status();
}

TEST(PageTokenTest, RoundTripsEveryKindAndFilterShape) {
  std::vector<PageToken> tokens = {EventsToken(), VisitorsToken()};
  PageToken sessions{.kind = ListKind::kSessions,
                     .filter = {.site_id = 1, .to = At("2026-03-01T00:00:00Z")},
                     .after = {.time = At("2026-02-28T12:00:00Z"), .key = ""}};
  tokens.push_back(sessions);
  sessions.filter = {.site_id = 1, .from = At("1970-01-01T00:00:00Z")};
  sessions.after.key = std::string(kMaxCursorKeyBytes, 's');
  tokens.push_back(sessions);
  // The extremes of the accepted time range and of the integers.
  tokens.push_back(
      PageToken{.kind = ListKind::kEvents,
                .filter = {.site_id = std::numeric_limits<int64_t>::max(),
                           .from = At("0001-01-01T00:00:00Z"),
                           .to = At("9999-12-31T23:59:59.999999Z")},
                .after = {.time = At("0001-01-01T00:00:00Z"),
                          .event_id = std::numeric_limits<int64_t>::min()}});
  tokens.push_back(
      PageToken{.kind = ListKind::kEvents,
                .filter = {.site_id = -3},
                .after = {.time = At("1969-12-31T23:59:59.999999Z"),
                          .event_id = std::numeric_limits<int64_t>::max()}});
  for (const PageToken& token : tokens) {
    const std::string text = EncodePageToken(token);
    SCOPED_TRACE(text);
    EXPECT_LT(text.size(), 2048u);
    for (char c : text) {
      EXPECT_TRUE(absl::ascii_isalnum(c) || c == '-' || c == '_') << c;
    }
    absl::StatusOr<PageToken> decoded = DecodePageToken(text);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_TRUE(*decoded == token);
  }
}

TEST(PageTokenTest, TimesAreKeptToTheMicrosecond) {
  PageToken token = EventsToken();
  token.after.time = At("2026-01-15T10:11:12.131415Z") + absl::Nanoseconds(999);
  absl::StatusOr<PageToken> decoded = DecodePageToken(EncodePageToken(token));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->after.time, At("2026-01-15T10:11:12.131415Z"));
}

TEST(PageTokenTest, EmptyTokenIsTheFirstPage) {
  absl::StatusOr<std::optional<PageCursor>> cursor =
      CursorFromPageToken("", ListKind::kSessions, ListFilter{.site_id = 1});
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  EXPECT_FALSE(cursor->has_value());
}

TEST(PageTokenTest, CursorOfAMatchingRequest) {
  const PageToken token = EventsToken();
  absl::StatusOr<std::optional<PageCursor>> cursor = CursorFromPageToken(
      EncodePageToken(token), ListKind::kEvents, token.filter);
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  ASSERT_TRUE(cursor->has_value());
  EXPECT_TRUE(**cursor == token.after);
}

TEST(PageTokenTest, RejectsTokensOfAnotherListSiteOrRange) {
  const PageToken token = EventsToken();
  const std::string text = EncodePageToken(token);
  auto expect_mismatch = [&](ListKind kind, const ListFilter& filter,
                             const char* says) {
    absl::StatusOr<std::optional<PageCursor>> cursor =
        CursorFromPageToken(text, kind, filter);
    ASSERT_FALSE(cursor.ok());
    EXPECT_EQ(cursor.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StartsWith(cursor.status().message(), "page_token: "));
    EXPECT_TRUE(absl::StrContains(cursor.status().message(), says))
        << cursor.status();
  };
  expect_mismatch(ListKind::kSessions, token.filter, "another List method");
  expect_mismatch(ListKind::kVisitors, token.filter, "another List method");
  ListFilter other = token.filter;
  other.site_id = 43;
  expect_mismatch(ListKind::kEvents, other, "another site_id");
  other = token.filter;
  other.from = *other.from + absl::Microseconds(1);
  expect_mismatch(ListKind::kEvents, other, "another from/to");
  other = token.filter;
  other.to.reset();
  expect_mismatch(ListKind::kEvents, other, "another from/to");
  other = token.filter;
  other.from.reset();
  expect_mismatch(ListKind::kEvents, other, "another from/to");
}

TEST(PageTokenTest, RejectsTextThatIsNotAToken) {
  ExpectRejected("x");
  ExpectRejected("not a token!");
  ExpectRejected("AAAA");
  ExpectRejected("////");  // standard, not web-safe, base64
  ExpectRejected("12345");
  ExpectRejected(std::string(4096, 'A'));
  // Padded or otherwise non-canonical spellings of a valid token.
  const std::string valid = EncodePageToken(EventsToken());
  ExpectRejected(valid + "=");
  ExpectRejected(valid + " ");
  ExpectRejected(" " + valid);
}

TEST(PageTokenTest, RejectsEveryTruncationAndTrailingBytes) {
  for (const PageToken& token : {EventsToken(), VisitorsToken()}) {
    const std::string bytes = Bytes(EncodePageToken(token));
    for (size_t n = 0; n < bytes.size(); ++n) {
      SCOPED_TRACE(n);
      ExpectRejected(Text(bytes.substr(0, n)));
    }
    ExpectRejected(Text(bytes + '\0'));
    ExpectRejected(Text(bytes + "more"));
  }
}

TEST(PageTokenTest, RejectsUnknownVersionListAndFlags) {
  const std::string bytes = Bytes(EncodePageToken(EventsToken()));
  for (const auto& [offset, value] : std::vector<std::pair<size_t, char>>{
           {0, 0}, {0, 2}, {0, '\xff'}, {1, 0}, {1, 4}, {2, 4}, {2, '\x83'}}) {
    std::string changed = bytes;
    changed[offset] = value;
    SCOPED_TRACE(offset);
    ExpectRejected(Text(changed));
  }
  // Flags that drop `to`: the bytes no longer line up.
  std::string changed = bytes;
  changed[2] = 1;
  ExpectRejected(Text(changed));
}

TEST(PageTokenTest, RejectsTimesOutsideTheTimestampRange) {
  PageToken token = EventsToken();
  token.after.time = At("0001-01-01T00:00:00Z") - absl::Microseconds(1);
  ExpectRejected(EncodePageToken(token));
  token = EventsToken();
  token.filter.to = At("9999-12-31T23:59:59.999999Z") + absl::Microseconds(1);
  ExpectRejected(EncodePageToken(token));
}

TEST(PageTokenTest, RejectsKeysThatAreNoIds) {
  PageToken token = VisitorsToken();
  token.after.key = std::string(kMaxCursorKeyBytes + 1, 'v');
  ExpectRejected(EncodePageToken(token));
  token.after.key = std::string("a\0b", 3);
  ExpectRejected(EncodePageToken(token));
  for (const char* bad : {"\xc3", "\xc0\xaf", "\xed\xa0\x80",
                          "\xf4\x90\x80\x80", "\xff", "ok\x80"}) {
    token.after.key = bad;
    SCOPED_TRACE(bad);
    ExpectRejected(EncodePageToken(token));
  }
  // Well-formed multi-byte UTF-8 is fine.
  token.after.key = "\xe2\x82\xac \xf0\x9f\x98\x80 \xed\x9f\xbf";
  EXPECT_TRUE(DecodePageToken(EncodePageToken(token)).ok());
  // A length that claims more bytes than there are.
  std::string bytes = Bytes(EncodePageToken(VisitorsToken()));
  bytes[bytes.size() - VisitorsToken().after.key.size() - 4] = 100;
  ExpectRejected(Text(bytes));
}

// GetBreakdown tokens.

BreakdownFilter Breakdown() {
  return BreakdownFilter{.site_id = 42,
                         .from = At("2026-01-01T00:00:00.000001Z"),
                         .to = At("2026-02-01T00:00:00Z"),
                         .dimension = 1,
                         .sort_by = 2};
}

BreakdownCursor PageCursorOf(int64_t value, std::string key) {
  return BreakdownCursor{.value = value, .key = std::move(key)};
}

// The breakdown token of Breakdown() after ("/pricing", 1234).
std::string BreakdownText() {
  return EncodeBreakdownToken(Breakdown(), PageCursorOf(1234, "/pricing"));
}

// Checks that `text` is refused for `filter` with INVALID_ARGUMENT
// "page_token: ..." containing `says`.
void ExpectBreakdownRejected(const std::string& text,
                             const BreakdownFilter& filter = Breakdown(),
                             const char* says = "") {
  absl::StatusOr<std::optional<BreakdownCursor>> cursor =
      BreakdownCursorFromToken(text, filter);
  ASSERT_FALSE(cursor.ok()) << "accepted: " << text;
  EXPECT_EQ(cursor.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(cursor.status().message(), "page_token: "))
      << cursor.status();
  EXPECT_TRUE(absl::StrContains(cursor.status().message(), says))
      << cursor.status();
}

// A token whose bytes are refused before any filter comparison.
void ExpectBreakdownMalformed(const std::string& text,
                              const BreakdownFilter& filter = Breakdown()) {
  ExpectBreakdownRejected(text, filter, "not a token of this API");
}

TEST(BreakdownTokenTest, RoundTripsCursorsAndFilters) {
  std::vector<std::pair<BreakdownFilter, BreakdownCursor>> cases = {
      {Breakdown(), PageCursorOf(0, "")},
      {Breakdown(), PageCursorOf(std::numeric_limits<int64_t>::max(), "/")},
      {Breakdown(), PageCursorOf(7, std::string(kMaxBreakdownKeyBytes, 'p'))},
      {Breakdown(),
       PageCursorOf(19, "/caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f\x98\x80")},
      // The extremes of the accepted times and of the filter's integers.
      {BreakdownFilter{.site_id = std::numeric_limits<int64_t>::max(),
                       .from = At("0001-01-01T00:00:00Z"),
                       .to = At("9999-12-31T23:59:59.999999Z"),
                       .dimension = 255,
                       .sort_by = 255},
       PageCursorOf(1, "google.com")},
      {BreakdownFilter{.site_id = -3,
                       .from = At("1969-12-31T23:59:59.999999Z"),
                       .to = At("1969-12-31T23:59:59.999999Z"),
                       .dimension = 12,
                       .sort_by = 0},
       PageCursorOf(2, "DE")},
  };
  for (const auto& [filter, after] : cases) {
    const std::string text = EncodeBreakdownToken(filter, after);
    SCOPED_TRACE(text);
    for (char c : text) {
      EXPECT_TRUE(absl::ascii_isalnum(c) || c == '-' || c == '_') << c;
    }
    absl::StatusOr<std::optional<BreakdownCursor>> cursor =
        BreakdownCursorFromToken(text, filter);
    ASSERT_TRUE(cursor.ok()) << cursor.status();
    ASSERT_TRUE(cursor->has_value());
    EXPECT_TRUE(**cursor == after);
  }
}

TEST(BreakdownTokenTest, EmptyTokenIsTheFirstPage) {
  absl::StatusOr<std::optional<BreakdownCursor>> cursor =
      BreakdownCursorFromToken("", Breakdown());
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  EXPECT_FALSE(cursor->has_value());
}

TEST(BreakdownTokenTest, TimesAreKeptToTheMicrosecond) {
  BreakdownFilter filter = Breakdown();
  filter.to = At("2026-02-01T00:00:00.000002Z") + absl::Nanoseconds(999);
  const std::string text = EncodeBreakdownToken(filter, PageCursorOf(3, "/a"));
  filter.to = At("2026-02-01T00:00:00.000002Z");
  absl::StatusOr<std::optional<BreakdownCursor>> cursor =
      BreakdownCursorFromToken(text, filter);
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  EXPECT_TRUE(cursor->has_value());
}

TEST(BreakdownTokenTest, RejectsTokensOfAnotherRequest) {
  const std::string text = BreakdownText();
  BreakdownFilter other = Breakdown();
  other.site_id = 43;
  ExpectBreakdownRejected(text, other, "another site_id");
  other = Breakdown();
  other.from += absl::Microseconds(1);
  ExpectBreakdownRejected(text, other, "another from/to");
  other = Breakdown();
  other.to -= absl::Microseconds(1);
  ExpectBreakdownRejected(text, other, "another from/to");
  other = Breakdown();
  other.dimension = 2;
  ExpectBreakdownRejected(text, other, "another dimension");
  other = Breakdown();
  other.dimension = 257;  // Not a byte: never equal to the token's.
  ExpectBreakdownRejected(text, other, "another dimension");
  other = Breakdown();
  other.sort_by = 0;
  ExpectBreakdownRejected(text, other, "another sort_by");
  other = Breakdown();
  other.sort_by = 3;
  ExpectBreakdownRejected(text, other, "another sort_by");
}

TEST(BreakdownTokenTest, RejectsTokensOfTheListMethods) {
  PageToken sessions = VisitorsToken();
  sessions.kind = ListKind::kSessions;
  for (const PageToken& token : {EventsToken(), sessions, VisitorsToken()}) {
    SCOPED_TRACE(static_cast<int>(token.kind));
    ExpectBreakdownRejected(EncodePageToken(token), Breakdown(),
                            "issued by a List method");
  }
}

TEST(BreakdownTokenTest, ListMethodsRejectBreakdownTokens) {
  const std::string text = BreakdownText();
  absl::StatusOr<PageToken> decoded = DecodePageToken(text);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(decoded.status().message(),
                               "page_token: was issued by GetBreakdown"))
      << decoded.status();
  for (ListKind kind :
       {ListKind::kEvents, ListKind::kSessions, ListKind::kVisitors}) {
    SCOPED_TRACE(static_cast<int>(kind));
    absl::StatusOr<std::optional<PageCursor>> cursor = CursorFromPageToken(
        text, kind,
        ListFilter{
            .site_id = 42, .from = Breakdown().from, .to = Breakdown().to});
    ASSERT_FALSE(cursor.ok());
    EXPECT_EQ(cursor.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StartsWith(cursor.status().message(),
                                 "page_token: was issued by GetBreakdown"))
        << cursor.status();
  }
  // Even a well-formed list body under the breakdown kind is no list token.
  std::string bytes = Bytes(EncodePageToken(EventsToken()));
  bytes[1] = static_cast<char>(ListKind::kBreakdown);
  ExpectRejected(Text(bytes));
}

TEST(BreakdownTokenTest, RejectsTextThatIsNotAToken) {
  ExpectBreakdownMalformed("x");
  ExpectBreakdownMalformed("not a token!");
  ExpectBreakdownRejected("AAAA");   // Three zero bytes: version 0.
  ExpectBreakdownMalformed("////");  // standard, not web-safe, base64
  ExpectBreakdownMalformed(std::string(4096, 'A'));
  const std::string valid = BreakdownText();
  ExpectBreakdownMalformed(valid + "=");
  ExpectBreakdownMalformed(valid + " ");
  ExpectBreakdownMalformed(" " + valid);
}

TEST(BreakdownTokenTest, RejectsEveryTruncationAndTrailingBytes) {
  for (const std::string& text :
       {BreakdownText(),
        EncodeBreakdownToken(Breakdown(), PageCursorOf(0, ""))}) {
    const std::string bytes = Bytes(text);
    // From 1: no bytes at all is "", the first page.
    for (size_t n = 1; n < bytes.size(); ++n) {
      SCOPED_TRACE(n);
      ExpectBreakdownRejected(Text(bytes.substr(0, n)));
    }
    ExpectBreakdownMalformed(Text(bytes + '\0'));
    ExpectBreakdownMalformed(Text(bytes + "more"));
  }
}

TEST(BreakdownTokenTest, RejectsUnknownVersionKindAndDimension) {
  const std::string bytes = Bytes(BreakdownText());
  // Offsets: 0 version, 1 kind, 26 dimension.
  for (const auto& [offset, value] : std::vector<std::pair<size_t, char>>{
           {0, 0}, {0, 2}, {0, '\xff'}, {1, 0}, {1, 5}, {1, '\xff'}, {26, 0}}) {
    std::string changed = bytes;
    changed[offset] = value;
    SCOPED_TRACE(offset);
    ExpectBreakdownRejected(Text(changed));
  }
  // A list kind over a breakdown body: neither a list nor a breakdown token.
  for (ListKind kind :
       {ListKind::kEvents, ListKind::kSessions, ListKind::kVisitors}) {
    std::string changed = bytes;
    changed[1] = static_cast<char>(kind);
    ExpectBreakdownMalformed(Text(changed));
  }
  // Dimension 0 is refused even for a request that asks for it.
  BreakdownFilter filter = Breakdown();
  filter.dimension = 0;
  ExpectBreakdownMalformed(EncodeBreakdownToken(filter, PageCursorOf(1, "/")),
                           filter);
}

TEST(BreakdownTokenTest, RejectsTimesOutsideTheTimestampRange) {
  BreakdownFilter filter = Breakdown();
  filter.from = At("0001-01-01T00:00:00Z") - absl::Microseconds(1);
  ExpectBreakdownMalformed(EncodeBreakdownToken(filter, PageCursorOf(1, "/")),
                           filter);
  filter = Breakdown();
  filter.to = At("9999-12-31T23:59:59.999999Z") + absl::Microseconds(1);
  ExpectBreakdownMalformed(EncodeBreakdownToken(filter, PageCursorOf(1, "/")),
                           filter);
}

TEST(BreakdownTokenTest, RejectsNegativeValues) {
  for (int64_t value : {int64_t{-1}, std::numeric_limits<int64_t>::min()}) {
    SCOPED_TRACE(value);
    ExpectBreakdownMalformed(
        EncodeBreakdownToken(Breakdown(), PageCursorOf(value, "/")));
  }
}

TEST(BreakdownTokenTest, RejectsKeysThatAreNoText) {
  ExpectBreakdownMalformed(EncodeBreakdownToken(
      Breakdown(),
      PageCursorOf(1, std::string(kMaxBreakdownKeyBytes + 1, 'p'))));
  ExpectBreakdownMalformed(EncodeBreakdownToken(
      Breakdown(), PageCursorOf(1, std::string("/a\0b", 4))));
  for (const char* bad : {"\xc3", "\xc0\xaf", "\xed\xa0\x80",
                          "\xf4\x90\x80\x80", "\xff", "/ok\x80"}) {
    SCOPED_TRACE(bad);
    ExpectBreakdownMalformed(
        EncodeBreakdownToken(Breakdown(), PageCursorOf(1, bad)));
  }
  // A length that claims more bytes than there are, or more than any key.
  std::string bytes = Bytes(BreakdownText());
  const size_t length_at = bytes.size() - std::string("/pricing").size() - 4;
  bytes[length_at] = 100;
  ExpectBreakdownMalformed(Text(bytes));
  for (size_t i = 0; i < 4; ++i) bytes[length_at + i] = '\xff';
  ExpectBreakdownMalformed(Text(bytes));
}

}  // namespace
}  // namespace analytics::reducer
