// Page token encoding: the record layouts are documented in page_token.h.
#include "reducer-service/src/page_token.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace analytics::reducer {
namespace {

constexpr uint8_t kVersion = 1;
constexpr uint8_t kHasFrom = 1;
constexpr uint8_t kHasTo = 2;
// The longest version-1 records: a List method's, and GetBreakdown's.
constexpr size_t kMaxListRecordBytes = 3 + 5 * 8 + 4 + kMaxCursorKeyBytes;
constexpr size_t kMaxBreakdownRecordBytes =
    2 + 3 * 8 + 2 + 8 + 4 + kMaxBreakdownKeyBytes;
// Their unpadded base64 is at most 4 * ceil(bytes / 3) characters (1428 and
// 2784); longer text is rejected unread.
constexpr size_t kMaxTokenChars = 3072;
static_assert(4 * ((kMaxListRecordBytes + 2) / 3) <= kMaxTokenChars);
static_assert(4 * ((kMaxBreakdownRecordBytes + 2) / 3) <= kMaxTokenChars);
// google.protobuf.Timestamp's range, 0001-01-01 to 9999-12-31 (UTC).
constexpr int64_t kMinMicros = -62135596800LL * 1000000;
constexpr int64_t kMaxMicros = 253402300799LL * 1000000 + 999999;

absl::Status Malformed() {
  return absl::InvalidArgumentError("page_token: not a token of this API");
}

class Writer {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U32(uint32_t v) {
    for (int i = 0; i < 4; ++i) U8(static_cast<uint8_t>(v >> (8 * i)));
  }
  void I64(int64_t v) {
    const uint64_t u = static_cast<uint64_t>(v);
    for (int i = 0; i < 8; ++i) U8(static_cast<uint8_t>(u >> (8 * i)));
  }
  void Bytes(std::string_view v) { out_.append(v); }
  const std::string& str() const { return out_; }

 private:
  std::string out_;
};

// Reads fixed-width fields; every read fails (returns false) past the end.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool U8(uint8_t* v) {
    if (in_.empty()) return false;
    *v = static_cast<uint8_t>(in_.front());
    in_.remove_prefix(1);
    return true;
  }
  bool U32(uint32_t* v) {
    uint64_t u = 0;
    if (!Unsigned(4, &u)) return false;
    *v = static_cast<uint32_t>(u);
    return true;
  }
  bool I64(int64_t* v) {
    uint64_t u = 0;
    if (!Unsigned(8, &u)) return false;
    *v = static_cast<int64_t>(u);
    return true;
  }
  bool Bytes(size_t n, std::string* v) {
    if (in_.size() < n) return false;
    v->assign(in_.substr(0, n));
    in_.remove_prefix(n);
    return true;
  }
  bool done() const { return in_.empty(); }

 private:
  bool Unsigned(int bytes, uint64_t* v) {
    if (in_.size() < static_cast<size_t>(bytes)) return false;
    *v = 0;
    for (int i = 0; i < bytes; ++i) {
      *v |= static_cast<uint64_t>(static_cast<uint8_t>(in_[i])) << (8 * i);
    }
    in_.remove_prefix(bytes);
    return true;
  }

  std::string_view in_;
};

bool ReadTime(Reader& in, absl::Time* t) {
  int64_t micros = 0;
  if (!in.I64(&micros) || micros < kMinMicros || micros > kMaxMicros) {
    return false;
  }
  *t = absl::FromUnixMicros(micros);
  return true;
}

// Well-formed UTF-8 without NUL (PostgreSQL text cannot hold NUL): no
// overlong forms, no surrogates, nothing above U+10FFFF.
bool IsTextKey(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    int extra = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (s.size() - i <= static_cast<size_t>(extra)) return false;
    for (int k = 1; k <= extra; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return false;
    }
    i += extra + 1;
  }
  return true;
}

struct BreakdownToken {
  BreakdownFilter filter;
  BreakdownCursor after;
};

std::string Text(const Writer& out) {
  return absl::WebSafeBase64Escape(
      absl::string_view(out.str().data(), out.str().size()));
}

// The record `text` spells, past its version and kind bytes (`*kind`), once
// the text is the canonical base64 of a version-1 record.
absl::Status Open(std::string_view text, std::string* body, uint8_t* kind) {
  if (text.empty() || text.size() > kMaxTokenChars) return Malformed();
  const absl::string_view encoded(text.data(), text.size());
  std::string bytes;
  // Only the canonical (unpadded) spelling: one token, one text.
  if (!absl::WebSafeBase64Unescape(encoded, &bytes) ||
      absl::WebSafeBase64Escape(bytes) != encoded) {
    return Malformed();
  }
  Reader in(bytes);
  uint8_t version = 0;
  if (!in.U8(&version) || !in.U8(kind)) return Malformed();
  if (version != kVersion) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_token: version ", version, " is not supported; start over"));
  }
  body->assign(bytes, 2);
  return absl::OkStatus();
}

bool IsListKind(uint8_t kind) {
  return kind >= static_cast<uint8_t>(ListKind::kEvents) &&
         kind <= static_cast<uint8_t>(ListKind::kVisitors);
}

// A u32 byte length, then that many bytes: at most `max`, UTF-8, no NUL.
bool ReadKey(Reader& in, size_t max, std::string* key) {
  uint32_t length = 0;
  return in.U32(&length) && length <= max && in.Bytes(length, key) &&
         IsTextKey(*key);
}

// The rest of a List method's record, to its end; token->kind is set.
bool ReadListBody(Reader& in, PageToken* token) {
  uint8_t flags = 0;
  if (!in.U8(&flags) || (flags & ~(kHasFrom | kHasTo)) != 0) return false;
  if (!in.I64(&token->filter.site_id)) return false;
  if ((flags & kHasFrom) != 0 && !ReadTime(in, &token->filter.from.emplace())) {
    return false;
  }
  if ((flags & kHasTo) != 0 && !ReadTime(in, &token->filter.to.emplace())) {
    return false;
  }
  if (!ReadTime(in, &token->after.time)) return false;
  if (token->kind == ListKind::kEvents) {
    if (!in.I64(&token->after.event_id)) return false;
  } else if (!ReadKey(in, kMaxCursorKeyBytes, &token->after.key)) {
    return false;
  }
  return in.done();
}

// The rest of a GetBreakdown record, to its end.
bool ReadBreakdownBody(Reader& in, BreakdownToken* token) {
  uint8_t dimension = 0, sort_by = 0;
  if (!in.I64(&token->filter.site_id) || !ReadTime(in, &token->filter.from) ||
      !ReadTime(in, &token->filter.to) || !in.U8(&dimension) ||
      dimension == 0 || !in.U8(&sort_by) || !in.I64(&token->after.value) ||
      token->after.value < 0 ||
      !ReadKey(in, kMaxBreakdownKeyBytes, &token->after.key)) {
    return false;
  }
  token->filter.dimension = dimension;
  token->filter.sort_by = sort_by;
  return in.done();
}

}  // namespace

std::string EncodePageToken(const PageToken& token) {
  Writer out;
  out.U8(kVersion);
  out.U8(static_cast<uint8_t>(token.kind));
  out.U8((token.filter.from.has_value() ? kHasFrom : 0) |
         (token.filter.to.has_value() ? kHasTo : 0));
  out.I64(token.filter.site_id);
  if (token.filter.from.has_value()) {
    out.I64(absl::ToUnixMicros(*token.filter.from));
  }
  if (token.filter.to.has_value()) {
    out.I64(absl::ToUnixMicros(*token.filter.to));
  }
  out.I64(absl::ToUnixMicros(token.after.time));
  if (token.kind == ListKind::kEvents) {
    out.I64(token.after.event_id);
  } else {
    out.U32(static_cast<uint32_t>(token.after.key.size()));
    out.Bytes(token.after.key);
  }
  return Text(out);
}

absl::StatusOr<PageToken> DecodePageToken(std::string_view text) {
  std::string body;
  uint8_t kind = 0;
  if (absl::Status opened = Open(text, &body, &kind); !opened.ok()) {
    return opened;
  }
  Reader in(body);
  if (IsListKind(kind)) {
    PageToken token;
    token.kind = static_cast<ListKind>(kind);
    if (ReadListBody(in, &token)) return token;
  } else if (kind == static_cast<uint8_t>(ListKind::kBreakdown)) {
    BreakdownToken other;
    if (ReadBreakdownBody(in, &other)) {
      return absl::InvalidArgumentError(
          "page_token: was issued by GetBreakdown, not a List method");
    }
  }
  return Malformed();
}

absl::StatusOr<std::optional<PageCursor>> CursorFromPageToken(
    std::string_view text, ListKind kind, const ListFilter& filter) {
  if (text.empty()) return std::nullopt;
  absl::StatusOr<PageToken> token = DecodePageToken(text);
  if (!token.ok()) return token.status();
  if (token->kind != kind) {
    return absl::InvalidArgumentError(
        "page_token: was issued by another List method");
  }
  if (token->filter.site_id != filter.site_id) {
    return absl::InvalidArgumentError(
        "page_token: was issued for another site_id");
  }
  if (token->filter != filter) {
    return absl::InvalidArgumentError(
        "page_token: was issued for another from/to; pass the same range on "
        "every page");
  }
  return std::optional<PageCursor>(std::move(token->after));
}

std::string EncodeBreakdownToken(const BreakdownFilter& filter,
                                 const BreakdownCursor& after) {
  Writer out;
  out.U8(kVersion);
  out.U8(static_cast<uint8_t>(ListKind::kBreakdown));
  out.I64(filter.site_id);
  out.I64(absl::ToUnixMicros(filter.from));
  out.I64(absl::ToUnixMicros(filter.to));
  out.U8(static_cast<uint8_t>(filter.dimension));
  out.U8(static_cast<uint8_t>(filter.sort_by));
  out.I64(after.value);
  out.U32(static_cast<uint32_t>(after.key.size()));
  out.Bytes(after.key);
  return Text(out);
}

absl::StatusOr<std::optional<BreakdownCursor>> BreakdownCursorFromToken(
    std::string_view text, const BreakdownFilter& filter) {
  if (text.empty()) return std::nullopt;
  std::string body;
  uint8_t kind = 0;
  if (absl::Status opened = Open(text, &body, &kind); !opened.ok()) {
    return opened;
  }
  Reader in(body);
  BreakdownToken token;
  if (kind == static_cast<uint8_t>(ListKind::kBreakdown)) {
    if (!ReadBreakdownBody(in, &token)) return Malformed();
  } else if (IsListKind(kind)) {
    PageToken other;
    other.kind = static_cast<ListKind>(kind);
    if (!ReadListBody(in, &other)) return Malformed();
    return absl::InvalidArgumentError(
        "page_token: was issued by a List method, not GetBreakdown");
  } else {
    return Malformed();
  }
  if (token.filter.site_id != filter.site_id) {
    return absl::InvalidArgumentError(
        "page_token: was issued for another site_id");
  }
  if (token.filter.from != filter.from || token.filter.to != filter.to) {
    return absl::InvalidArgumentError(
        "page_token: was issued for another from/to; pass the same range on "
        "every page");
  }
  if (token.filter.dimension != filter.dimension) {
    return absl::InvalidArgumentError(
        "page_token: was issued for another dimension; pass the same "
        "dimension on every page");
  }
  if (token.filter.sort_by != filter.sort_by) {
    return absl::InvalidArgumentError(
        "page_token: was issued for another sort_by; pass the same sort_by "
        "on every page");
  }
  return std::optional<BreakdownCursor>(std::move(token.after));
}

}  // namespace analytics::reducer
