// Parsing of analyticsctl flag values (times, durations, ids, lists, event
// types, timeseries intervals, breakdown dimensions and sort metrics, event
// properties) and their conversion to protobuf well-known types.
//
// Error messages may quote a value, so none of these is used for keys or
// tokens; CheckToken is the one that never echoes its input.
//
// Thread-safe: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "analytics/v1/admin.pb.h"
#include "analytics/v1/ingest.pb.h"
#include "analytics/v1/query.pb.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace analytics::cli {

// A point in time given on the command line, resolved against `now`:
//   "now"                              -> now
//   a signed duration ("-1h", "+90s")  -> now + duration
//   RFC 3339 ("2026-01-02T15:04:05Z", "2026-01-02T17:04:05.5+02:00")
// An unsigned duration ("1h") is refused: past or future would be a guess.
absl::StatusOr<absl::Time> ParseTimeArg(std::string_view text, absl::Time now);

// A finite duration greater than zero, in Abseil syntax ("5s", "1h30m").
// `flag` names the flag in the error message.
absl::StatusOr<absl::Duration> ParsePositiveDuration(std::string_view flag,
                                                     std::string_view text);

// A finite duration of zero or more ("0s", "1h"), for periods where zero
// means "at once". `flag` names the flag in the error message.
absl::StatusOr<absl::Duration> ParseNonNegativeDuration(std::string_view flag,
                                                        std::string_view text);

// A site id: a decimal integer greater than zero.
absl::StatusOr<int64_t> ParseSiteId(std::string_view text);

// Event ids of the failed-event queue: a comma-separated list (SplitList) of
// decimal integers greater than zero; at least one. `flag` names the flag in
// the error message.
absl::StatusOr<std::vector<int64_t>> ParseEventIds(std::string_view flag,
                                                   std::string_view text);

// --page-size: 1 to 1000, the most ListFailedEvents and the QueryService
// lists (ListEvents, ListSessions, ListVisitors) return.
absl::StatusOr<int32_t> ParsePageSize(std::string_view text);

// --limit of the breakdowns (GetBreakdown, GetEventPropertyBreakdown): 1 to
// 1000, the most they return.
absl::StatusOr<int32_t> ParseLimit(std::string_view text);

// "retrying" or "dead", in any case.
absl::StatusOr<v1::FailedEventState> ParseFailedEventState(
    std::string_view text);

// --interval: "hour", "day", "week" or "month", in any case.
absl::StatusOr<v1::Interval> ParseInterval(std::string_view text);

// --dimension: "page", "entry-page", "exit-page", "referrer", "utm-source",
// "utm-medium", "utm-campaign", "event", "device", "browser", "os" or
// "country", in any case and with '-' or '_' ("utm_source").
absl::StatusOr<v1::Dimension> ParseDimension(std::string_view text);

// --sort: "visitors", "events", "pageviews" or "sessions", in any case.
absl::StatusOr<v1::BreakdownMetric> ParseBreakdownMetric(std::string_view text);

// "a, b,,c" -> {"a", "b", "c"}: comma-separated, trimmed, empties dropped.
std::vector<std::string> SplitList(std::string_view text);

// "pageview", "track" or "identify", in any case.
absl::StatusOr<v1::EventType> ParseEventType(std::string_view text);

// INVALID_ARGUMENT unless `token` is non-empty printable ASCII, the only
// thing gRPC metadata can carry. `what` ("write key") names it in the
// message; the token itself is never part of the message.
absl::Status CheckToken(std::string_view what, std::string_view token);

// An event property as typed on the command line. nullptr_t is JSON null.
using PropertyValue = std::variant<std::nullptr_t, bool, double, std::string>;
using PropertyMap = std::map<std::string, PropertyValue>;

// Types a raw value: "true"/"false" -> bool, "null" -> null, a JSON number
// ("42", "-1.5e3", but not "007" or "0x10") -> number, "\"...\"" -> the
// string between the quotes, anything else -> that string. INVALID_ARGUMENT
// for a number too large for a double.
absl::StatusOr<PropertyValue> ParsePropertyValue(std::string_view raw);

// Adds one "key=value" (the value may contain '=' and ','). INVALID_ARGUMENT
// for a missing '=', an empty key or a key already present.
absl::Status AddProperty(std::string_view key_value, PropertyMap* properties);

// Adds every "k1=v1,k2=v2" entry; use AddProperty for values with commas.
absl::Status AddPropertyList(std::string_view list, PropertyMap* properties);

// The proto form of a property value.
v1::PropertyValue ToProto(const PropertyValue& value);

// Exact conversions between Abseil and protobuf time types (nanoseconds).
// `t` and `d` must be finite.
google::protobuf::Timestamp ToProtoTimestamp(absl::Time t);
google::protobuf::Duration ToProtoDuration(absl::Duration d);
absl::Time FromProtoTimestamp(const google::protobuf::Timestamp& t);
absl::Duration FromProtoDuration(const google::protobuf::Duration& d);

}  // namespace analytics::cli
