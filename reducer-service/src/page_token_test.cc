// Page tokens: exact round trips, and every malformed or misused token is
// INVALID_ARGUMENT naming page_token.
#include "reducer-service/src/page_token.h"

#include <gtest/gtest.h>

#include <limits>

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

}  // namespace
}  // namespace analytics::reducer
