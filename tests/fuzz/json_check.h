// A strict JSON (RFC 8259) reader for the fuzz targets: what JsonWriter and
// ingest normalisation produce is parsed back independently of the code that
// wrote it, so a missing escape or a malformed number shows up as a parse
// failure or as a different value, not as a silently accepted document.
//
// Strings are byte strings: \uXXXX escapes are decoded to UTF-8 (surrogate
// pairs joined), any other byte >= 0x20 is taken as is, so text that was not
// UTF-8 still round-trips byte for byte. Header-only; not thread-safe per
// reader, no shared state.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace analytics::fuzz {

struct JsonValue;
using JsonArray = std::vector<JsonValue>;
// Members in document order (duplicates kept), as parallel vectors because
// a std::pair of a still incomplete JsonValue cannot be named here.
struct JsonObject {
  std::vector<std::string> keys;
  std::vector<JsonValue> values;
};

struct JsonValue {
  // Numbers keep their text: the caller decides how to read them.
  struct Number {
    std::string text;
  };
  std::variant<std::nullptr_t, bool, Number, std::string, JsonArray, JsonObject>
      value;
};

class JsonReader {
 public:
  // The one value `text` holds (surrounding whitespace allowed), or nullopt
  // if it is not exactly one well-formed JSON value.
  static std::optional<JsonValue> Parse(std::string_view text) {
    JsonReader reader(text);
    std::optional<JsonValue> v = reader.Value(0);
    reader.SkipSpace();
    if (!v.has_value() || reader.pos_ != text.size()) return std::nullopt;
    return v;
  }

 private:
  // Deeper documents are refused rather than risking the fuzzer's stack.
  static constexpr int kMaxDepth = 200;

  explicit JsonReader(std::string_view text) : in_(text) {}

  void SkipSpace() {
    while (pos_ < in_.size() && (in_[pos_] == ' ' || in_[pos_] == '\t' ||
                                 in_[pos_] == '\n' || in_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool Eat(char c) {
    SkipSpace();
    if (pos_ < in_.size() && in_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool Literal(std::string_view word) {
    if (in_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  std::optional<JsonValue> Value(int depth) {
    if (depth > kMaxDepth) return std::nullopt;
    SkipSpace();
    if (pos_ >= in_.size()) return std::nullopt;
    const char c = in_[pos_];
    if (c == '{') return Object(depth);
    if (c == '[') return Array(depth);
    if (c == '"') {
      std::optional<std::string> s = String();
      if (!s.has_value()) return std::nullopt;
      return JsonValue{*std::move(s)};
    }
    if (Literal("true")) return JsonValue{true};
    if (Literal("false")) return JsonValue{false};
    if (Literal("null")) return JsonValue{nullptr};
    return NumberValue();
  }

  std::optional<JsonValue> Object(int depth) {
    ++pos_;  // '{'
    JsonObject members;
    if (Eat('}')) return JsonValue{std::move(members)};
    do {
      SkipSpace();
      std::optional<std::string> key = String();
      if (!key.has_value() || !Eat(':')) return std::nullopt;
      std::optional<JsonValue> v = Value(depth + 1);
      if (!v.has_value()) return std::nullopt;
      members.keys.push_back(*std::move(key));
      members.values.push_back(*std::move(v));
    } while (Eat(','));
    if (!Eat('}')) return std::nullopt;
    return JsonValue{std::move(members)};
  }

  std::optional<JsonValue> Array(int depth) {
    ++pos_;  // '['
    JsonArray elements;
    if (Eat(']')) return JsonValue{std::move(elements)};
    do {
      std::optional<JsonValue> v = Value(depth + 1);
      if (!v.has_value()) return std::nullopt;
      elements.push_back(*std::move(v));
    } while (Eat(','));
    if (!Eat(']')) return std::nullopt;
    return JsonValue{std::move(elements)};
  }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  std::optional<JsonValue> NumberValue() {
    const size_t start = pos_;
    auto digits = [&] {
      const size_t from = pos_;
      while (pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '9') ++pos_;
      return pos_ > from;
    };
    if (pos_ < in_.size() && in_[pos_] == '-') ++pos_;
    if (pos_ < in_.size() && in_[pos_] == '0') {
      ++pos_;
    } else if (!digits()) {
      return std::nullopt;
    }
    if (pos_ < in_.size() && in_[pos_] == '.') {
      ++pos_;
      if (!digits()) return std::nullopt;
    }
    if (pos_ < in_.size() && (in_[pos_] == 'e' || in_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < in_.size() && (in_[pos_] == '+' || in_[pos_] == '-')) ++pos_;
      if (!digits()) return std::nullopt;
    }
    return JsonValue{
        JsonValue::Number{std::string(in_.substr(start, pos_ - start))}};
  }

  std::optional<uint32_t> Hex4() {
    if (in_.size() - pos_ < 4) return std::nullopt;
    uint32_t v = 0;
    const char* begin = in_.data() + pos_;
    auto [end, ec] = std::from_chars(begin, begin + 4, v, 16);
    if (ec != std::errc() || end != begin + 4) return std::nullopt;
    pos_ += 4;
    return v;
  }

  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  std::optional<std::string> String() {
    if (pos_ >= in_.size() || in_[pos_] != '"') return std::nullopt;
    ++pos_;
    std::string out;
    while (pos_ < in_.size()) {
      const unsigned char c = static_cast<unsigned char>(in_[pos_++]);
      if (c == '"') return out;
      // RFC 8259 section 7: control characters must be escaped.
      if (c < 0x20) return std::nullopt;
      if (c != '\\') {
        out.push_back(static_cast<char>(c));
        continue;
      }
      if (pos_ >= in_.size()) return std::nullopt;
      const char e = in_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out.push_back(e);
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          std::optional<uint32_t> cp = Hex4();
          if (!cp.has_value()) return std::nullopt;
          if (*cp >= 0xD800 && *cp <= 0xDBFF && Literal("\\u")) {
            std::optional<uint32_t> lo = Hex4();
            if (!lo.has_value() || *lo < 0xDC00 || *lo > 0xDFFF) {
              return std::nullopt;
            }
            *cp = 0x10000 + ((*cp - 0xD800) << 10) + (*lo - 0xDC00);
          } else if (*cp >= 0xD800 && *cp <= 0xDFFF) {
            return std::nullopt;  // a lone surrogate
          }
          AppendUtf8(*cp, &out);
          break;
        }
        default:
          return std::nullopt;
      }
    }
    return std::nullopt;  // unterminated
  }

  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace analytics::fuzz
