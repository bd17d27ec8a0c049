// libFuzzer target: page tokens (reducer-service/src/page_token.h), which
// come back from clients as opaque text on every List and GetBreakdown page.
//
// Each input is used twice:
//   1. as token text, through every decoder: no crash, every refusal is
//      INVALID_ARGUMENT "page_token: ...", and a token that decodes is the
//      canonical encoding of what it decodes to (re-encoding gives the same
//      text; for GetBreakdown, the cursor comes back for the same filter);
//   2. as raw material (FuzzedDataProvider) for a token to encode: a List or
//      GetBreakdown token with in-range fields must decode to exactly what
//      was encoded, whatever the key bytes, and be refused by the other
//      decoders.
// Seeds (corpus/page_token/) are tokens of each kind in their text form.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "reducer-service/src/page_token.h"
#include "tests/fuzz/fuzz_support.h"

namespace analytics::reducer {
namespace {

// google.protobuf.Timestamp's range, which tokens keep to.
constexpr int64_t kMinMicros = -62135596800LL * 1000000;
constexpr int64_t kMaxMicros = 253402300799LL * 1000000 + 999999;

void CheckRefusal(const absl::Status& status) {
  FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  FUZZ_CHECK(absl::StartsWith(status.message(), "page_token: "));
}

void CheckText(std::string_view text) {
  absl::StatusOr<PageToken> token = DecodePageToken(text);
  if (token.ok()) {
    FUZZ_CHECK(token->kind != ListKind::kBreakdown);
    FUZZ_CHECK(EncodePageToken(*token) == text);
    absl::StatusOr<std::optional<PageCursor>> cursor =
        CursorFromPageToken(text, token->kind, token->filter);
    FUZZ_CHECK(cursor.ok() && cursor->has_value());
    FUZZ_CHECK(**cursor == token->after);
    CheckRefusal(BreakdownCursorFromToken(text, BreakdownFilter()).status());
  } else {
    CheckRefusal(token.status());
  }
  // Whatever the token, a breakdown decode either refuses it properly or
  // (for a matching filter, which a random one almost never is) succeeds.
  absl::StatusOr<std::optional<BreakdownCursor>> breakdown =
      BreakdownCursorFromToken(text, BreakdownFilter{.dimension = 1});
  if (!breakdown.ok()) CheckRefusal(breakdown.status());
}

absl::Time MicrosIn(FuzzedDataProvider& in) {
  return absl::FromUnixMicros(
      in.ConsumeIntegralInRange<int64_t>(kMinMicros, kMaxMicros));
}

void CheckListRoundTrip(FuzzedDataProvider& in) {
  PageToken token;
  token.kind = static_cast<ListKind>(in.ConsumeIntegralInRange(1, 3));
  token.filter.site_id = in.ConsumeIntegral<int64_t>();
  if (in.ConsumeBool()) token.filter.from = MicrosIn(in);
  if (in.ConsumeBool()) token.filter.to = MicrosIn(in);
  token.after.time = MicrosIn(in);
  if (token.kind == ListKind::kEvents) {
    token.after.event_id = in.ConsumeIntegral<int64_t>();
  } else {
    token.after.key = in.ConsumeRandomLengthString(kMaxCursorKeyBytes);
  }
  const std::string text = EncodePageToken(token);
  absl::StatusOr<PageToken> decoded = DecodePageToken(text);
  if (fuzz::IsStorableText(token.after.key)) {
    FUZZ_CHECK(decoded.ok() && *decoded == token);
  } else {
    // A key PostgreSQL could not hold never comes back as a cursor.
    FUZZ_CHECK(!decoded.ok());
    CheckRefusal(decoded.status());
  }
  CheckRefusal(BreakdownCursorFromToken(text, BreakdownFilter()).status());
}

void CheckBreakdownRoundTrip(FuzzedDataProvider& in) {
  BreakdownFilter filter;
  filter.site_id = in.ConsumeIntegral<int64_t>();
  filter.from = MicrosIn(in);
  filter.to = MicrosIn(in);
  filter.dimension = in.ConsumeIntegralInRange(1, 255);
  filter.sort_by = in.ConsumeIntegralInRange(0, 255);
  BreakdownCursor after;
  after.value = in.ConsumeIntegralInRange<int64_t>(0, INT64_MAX);
  after.key = in.ConsumeRandomLengthString(kMaxBreakdownKeyBytes);
  const std::string text = EncodeBreakdownToken(filter, after);
  absl::StatusOr<std::optional<BreakdownCursor>> cursor =
      BreakdownCursorFromToken(text, filter);
  if (fuzz::IsStorableText(after.key)) {
    FUZZ_CHECK(cursor.ok() && cursor->has_value() && **cursor == after);
    // The same token for any other request is refused.
    BreakdownFilter other = filter;
    other.sort_by = (filter.sort_by + 1) % 256;
    CheckRefusal(BreakdownCursorFromToken(text, other).status());
  } else {
    FUZZ_CHECK(!cursor.ok());
    CheckRefusal(cursor.status());
  }
  CheckRefusal(DecodePageToken(text).status());
}

}  // namespace
}  // namespace analytics::reducer

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  analytics::reducer::CheckText(
      std::string_view(reinterpret_cast<const char*>(data), size));
  FuzzedDataProvider in(data, size);
  if (in.ConsumeBool()) {
    analytics::reducer::CheckListRoundTrip(in);
  } else {
    analytics::reducer::CheckBreakdownRoundTrip(in);
  }
  return 0;
}
