// libFuzzer target: JsonWriter (common/json/json_writer.h), which writes
// every batch Ingest and the reducer send to PostgreSQL as one jsonb
// parameter, with strings taken from clients.
//
// The input drives a random document (nested objects and arrays, keys,
// strings of arbitrary bytes, integers, finite doubles, booleans, nulls);
// the text written must parse back with an independent strict reader
// (json_check.h) to exactly that document: every string byte for byte,
// every integer and double exactly. Strings that are well-formed UTF-8 must
// give well-formed UTF-8 text (what jsonb accepts).
#include <fuzzer/FuzzedDataProvider.h>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/json/json_writer.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/json_check.h"

namespace analytics {
namespace {

using fuzz::JsonArray;
using fuzz::JsonObject;
using fuzz::JsonReader;
using fuzz::JsonValue;

struct Builder {
  FuzzedDataProvider& in;
  JsonWriter& out;
  bool all_utf8 = true;
  int budget = 64;  // values per document, so inputs stay fast

  std::string Bytes() {
    std::string s = in.ConsumeRandomLengthString(64);
    all_utf8 = all_utf8 && fuzz::IsWellFormedUtf8(s);
    return s;
  }

  // Writes one value and returns what it must parse back to.
  JsonValue Value(int depth) {
    --budget;
    const int kind = in.ConsumeIntegralInRange(0, depth < 8 ? 7 : 5);
    switch (kind) {
      case 0:
        out.Null();
        return {nullptr};
      case 1: {
        const bool b = in.ConsumeBool();
        out.Bool(b);
        return {b};
      }
      case 2: {
        const int64_t v = in.ConsumeIntegral<int64_t>();
        out.Int(v);
        return {JsonValue::Number{std::to_string(v)}};
      }
      case 3: {
        double d = in.ConsumeFloatingPoint<double>();
        if (!std::isfinite(d)) d = 0;  // JsonWriter::Double's precondition
        out.Double(d);
        // The text alone (`out` may have put a comma before it); checked
        // numerically below and exactly by CheckDoubles.
        JsonWriter alone;
        alone.Double(d);
        return {JsonValue::Number{alone.str()}};
      }
      case 4:
      case 5: {
        std::string s = Bytes();
        out.String(s);
        return {std::move(s)};
      }
      case 6: {
        out.BeginArray();
        JsonArray elements;
        while (budget > 0 && in.ConsumeBool()) {
          elements.push_back(Value(depth + 1));
        }
        out.EndArray();
        return {std::move(elements)};
      }
      default: {
        out.BeginObject();
        JsonObject members;
        while (budget > 0 && in.ConsumeBool()) {
          members.keys.push_back(Bytes());
          out.Key(members.keys.back());
          members.values.push_back(Value(depth + 1));
        }
        out.EndObject();
        return {std::move(members)};
      }
    }
  }
};

// Numbers compare by value: integers as int64, others as doubles (the
// shortest form JsonWriter writes must read back to the same double).
void ExpectSame(const JsonValue& want, const JsonValue& got) {
  FUZZ_CHECK(want.value.index() == got.value.index());
  if (const auto* w = std::get_if<JsonValue::Number>(&want.value)) {
    const std::string& text = std::get<JsonValue::Number>(got.value).text;
    FUZZ_CHECK(text == w->text);
    double d = 0;
    const char* end = text.data() + text.size();
    FUZZ_CHECK(std::from_chars(text.data(), end, d).ptr == end);
  } else if (const auto* w = std::get_if<JsonArray>(&want.value)) {
    const JsonArray& g = std::get<JsonArray>(got.value);
    FUZZ_CHECK(w->size() == g.size());
    for (size_t i = 0; i < w->size(); ++i) ExpectSame((*w)[i], g[i]);
  } else if (const auto* w = std::get_if<JsonObject>(&want.value)) {
    const JsonObject& g = std::get<JsonObject>(got.value);
    FUZZ_CHECK(w->keys == g.keys);
    for (size_t i = 0; i < w->values.size(); ++i) {
      ExpectSame(w->values[i], g.values[i]);
    }
  } else if (const auto* w = std::get_if<std::string>(&want.value)) {
    FUZZ_CHECK(*w == std::get<std::string>(got.value));
  } else if (const auto* w = std::get_if<bool>(&want.value)) {
    FUZZ_CHECK(*w == std::get<bool>(got.value));
  }  // null: the index says it all
}

void CheckDoubles(FuzzedDataProvider& in) {
  // Exact round trip of the double writer on its own, bit patterns included.
  const double d = in.ConsumeFloatingPoint<double>();
  if (!std::isfinite(d)) return;
  JsonWriter w;
  w.Double(d);
  double back = 0;
  const std::string& text = w.str();
  const char* end = text.data() + text.size();
  FUZZ_CHECK(std::from_chars(text.data(), end, back).ptr == end);
  FUZZ_CHECK(back == d && std::signbit(back) == std::signbit(d));
  FUZZ_CHECK(JsonReader::Parse(text).has_value());
}

}  // namespace
}  // namespace analytics

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fuzz = analytics::fuzz;
  FuzzedDataProvider in(data, size);
  analytics::CheckDoubles(in);

  // AppendJsonString alone: the whole rest of the input as one string.
  {
    const std::string raw =
        in.ConsumeBytesAsString(in.ConsumeIntegralInRange<size_t>(0, 256));
    std::string quoted;
    analytics::AppendJsonString(&quoted, raw);
    std::optional<fuzz::JsonValue> back = fuzz::JsonReader::Parse(quoted);
    FUZZ_CHECK(back.has_value());
    FUZZ_CHECK(std::get<std::string>(back->value) == raw);
    if (fuzz::IsWellFormedUtf8(raw)) {
      FUZZ_CHECK(fuzz::IsWellFormedUtf8(quoted));
    }
  }

  analytics::JsonWriter writer;
  analytics::Builder builder{in, writer};
  const fuzz::JsonValue want = builder.Value(0);
  const std::string text = writer.Release();
  std::optional<fuzz::JsonValue> got = fuzz::JsonReader::Parse(text);
  FUZZ_CHECK(got.has_value());
  analytics::ExpectSame(want, *got);
  if (builder.all_utf8) FUZZ_CHECK(fuzz::IsWellFormedUtf8(text));
  return 0;
}
