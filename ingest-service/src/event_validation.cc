// Ingest validation rules and normalisation.
#include "ingest-service/src/event_validation.h"

#include <cmath>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/json/json_writer.h"
#include "common/time/pg_time.h"
#include "ingest-service/src/user_agent.h"

namespace analytics::ingest {

absl::Status ValidateRequestShape(const v1::IngestRequest& request,
                                  size_t request_bytes,
                                  const IngestLimits& limits) {
  if (request_bytes > limits.max_request_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("request is ", request_bytes, " bytes; the limit is ",
                     limits.max_request_bytes, " bytes"));
  }
  if (request.events_size() == 0) {
    return absl::InvalidArgumentError("events: the batch is empty");
  }
  if (request.events_size() > limits.max_events_per_request) {
    return absl::InvalidArgumentError(
        absl::StrCat("events: ", request.events_size(),
                     " events in one request; the limit is ",
                     limits.max_events_per_request));
  }
  return absl::OkStatus();
}

absl::Status CheckOrigin(const std::string& origin,
                         const std::vector<std::string>& allowed_origins) {
  if (allowed_origins.empty()) return absl::OkStatus();
  for (const std::string& allowed : allowed_origins) {
    if (allowed == origin) return absl::OkStatus();
  }
  if (origin.empty()) {
    return absl::PermissionDeniedError(
        "origin: this site accepts events only from its allowed origins, and "
        "the request names none");
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "origin: '", origin, "' is not an allowed origin of this site"));
}

bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    const unsigned char c = text[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    int length;
    uint32_t code;
    if ((c & 0xE0) == 0xC0) {
      length = 2;
      code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3;
      code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4;
      code = c & 0x07;
    } else {
      return false;
    }
    if (i + length > n) return false;
    for (int k = 1; k < length; ++k) {
      const unsigned char cc = text[i + k];
      if ((cc & 0xC0) != 0x80) return false;
      code = (code << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kMin[length] || code > 0x10FFFF ||
        (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

namespace {

// Collects the first problem of one event.
class EventCheck {
 public:
  // Text stored in PostgreSQL: UTF-8 without NUL, at most `max` bytes.
  void Text(std::string_view field, std::string_view value, size_t max) {
    if (failed()) return;
    if (value.size() > max) {
      Fail(field, absl::StrCat("is ", value.size(), " bytes; the limit is ",
                               max, " bytes"));
    } else if (!IsValidUtf8(value)) {
      Fail(field, "is not valid UTF-8");
    } else if (value.find('\0') != std::string_view::npos) {
      Fail(field, "contains a NUL character");
    }
  }
  void Require(std::string_view field, std::string_view value,
               std::string_view why = "is required") {
    if (!failed() && value.empty()) Fail(field, why);
  }
  void Fail(std::string_view field, std::string_view reason) {
    if (failed()) return;
    field_ = std::string(field);
    reason_ = absl::StrCat(std::string(field), " ", std::string(reason));
  }
  bool failed() const { return !field_.empty(); }
  v1::Rejection ToRejection(int index) const {
    v1::Rejection rejection;
    rejection.set_index(index);
    rejection.set_field(field_);
    rejection.set_reason(reason_);
    return rejection;
  }

 private:
  std::string field_;
  std::string reason_;
};

// The event's own context wins over the batch's, field by field.
const std::string& Pick(const std::string& own, const std::string& batch) {
  return own.empty() ? batch : own;
}

void CheckContext(EventCheck& check, std::string_view prefix,
                  const v1::Context& context, const IngestLimits& limits) {
  const std::pair<const char*, const std::string*> fields[] = {
      {"source", &context.source()},
      {"device", &context.device()},
      {"browser", &context.browser()},
      {"os", &context.os()},
      {"country", &context.country()},
      {"utm_source", &context.utm_source()},
      {"utm_medium", &context.utm_medium()},
      {"utm_campaign", &context.utm_campaign()},
      {"user_agent", &context.user_agent()},
  };
  for (const auto& [name, value] : fields) {
    check.Text(absl::StrCat(std::string(prefix), name), *value,
               limits.max_text_bytes);
  }
}

std::optional<std::string> EncodeProperties(
    EventCheck& check, const v1::Event& event, const IngestLimits& limits,
    const std::function<bool(std::string_view)>& keep_property) {
  if (event.properties_size() > limits.max_properties) {
    check.Fail("properties",
               absl::StrCat("has ", event.properties_size(),
                            " entries; the limit is ", limits.max_properties));
    return std::nullopt;
  }
  // Sorted keys: the stored JSON does not depend on map iteration order.
  std::vector<const std::string*> keys;
  for (const auto& [key, value] : event.properties()) keys.push_back(&key);
  std::sort(keys.begin(), keys.end(),
            [](const std::string* a, const std::string* b) { return *a < *b; });
  JsonWriter json;
  json.BeginObject();
  for (const std::string* key : keys) {
    const v1::PropertyValue& value = event.properties().at(*key);
    const std::string field = absl::StrCat("properties.", *key);
    if (key->empty()) {
      check.Fail("properties", "has an empty key");
      return std::nullopt;
    }
    // The field of a rejection names the key, and rejections travel in proto3
    // strings, which must be valid UTF-8.
    if (!IsValidUtf8(*key)) {
      check.Fail("properties", "has a key that is not valid UTF-8");
      return std::nullopt;
    }
    check.Text(field, *key, limits.max_property_key_bytes);
    if (check.failed()) return std::nullopt;
    // A key the site does not store is still validated (it is part of what
    // was sent), then written nowhere.
    JsonWriter dropped;
    JsonWriter& out = !keep_property || keep_property(*key) ? json : dropped;
    out.Key(*key);
    switch (value.kind_case()) {
      case v1::PropertyValue::kStringValue:
        check.Text(field, value.string_value(),
                   limits.max_property_value_bytes);
        out.String(value.string_value());
        break;
      case v1::PropertyValue::kNumberValue:
        if (!std::isfinite(value.number_value())) {
          check.Fail(field, "is not a finite number");
        } else {
          out.Double(value.number_value());
        }
        break;
      case v1::PropertyValue::kBoolValue:
        out.Bool(value.bool_value());
        break;
      case v1::PropertyValue::kNullValue:
        out.Null();
        break;
      default:
        check.Fail(field, "has no value (set string, number, bool or null)");
    }
    if (check.failed()) return std::nullopt;
  }
  json.EndObject();
  return json.Release();
}

}  // namespace

ValidatedBatch ValidateEvents(
    const v1::IngestRequest& request, const IngestLimits& limits,
    absl::Time now, absl::Duration raw_retention,
    const std::function<bool(std::string_view)>& keep_property) {
  ValidatedBatch batch;
  EventCheck batch_check;
  CheckContext(batch_check, "context.", request.context(), limits);
  for (int i = 0; i < request.events_size(); ++i) {
    const v1::Event& event = request.events(i);
    EventCheck check;
    if (batch_check.failed()) {
      // A bad batch context spoils every event that would inherit it.
      batch.rejected.push_back(batch_check.ToRejection(i));
      continue;
    }
    if (event.type() != v1::PAGEVIEW && event.type() != v1::TRACK &&
        event.type() != v1::IDENTIFY) {
      check.Fail("type", "must be PAGEVIEW, TRACK or IDENTIFY");
    }
    check.Require("visitor_id", event.visitor_id());
    check.Require("session_id", event.session_id());
    if (event.type() == v1::TRACK) {
      check.Require("name", event.name(), "is required for TRACK events");
    }
    check.Text("event_id", event.event_id(), limits.max_id_bytes);
    check.Text("visitor_id", event.visitor_id(), limits.max_id_bytes);
    check.Text("session_id", event.session_id(), limits.max_id_bytes);
    check.Text("user_id", event.user_id(), limits.max_id_bytes);
    check.Text("name", event.name(), limits.max_name_bytes);
    check.Text("path", event.path(), limits.max_text_bytes);
    check.Text("title", event.title(), limits.max_text_bytes);
    check.Text("referrer", event.referrer(), limits.max_text_bytes);
    CheckContext(check, "context.", event.context(), limits);

    absl::Time occurred_at = now;
    if (event.has_occurred_at()) {
      const auto& ts = event.occurred_at();
      if (ts.nanos() < 0 || ts.nanos() > 999999999 ||
          ts.seconds() < -62135596800 || ts.seconds() > 253402300799) {
        check.Fail("occurred_at", "is not a valid timestamp");
      } else {
        occurred_at =
            absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
      }
    }
    if (!check.failed() && occurred_at > now + limits.max_future_skew) {
      check.Fail("occurred_at",
                 absl::StrCat("is more than ",
                              absl::FormatDuration(limits.max_future_skew),
                              " in the future"));
    }
    if (!check.failed() && occurred_at < now - raw_retention) {
      check.Fail("occurred_at",
                 absl::StrCat("is older than the site's raw retention of ",
                              absl::FormatDuration(raw_retention)));
    }
    std::optional<std::string> properties;
    if (!check.failed()) {
      properties = EncodeProperties(check, event, limits, keep_property);
    }
    if (check.failed()) {
      batch.rejected.push_back(check.ToRejection(i));
      continue;
    }

    const v1::Context& own = event.context();
    const v1::Context& shared = request.context();
    IngestEvent out;
    out.index = i;
    out.client_event_id = event.event_id();
    out.type = event.type();
    out.name = event.name();
    out.occurred_at = TruncateToMicros(occurred_at);
    out.visitor_id = event.visitor_id();
    out.session_id = event.session_id();
    out.user_id = event.user_id();
    out.path = event.path();
    out.title = event.title();
    out.referrer = event.referrer();
    out.properties_json = std::move(*properties);
    out.source = Pick(own.source(), shared.source());
    out.device = Pick(own.device(), shared.device());
    out.browser = Pick(own.browser(), shared.browser());
    out.os = Pick(own.os(), shared.os());
    out.country = Pick(own.country(), shared.country());
    out.utm_source = Pick(own.utm_source(), shared.utm_source());
    out.utm_medium = Pick(own.utm_medium(), shared.utm_medium());
    out.utm_campaign = Pick(own.utm_campaign(), shared.utm_campaign());
    out.user_agent = Pick(own.user_agent(), shared.user_agent());
    // What the caller did not say about the device comes from the user
    // agent; the caller's own values win.
    if (!out.user_agent.empty()) {
      const UserAgentInfo agent = ParseUserAgent(out.user_agent);
      if (out.device.empty()) out.device = agent.device;
      if (out.browser.empty()) out.browser = agent.browser;
      if (out.os.empty()) out.os = agent.os;
      out.bot = agent.bot;
    }
    batch.accepted.push_back(std::move(out));
  }
  return batch;
}

}  // namespace analytics::ingest
