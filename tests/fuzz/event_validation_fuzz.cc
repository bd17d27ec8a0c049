// libFuzzer target: Ingest request validation and normalisation
// (ingest-service/src/event_validation.h), the first code to see what
// clients send.
//
// Each input is tried three ways, so one corpus serves all of them:
//   1. as a text-format IngestRequest (the seeds in corpus/event_validation/
//      are readable text protos);
//   2. as a serialized IngestRequest, the bytes gRPC hands to the service;
//   3. as raw material for a request built field by field
//      (FuzzedDataProvider), with small limits: protobuf's parser refuses
//      proto3 strings that are not UTF-8, so only this way reaches the
//      invalid-UTF-8, NUL and over-limit rules with arbitrary bytes.
// Debian packages no libprotobuf-mutator, hence the byte-level approach.
//
// Beyond "no crash, no sanitizer report", every result must keep the
// promises the rest of ingest relies on: each event is accepted or rejected
// exactly once; rejections are valid UTF-8 (they travel in proto3 strings);
// accepted events hold only storable text within the limits, a time inside
// the accepted window at whole microseconds, properties as a JSON object
// with exactly the kept keys and the sent values, and device, browser, os
// and bot from the caller or else from the user agent.
#include <fuzzer/FuzzedDataProvider.h>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/text_format.h>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "analytics/v1/ingest.pb.h"
#include "common/time/pg_time.h"
#include "ingest-service/src/event_validation.h"
#include "ingest-service/src/user_agent.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/json_check.h"

namespace analytics::ingest {
namespace {

using fuzz::IsStorableText;
using fuzz::IsWellFormedUtf8;
using fuzz::JsonReader;
using fuzz::JsonValue;

// 2026-01-01T00:00:00Z, as in event_validation_test.cc.
const absl::Time kNow = absl::FromUnixSeconds(1767225600);
const absl::Duration kRetention = absl::Hours(24 * 400);

// Deterministic, and keeps some keys and drops others (like a site's
// allow/deny lists would).
bool KeepProperty(std::string_view key) { return key.size() % 3 != 0; }

void CheckText(std::string_view value, size_t max) {
  FUZZ_CHECK(value.size() <= max);
  FUZZ_CHECK(IsStorableText(value));
}

void CheckProperties(const v1::Event& event, const IngestEvent& out) {
  std::optional<JsonValue> parsed = JsonReader::Parse(out.properties_json);
  FUZZ_CHECK(parsed.has_value());
  const auto* object = std::get_if<fuzz::JsonObject>(&parsed->value);
  FUZZ_CHECK(object != nullptr);
  std::set<std::string> kept;
  for (const auto& [key, value] : event.properties()) {
    if (KeepProperty(key)) kept.insert(key);
  }
  FUZZ_CHECK(object->keys.size() == kept.size());
  auto expected_key = kept.begin();
  for (size_t i = 0; i < object->keys.size(); ++i) {
    const std::string& key = object->keys[i];
    const JsonValue& value = object->values[i];
    // Sorted keys, so equal properties give equal stored JSON.
    FUZZ_CHECK(key == *expected_key++);
    const v1::PropertyValue& sent = event.properties().at(key);
    switch (sent.kind_case()) {
      case v1::PropertyValue::kStringValue: {
        const auto* s = std::get_if<std::string>(&value.value);
        FUZZ_CHECK(s != nullptr && *s == sent.string_value());
        break;
      }
      case v1::PropertyValue::kNumberValue: {
        const auto* n = std::get_if<JsonValue::Number>(&value.value);
        FUZZ_CHECK(n != nullptr);
        double back = 0;
        const char* end = n->text.data() + n->text.size();
        FUZZ_CHECK(std::from_chars(n->text.data(), end, back).ptr == end);
        FUZZ_CHECK(back == sent.number_value());
        break;
      }
      case v1::PropertyValue::kBoolValue: {
        const auto* b = std::get_if<bool>(&value.value);
        FUZZ_CHECK(b != nullptr && *b == sent.bool_value());
        break;
      }
      case v1::PropertyValue::kNullValue:
        FUZZ_CHECK(std::holds_alternative<std::nullptr_t>(value.value));
        break;
      default:
        FUZZ_CHECK(false);  // an event without a value must be rejected
    }
  }
}

void CheckAccepted(const v1::IngestRequest& request, const IngestLimits& limits,
                   const IngestEvent& out) {
  const v1::Event& event = request.events(out.index);
  FUZZ_CHECK(out.type == v1::PAGEVIEW || out.type == v1::TRACK ||
             out.type == v1::IDENTIFY);
  FUZZ_CHECK(!out.visitor_id.empty() && !out.session_id.empty());
  FUZZ_CHECK(out.type != v1::TRACK || !out.name.empty());
  CheckText(out.client_event_id, limits.max_id_bytes);
  CheckText(out.visitor_id, limits.max_id_bytes);
  CheckText(out.session_id, limits.max_id_bytes);
  CheckText(out.user_id, limits.max_id_bytes);
  CheckText(out.name, limits.max_name_bytes);
  for (const std::string* text :
       {&out.path, &out.title, &out.referrer, &out.source, &out.country,
        &out.utm_source, &out.utm_medium, &out.utm_campaign, &out.user_agent}) {
    CheckText(*text, limits.max_text_bytes);
  }
  FUZZ_CHECK(out.client_event_id == event.event_id());
  FUZZ_CHECK(out.path == event.path());

  FUZZ_CHECK(out.occurred_at == TruncateToMicros(out.occurred_at));
  FUZZ_CHECK(out.occurred_at <= kNow + limits.max_future_skew);
  FUZZ_CHECK(out.occurred_at > kNow - kRetention - absl::Microseconds(1));

  // The event's own context wins over the batch's, then the user agent.
  auto pick = [](const std::string& own, const std::string& batch) {
    return own.empty() ? batch : own;
  };
  const v1::Context& own = event.context();
  const v1::Context& shared = request.context();
  FUZZ_CHECK(out.user_agent == pick(own.user_agent(), shared.user_agent()));
  const UserAgentInfo agent = ParseUserAgent(out.user_agent);
  auto derived = [&](const std::string& given, const std::string& from_ua) {
    return !given.empty() || out.user_agent.empty() ? given : from_ua;
  };
  FUZZ_CHECK(out.device ==
             derived(pick(own.device(), shared.device()), agent.device));
  FUZZ_CHECK(out.browser ==
             derived(pick(own.browser(), shared.browser()), agent.browser));
  FUZZ_CHECK(out.os == derived(pick(own.os(), shared.os()), agent.os));
  FUZZ_CHECK(out.bot == (!out.user_agent.empty() && agent.bot));
  // Whatever the UA parser adds is itself short, storable text.
  CheckText(out.device, limits.max_text_bytes + 16);
  CheckText(out.browser, limits.max_text_bytes + 16);
  CheckText(out.os, limits.max_text_bytes + 16);

  CheckProperties(event, out);
}

void Check(const v1::IngestRequest& request, const IngestLimits& limits) {
  (void)ValidateRequestShape(request, request.ByteSizeLong(), limits);
  (void)CheckOrigin(request.origin(), {});
  (void)CheckOrigin(request.origin(), {"https://example.com"});

  const ValidatedBatch batch =
      ValidateEvents(request, limits, kNow, kRetention, KeepProperty);
  FUZZ_CHECK(batch.accepted.size() + batch.rejected.size() ==
             static_cast<size_t>(request.events_size()));
  std::set<int> seen;
  for (const v1::Rejection& rejection : batch.rejected) {
    FUZZ_CHECK(rejection.index() >= 0 &&
               rejection.index() < request.events_size());
    FUZZ_CHECK(seen.insert(rejection.index()).second);
    FUZZ_CHECK(!rejection.field().empty());
    FUZZ_CHECK(rejection.reason().rfind(rejection.field() + " ", 0) == 0);
    FUZZ_CHECK(IsWellFormedUtf8(rejection.field()));
    FUZZ_CHECK(IsWellFormedUtf8(rejection.reason()));
  }
  for (const IngestEvent& event : batch.accepted) {
    FUZZ_CHECK(event.index >= 0 && event.index < request.events_size());
    FUZZ_CHECK(seen.insert(event.index).second);
    CheckAccepted(request, limits, event);
  }
}

// --- requests built from raw bytes -----------------------------------------

std::string Text(FuzzedDataProvider& in) {
  return in.ConsumeRandomLengthString(48);
}

void FillContext(FuzzedDataProvider& in, v1::Context* context) {
  if (in.ConsumeBool()) context->set_source(Text(in));
  if (in.ConsumeBool()) context->set_device(Text(in));
  if (in.ConsumeBool()) context->set_browser(Text(in));
  if (in.ConsumeBool()) context->set_os(Text(in));
  if (in.ConsumeBool()) context->set_country(Text(in));
  if (in.ConsumeBool()) context->set_utm_source(Text(in));
  if (in.ConsumeBool()) context->set_utm_medium(Text(in));
  if (in.ConsumeBool()) context->set_utm_campaign(Text(in));
  if (in.ConsumeBool()) context->set_user_agent(in.ConsumeRandomLengthString());
}

void FillEvent(FuzzedDataProvider& in, v1::Event* event) {
  // Out-of-range values too: proto3 enums are open.
  event->set_type(static_cast<v1::EventType>(in.ConsumeIntegralInRange(-1, 4)));
  if (in.ConsumeBool()) event->set_event_id(Text(in));
  event->set_visitor_id(Text(in));
  event->set_session_id(Text(in));
  if (in.ConsumeBool()) event->set_user_id(Text(in));
  if (in.ConsumeBool()) event->set_name(Text(in));
  if (in.ConsumeBool()) event->set_path(Text(in));
  if (in.ConsumeBool()) event->set_title(Text(in));
  if (in.ConsumeBool()) event->set_referrer(Text(in));
  if (in.ConsumeBool()) {
    auto* ts = event->mutable_occurred_at();
    // Near `now` (inside or just outside the window) or anything at all.
    ts->set_seconds(in.ConsumeBool()
                        ? absl::ToUnixSeconds(kNow) +
                              in.ConsumeIntegralInRange<int64_t>(
                                  -2 * absl::ToInt64Seconds(kRetention), 3600)
                        : in.ConsumeIntegral<int64_t>());
    ts->set_nanos(in.ConsumeBool() ? in.ConsumeIntegralInRange(0, 999999999)
                                   : in.ConsumeIntegral<int32_t>());
  }
  if (in.ConsumeBool()) FillContext(in, event->mutable_context());
  const int properties = in.ConsumeIntegralInRange(0, 6);
  for (int i = 0; i < properties; ++i) {
    v1::PropertyValue& value = (*event->mutable_properties())[Text(in)];
    switch (in.ConsumeIntegralInRange(0, 4)) {
      case 0:
        value.set_string_value(Text(in));
        break;
      case 1:
        value.set_number_value(in.ConsumeFloatingPoint<double>());
        break;
      case 2:
        value.set_bool_value(in.ConsumeBool());
        break;
      case 3:
        value.set_null_value(true);
        break;
      default:
        break;  // no value at all
    }
  }
}

void FuzzStructured(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  // Small limits, so the "too long" and "too many" rules are reached by
  // short inputs.
  IngestLimits limits;
  limits.max_events_per_request = in.ConsumeIntegralInRange(1, 8);
  limits.max_id_bytes = in.ConsumeIntegralInRange<size_t>(0, 40);
  limits.max_name_bytes = in.ConsumeIntegralInRange<size_t>(0, 40);
  limits.max_text_bytes = in.ConsumeIntegralInRange<size_t>(0, 600);
  limits.max_properties = in.ConsumeIntegralInRange(0, 6);
  limits.max_property_key_bytes = in.ConsumeIntegralInRange<size_t>(0, 40);
  limits.max_property_value_bytes = in.ConsumeIntegralInRange<size_t>(0, 40);
  v1::IngestRequest request;
  if (in.ConsumeBool()) request.set_origin(Text(in));
  if (in.ConsumeBool()) FillContext(in, request.mutable_context());
  const int events = in.ConsumeIntegralInRange(0, 4);
  for (int i = 0; i < events; ++i) FillEvent(in, request.add_events());
  Check(request, limits);
}

}  // namespace
}  // namespace analytics::ingest

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Inputs protobuf refuses are the normal case here (and logged as
  // ERROR); only what ends the process is worth printing.
  google::protobuf::SetLogHandler([](google::protobuf::LogLevel level,
                                     const char* file, int line,
                                     const std::string& message) {
    if (level >= google::protobuf::LOGLEVEL_FATAL) {
      std::fprintf(stderr, "[protobuf %s:%d] %s\n", file, line,
                   message.c_str());
    }
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using analytics::ingest::Check;
  using analytics::ingest::IngestLimits;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  analytics::v1::IngestRequest request;
  if (google::protobuf::TextFormat::ParseFromString(bytes, &request)) {
    Check(request, IngestLimits());
  }
  request.Clear();
  if (request.ParseFromString(bytes)) Check(request, IngestLimits());
  analytics::ingest::FuzzStructured(data, size);
  return 0;
}
