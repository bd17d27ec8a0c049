// JsonWriter: builds JSON text. Used to send whole batches to PostgreSQL as
// one `jsonb` parameter (expanded there by jsonb_to_recordset), which keeps
// every statement parameterised and one round trip per batch.
//
// Strings must be valid UTF-8 without NUL (validated at ingest); other
// control characters are escaped. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace analytics {

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  // Must be finite; written in the shortest form that round-trips.
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // Inserts already-encoded JSON as a value.
  JsonWriter& Raw(std::string_view json);

  // Shorthands for `Key(k).String(v)` etc.
  JsonWriter& Field(std::string_view key, std::string_view value) {
    return Key(key).String(value);
  }
  JsonWriter& Field(std::string_view key, int64_t value) {
    return Key(key).Int(value);
  }

  const std::string& str() const { return out_; }
  std::string Release() { return std::move(out_); }

 private:
  void BeforeValue();

  std::string out_;
  // One entry per open container: whether it has no element yet.
  std::vector<bool> first_;
  bool after_key_ = false;
};

void AppendJsonString(std::string* out, std::string_view value);

}  // namespace analytics
