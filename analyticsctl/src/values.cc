// Parsing of analyticsctl flag values.
#include "analyticsctl/src/values.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace analytics::cli {
namespace {

// Debian's Abseil has its own string_view type; this is the one crossing.
absl::string_view Absl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
// Stricter than strtod on purpose: "007" (an id, a zip code) stays a string.
bool IsJsonNumber(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    const size_t start = i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    return i > start;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

}  // namespace

absl::StatusOr<absl::Time> ParseTimeArg(std::string_view text, absl::Time now) {
  if (text == "now") return now;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    absl::Duration offset;
    // A finite offset can still overflow absl::Time ("+2562047788015215h")
    // and saturate to an infinite time, which no Timestamp can carry.
    if (!absl::ParseDuration(Absl(text), &offset) ||
        offset == absl::InfiniteDuration() ||
        offset == -absl::InfiniteDuration() ||
        now + offset == absl::InfiniteFuture() ||
        now + offset == absl::InfinitePast()) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", std::string(text),
                       "' is not a relative time: use e.g. -1h, -30m, -90s"));
    }
    return now + offset;
  }
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, Absl(text), &t, &error) ||
      t == absl::InfiniteFuture() || t == absl::InfinitePast()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", std::string(text),
        "' is not a time: use RFC 3339 (2026-01-02T15:04:05Z), 'now' or a "
        "relative time such as -1h"));
  }
  return t;
}

absl::StatusOr<absl::Duration> ParsePositiveDuration(std::string_view flag,
                                                     std::string_view text) {
  absl::Duration d;
  if (!absl::ParseDuration(Absl(text), &d) || d <= absl::ZeroDuration() ||
      d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", std::string(flag), ": '", std::string(text),
                     "' is not a positive duration such as 5s, 30m or 1h30m"));
  }
  return d;
}

absl::StatusOr<absl::Duration> ParseNonNegativeDuration(std::string_view flag,
                                                        std::string_view text) {
  absl::Duration d;
  if (!absl::ParseDuration(Absl(text), &d) || d < absl::ZeroDuration() ||
      d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", std::string(flag), ": '", std::string(text),
                     "' is not a duration of 0 or more such as 0s, 30m or 1h"));
  }
  return d;
}

absl::StatusOr<int64_t> ParseSiteId(std::string_view text) {
  int64_t id = 0;
  if (!absl::SimpleAtoi(Absl(text), &id) || id <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--site: '", std::string(text),
                     "' is not a site id (a positive integer)"));
  }
  return id;
}

absl::StatusOr<std::vector<int64_t>> ParseEventIds(std::string_view flag,
                                                   std::string_view text) {
  std::vector<int64_t> ids;
  for (const std::string& part : SplitList(text)) {
    int64_t id = 0;
    if (!absl::SimpleAtoi(part, &id) || id <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", std::string(flag), ": '", part,
                       "' is not an event id (a positive integer)"));
    }
    ids.push_back(id);
  }
  if (ids.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", std::string(flag), " lists no event ids (use e.g. 1,2,3)"));
  }
  return ids;
}

absl::StatusOr<int32_t> ParsePageSize(std::string_view text) {
  int32_t size = 0;
  if (!absl::SimpleAtoi(Absl(text), &size) || size < 1 || size > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("--page-size: '", std::string(text),
                     "' is not a page size from 1 to 1000"));
  }
  return size;
}

absl::StatusOr<int32_t> ParseLimit(std::string_view text) {
  int32_t limit = 0;
  if (!absl::SimpleAtoi(Absl(text), &limit) || limit < 1 || limit > 1000) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--limit: '", std::string(text), "' is not a limit from 1 to 1000"));
  }
  return limit;
}

absl::StatusOr<v1::FailedEventState> ParseFailedEventState(
    std::string_view text) {
  const std::string lower = absl::AsciiStrToLower(Absl(text));
  if (lower == "retrying") return v1::RETRYING;
  if (lower == "dead") return v1::DEAD;
  return absl::InvalidArgumentError(absl::StrCat(
      "--state: '", std::string(text), "' is not one of retrying, dead"));
}

absl::StatusOr<v1::Interval> ParseInterval(std::string_view text) {
  const std::string lower = absl::AsciiStrToLower(Absl(text));
  if (lower == "hour") return v1::HOUR;
  if (lower == "day") return v1::DAY;
  if (lower == "week") return v1::WEEK;
  if (lower == "month") return v1::MONTH;
  return absl::InvalidArgumentError(
      absl::StrCat("--interval: '", std::string(text),
                   "' is not one of hour, day, week, month"));
}

absl::StatusOr<v1::Dimension> ParseDimension(std::string_view text) {
  static constexpr std::pair<const char*, v1::Dimension> kDimensions[] = {
      {"page", v1::DIMENSION_PAGE},
      {"entry-page", v1::DIMENSION_ENTRY_PAGE},
      {"exit-page", v1::DIMENSION_EXIT_PAGE},
      {"referrer", v1::DIMENSION_REFERRER},
      {"utm-source", v1::DIMENSION_UTM_SOURCE},
      {"utm-medium", v1::DIMENSION_UTM_MEDIUM},
      {"utm-campaign", v1::DIMENSION_UTM_CAMPAIGN},
      {"event", v1::DIMENSION_EVENT},
      {"device", v1::DIMENSION_DEVICE},
      {"browser", v1::DIMENSION_BROWSER},
      {"os", v1::DIMENSION_OS},
      {"country", v1::DIMENSION_COUNTRY},
  };
  std::string name = absl::AsciiStrToLower(Absl(text));
  std::replace(name.begin(), name.end(), '_', '-');
  std::vector<std::string> names;
  for (const auto& [spelling, dimension] : kDimensions) {
    if (name == spelling) return dimension;
    names.emplace_back(spelling);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--dimension: '", std::string(text), "' is not one of ",
                   absl::StrJoin(names, ", ")));
}

absl::StatusOr<v1::BreakdownMetric> ParseBreakdownMetric(
    std::string_view text) {
  const std::string lower = absl::AsciiStrToLower(Absl(text));
  if (lower == "visitors") return v1::BREAKDOWN_METRIC_VISITORS;
  if (lower == "events") return v1::BREAKDOWN_METRIC_EVENTS;
  if (lower == "pageviews") return v1::BREAKDOWN_METRIC_PAGEVIEWS;
  if (lower == "sessions") return v1::BREAKDOWN_METRIC_SESSIONS;
  return absl::InvalidArgumentError(
      absl::StrCat("--sort: '", std::string(text),
                   "' is not one of visitors, events, pageviews, sessions"));
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(Absl(text), ',')) {
    absl::string_view trimmed = absl::StripAsciiWhitespace(part);
    if (!trimmed.empty()) out.emplace_back(trimmed);
  }
  return out;
}

absl::StatusOr<v1::EventType> ParseEventType(std::string_view text) {
  const std::string lower = absl::AsciiStrToLower(Absl(text));
  if (lower == "pageview") return v1::PAGEVIEW;
  if (lower == "track") return v1::TRACK;
  if (lower == "identify") return v1::IDENTIFY;
  return absl::InvalidArgumentError(
      absl::StrCat("--type: '", std::string(text),
                   "' is not one of pageview, track, identify"));
}

absl::Status CheckToken(std::string_view what, std::string_view token) {
  if (token.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the ", std::string(what), " is empty"));
  }
  for (char c : token) {
    if (c < 0x20 || c > 0x7e) {
      return absl::InvalidArgumentError(
          absl::StrCat("the ", std::string(what),
                       " contains characters other than printable ASCII"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<PropertyValue> ParsePropertyValue(std::string_view raw) {
  if (raw == "true") return PropertyValue(true);
  if (raw == "false") return PropertyValue(false);
  if (raw == "null") return PropertyValue(nullptr);
  if (raw.size() >= 2 && raw.front() == '"' && raw.back() == '"') {
    return PropertyValue(std::string(raw.substr(1, raw.size() - 2)));
  }
  if (IsJsonNumber(raw)) {
    double number = 0;
    // SimpleAtod reports overflow as failure or as an infinity, depending
    // on the input; either way the value cannot be sent.
    if (!absl::SimpleAtod(Absl(raw), &number) || !std::isfinite(number)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", std::string(raw),
          "' is too large for a number; quote it to send a string"));
    }
    return PropertyValue(number);
  }
  return PropertyValue(std::string(raw));
}

absl::Status AddProperty(std::string_view key_value, PropertyMap* properties) {
  const size_t eq = key_value.find('=');
  if (eq == std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "property '", std::string(key_value), "': expected key=value"));
  }
  std::string key(absl::StripAsciiWhitespace(Absl(key_value.substr(0, eq))));
  if (key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("property '", std::string(key_value), "': empty key"));
  }
  absl::StatusOr<PropertyValue> value =
      ParsePropertyValue(key_value.substr(eq + 1));
  if (!value.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "property '", key, "': ", std::string(value.status().message())));
  }
  if (!properties->emplace(key, *std::move(value)).second) {
    return absl::InvalidArgumentError(
        absl::StrCat("property '", key, "' is given more than once"));
  }
  return absl::OkStatus();
}

absl::Status AddPropertyList(std::string_view list, PropertyMap* properties) {
  for (const std::string& entry : SplitList(list)) {
    if (absl::Status s = AddProperty(entry, properties); !s.ok()) return s;
  }
  return absl::OkStatus();
}

v1::PropertyValue ToProto(const PropertyValue& value) {
  v1::PropertyValue out;
  if (std::holds_alternative<std::nullptr_t>(value)) {
    out.set_null_value(true);
  } else if (const bool* b = std::get_if<bool>(&value)) {
    out.set_bool_value(*b);
  } else if (const double* d = std::get_if<double>(&value)) {
    out.set_number_value(*d);
  } else {
    out.set_string_value(std::get<std::string>(value));
  }
  return out;
}

google::protobuf::Timestamp ToProtoTimestamp(absl::Time t) {
  // ToUnixSeconds floors, so the remainder is in [0, 1s) as the proto wants.
  const int64_t seconds = absl::ToUnixSeconds(t);
  google::protobuf::Timestamp out;
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>((t - absl::FromUnixSeconds(seconds)) /
                                     absl::Nanoseconds(1)));
  return out;
}

google::protobuf::Duration ToProtoDuration(absl::Duration d) {
  // IDivDuration truncates toward zero, so seconds and nanos share the sign
  // as the proto requires.
  absl::Duration rem;
  const int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &rem);
  google::protobuf::Duration out;
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(rem / absl::Nanoseconds(1)));
  return out;
}

absl::Time FromProtoTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

absl::Duration FromProtoDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

}  // namespace analytics::cli
