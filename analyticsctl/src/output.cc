// What analyticsctl prints.
#include "analyticsctl/src/output.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "analyticsctl/src/values.h"
#include "common/status/status_mapping.h"
#include "google/protobuf/util/json_util.h"

namespace analytics::cli {
namespace {

// RFC 3339 in UTC with a literal "Z" (absl::RFC3339_full would print
// "+00:00"), fractional seconds only when present.
std::string TimeText(const google::protobuf::Timestamp& t) {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", FromProtoTimestamp(t),
                          absl::UTCTimeZone());
}

std::string DurationText(const google::protobuf::Duration& d) {
  return absl::FormatDuration(FromProtoDuration(d));
}

// A share in [0, 1], as the overview has always printed it.
std::string RateText(double rate) { return absl::StrFormat("%.4f", rate); }

// A relative change as a signed percentage with one decimal ("+12.5%",
// "-3.0%"); "n/a" when there is none (the previous value was 0).
std::string ChangeText(bool has_change, double change) {
  if (!has_change || !std::isfinite(change)) return "n/a";
  std::string text = absl::StrFormat("%+.1f%%", change * 100);
  // -0.0 and changes that round to zero: no change has no sign to show.
  if (text == "-0.0%") text = "+0.0%";
  return text;
}

// To the second, for table columns of fixed width.
std::string TimeSecondsText(const google::protobuf::Timestamp& t) {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%SZ", FromProtoTimestamp(t),
                          absl::UTCTimeZone());
}

// `s` with control characters escaped (\n, \t, \x01, ...), so text from
// the server cannot break a line; with `quote`, also `"` and `\` escaped
// and the whole in double quotes.
std::string Escaped(std::string_view s, bool quote) {
  std::string out = quote ? "\"" : "";
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      absl::StrAppendFormat(&out, "\\x%02x", u);
    } else if (quote && (c == '"' || c == '\\')) {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  if (quote) out += '"';
  return out;
}

// "write" or "read".
std::string KeyKindName(KeyKind kind) {
  return kind == KeyKind::kWrite ? "write" : "read";
}

std::string StateName(v1::FailedEventState state) {
  switch (state) {
    case v1::RETRYING:
      return "retrying";
    case v1::DEAD:
      return "dead";
    default:
      return absl::StrCat("state_", static_cast<int>(state));
  }
}

std::string EventTypeName(v1::EventType type) {
  switch (type) {
    case v1::PAGEVIEW:
      return "pageview";
    case v1::TRACK:
      return "track";
    case v1::IDENTIFY:
      return "identify";
    default:
      return absl::StrCat("type_", static_cast<int>(type));
  }
}

// RollupDifference.granularity and .dimension, as documented in admin.proto.
std::string GranularityName(int32_t granularity) {
  switch (granularity) {
    case 0:
      return "hour";
    case 1:
      return "day";
    default:
      return absl::StrCat("granularity_", granularity);
  }
}

std::string DimensionName(int32_t dimension) {
  static constexpr const char* kNames[] = {
      "overview",   "event",      "page",         "referrer",
      "utm_source", "utm_medium", "utm_campaign", "device",
      "browser",    "os",         "country"};
  if (dimension >= 0 && dimension < static_cast<int32_t>(std::size(kNames))) {
    return kNames[dimension];
  }
  return absl::StrCat("dimension_", dimension);
}

// "events expected 12, actual 10; visitors expected 3, actual 2".
std::string ValueDifferences(const v1::RollupValues& expected,
                             const v1::RollupValues& actual) {
  const std::pair<const char*, std::pair<int64_t, int64_t>> values[] = {
      {"events", {expected.events(), actual.events()}},
      {"pageviews", {expected.pageviews(), actual.pageviews()}},
      {"visitors", {expected.visitors(), actual.visitors()}},
      {"sessions", {expected.sessions(), actual.sessions()}},
      {"bounces", {expected.bounces(), actual.bounces()}},
      {"duration_us", {expected.duration_us(), actual.duration_us()}},
      {"visitor_ids", {expected.visitor_ids(), actual.visitor_ids()}},
      {"session_ids", {expected.session_ids(), actual.session_ids()}},
  };
  std::vector<std::string> parts;
  for (const auto& [name, pair] : values) {
    if (pair.first != pair.second) {
      parts.push_back(absl::StrCat(name, " expected ", pair.first, ", actual ",
                                   pair.second));
    }
  }
  if (parts.empty()) return "(same values)";
  return absl::StrJoin(parts, "; ");
}

// `s` escaped, or "-" when empty, for a table column.
std::string CellText(std::string_view s) {
  return s.empty() ? "-" : Escaped(s, false);
}

// The line after a page of a QueryService list: the flags that read on,
// with the request's range repeated exactly (a token holds the from and to
// it continues); "" on the last page.
template <typename Request>
std::string NextPageText(const std::string& token, const Request& request) {
  if (token.empty()) return "";
  std::string out = "next page:";
  if (request.has_from()) {
    absl::StrAppend(&out, " --from=", TimeText(request.from()));
  }
  if (request.has_to()) absl::StrAppend(&out, " --to=", TimeText(request.to()));
  absl::StrAppend(&out, " --page-token=", token, "\n");
  return out;
}

// The time zone line and the bucket table of a series: bucket starts in
// `time_zone` (UTC, and said so, when it is empty or cannot be loaded here).
std::string SeriesText(
    const std::string& time_zone,
    const google::protobuf::RepeatedPtrField<v1::TimeseriesPoint>& points) {
  absl::TimeZone zone = absl::UTCTimeZone();
  std::string out;
  if (time_zone.empty()) {
    out = "time_zone: (not given: times in UTC)\n";
  } else if (!absl::LoadTimeZone(time_zone, &zone)) {
    zone = absl::UTCTimeZone();
    out = absl::StrCat("time_zone: ", Escaped(time_zone, false),
                       " (not known here: times in UTC)\n");
  } else {
    out = absl::StrCat("time_zone: ", time_zone, "\n");
  }
  if (points.empty()) {
    out += "no buckets\n";
  } else {
    absl::StrAppendFormat(&out, "%-25s %-10s %-10s %-10s %-10s %-11s %s\n",
                          "BUCKET_START", "EVENTS", "PAGEVIEWS", "SESSIONS",
                          "VISITORS", "BOUNCE_RATE", "AVG_DURATION");
  }
  for (const v1::TimeseriesPoint& point : points) {
    const v1::Metrics& m = point.metrics();
    absl::StrAppendFormat(
        &out, "%-25s %-10d %-10d %-10d %-10d %-11s %s\n",
        absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*S%Ez",
                         FromProtoTimestamp(point.bucket_start()), zone),
        m.events(), m.pageviews(), m.sessions(), m.visitors(),
        RateText(m.bounce_rate()), DurationText(m.average_session_duration()));
  }
  return out;
}

// The widest a key or value column of a breakdown grows; longer text shifts
// only its own line.
constexpr size_t kMaxKeyWidth = 60;

// Characters (UTF-8 code points) of `s`, so that non-ASCII keys line up.
size_t DisplayWidth(std::string_view s) {
  size_t width = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) ++width;
  }
  return width;
}

// `s` padded with spaces to `width` characters; longer text as is.
std::string PadRight(std::string_view s, size_t width) {
  std::string out(s);
  const size_t have = DisplayWidth(s);
  if (have < width) out.append(width - have, ' ');
  return out;
}

// The key column's header for a GetBreakdown dimension.
std::string BreakdownKeyHeader(v1::Dimension dimension) {
  switch (dimension) {
    case v1::DIMENSION_PAGE:
      return "PAGE";
    case v1::DIMENSION_ENTRY_PAGE:
      return "ENTRY_PAGE";
    case v1::DIMENSION_EXIT_PAGE:
      return "EXIT_PAGE";
    case v1::DIMENSION_REFERRER:
      return "REFERRER";
    case v1::DIMENSION_UTM_SOURCE:
      return "UTM_SOURCE";
    case v1::DIMENSION_UTM_MEDIUM:
      return "UTM_MEDIUM";
    case v1::DIMENSION_UTM_CAMPAIGN:
      return "UTM_CAMPAIGN";
    case v1::DIMENSION_EVENT:
      return "EVENT";
    case v1::DIMENSION_DEVICE:
      return "DEVICE";
    case v1::DIMENSION_BROWSER:
      return "BROWSER";
    case v1::DIMENSION_OS:
      return "OS";
    case v1::DIMENSION_COUNTRY:
      return "COUNTRY";
    default:
      return "KEY";
  }
}

// Breakdown rows as a table: the key under `header` ("(none)" when empty),
// VISITORS, EVENTS, PAGEVIEWS, SESSIONS; `none` alone when there are no
// rows.
std::string BreakdownRowsText(
    std::string_view header, std::string_view none,
    const google::protobuf::RepeatedPtrField<v1::BreakdownRow>& rows) {
  if (rows.empty()) return absl::StrCat(std::string(none), "\n");
  std::vector<std::string> keys;
  size_t width = DisplayWidth(header);
  for (const v1::BreakdownRow& row : rows) {
    keys.push_back(row.key().empty() ? "(none)" : Escaped(row.key(), false));
    width = std::max(width, std::min(DisplayWidth(keys.back()), kMaxKeyWidth));
  }
  std::string out =
      absl::StrCat(PadRight(header, width), " ",
                   absl::StrFormat("%-10s %-10s %-10s %s\n", "VISITORS",
                                   "EVENTS", "PAGEVIEWS", "SESSIONS"));
  for (int i = 0; i < rows.size(); ++i) {
    const v1::BreakdownRow& row = rows[i];
    absl::StrAppend(
        &out, PadRight(keys[i], width), " ",
        absl::StrFormat("%-10d %-10d %-10d %d\n", row.visitors(), row.events(),
                        row.pageviews(), row.sessions()));
  }
  return out;
}

}  // namespace

absl::StatusOr<OutputFormat> ParseOutputFormat(
    std::string_view text, const std::set<OutputFormat>& allowed) {
  std::optional<OutputFormat> format;
  if (text.empty() || text == "text") format = OutputFormat::kText;
  if (text == "env") format = OutputFormat::kEnv;
  if (text == "json") format = OutputFormat::kJson;
  if (!format.has_value() || !allowed.contains(*format)) {
    std::vector<std::string> names;
    for (OutputFormat f : allowed) {
      switch (f) {
        case OutputFormat::kText:
          names.push_back("text");
          break;
        case OutputFormat::kEnv:
          names.push_back("env");
          break;
        case OutputFormat::kJson:
          names.push_back("json");
          break;
      }
    }
    return absl::InvalidArgumentError(
        absl::StrCat("--output: '", std::string(text), "' is not one of ",
                     absl::StrJoin(names, ", ")));
  }
  return *format;
}

std::string StatusCodeName(grpc::StatusCode code) { return GrpcCodeName(code); }

std::string CreatedSiteEnv(const v1::CreateSiteResponse& created) {
  return absl::StrCat("SITE_ID=", created.site().site_id(), "\n",
                      "WRITE_KEY=", created.write_key(), "\n",
                      "READ_KEY=", created.read_key(), "\n");
}

std::string CreatedSiteText(const v1::CreateSiteResponse& created) {
  return absl::StrCat("created site ", created.site().site_id(), " (",
                      created.site().slug(), ")\n",
                      "write key: ", created.write_key(), "\n",
                      "read key:  ", created.read_key(), "\n",
                      "Store both keys now: they are shown only this once.\n");
}

std::string RotatedKeyEnv(KeyKind kind, const v1::RotateKeyResponse& rotated) {
  return absl::StrCat(kind == KeyKind::kWrite ? "WRITE_KEY=" : "READ_KEY=",
                      rotated.key(), "\n");
}

std::string RotatedKeyText(KeyKind kind, int64_t site_id,
                           const v1::RotateKeyResponse& rotated) {
  const std::string name = KeyKindName(kind);
  const std::string expiry =
      rotated.has_previous_keys_expire_at()
          ? absl::StrCat("stop working at ",
                         TimeSecondsText(rotated.previous_keys_expire_at()))
          : "stop working at a time the server did not report";
  return absl::StrCat("rotated the ", name, " key of site ", site_id, "\n",
                      name, " key: ", rotated.key(), "\n", "previous ", name,
                      " keys ", expiry, "\n",
                      "Store the new key now: it is shown only this once.\n");
}

std::string SiteText(const v1::Site& site) {
  const v1::SiteSettings& settings = site.settings();
  const std::string origins = site.allowed_origins().empty()
                                  ? "(any)"
                                  : absl::StrJoin(site.allowed_origins(), ", ");
  return absl::StrFormat(
      "site_id:         %d\n"
      "slug:            %s\n"
      "name:            %s\n"
      "allowed_origins: %s\n"
      "session_timeout: %s\n"
      "time_zone:       %s\n"
      "raw_retention:   %s\n"
      "prop_allowlist:  %s\n"
      "prop_denylist:   %s\n"
      "created_at:      %s\n"
      "disabled:        %s\n"
      "%s",
      site.site_id(), site.slug(), site.name(), origins,
      DurationText(settings.session_timeout()), settings.time_zone(),
      DurationText(settings.raw_retention()),
      settings.property_allowlist().empty()
          ? "(every key)"
          : absl::StrJoin(settings.property_allowlist(), ", "),
      settings.property_denylist().empty()
          ? "(none)"
          : absl::StrJoin(settings.property_denylist(), ", "),
      TimeText(site.created_at()), site.disabled() ? "true" : "false",
      site.deleted() ? "deleted:         true (data being purged)\n" : "");
}

std::string DeleteProgressText(int64_t site_id,
                               const v1::DeleteSiteResponse& response) {
  if (response.done()) {
    return absl::StrFormat("deleted site %d (%d rows)\n", site_id,
                           response.rows_deleted());
  }
  if (response.rows_deleted() == 0) {
    return absl::StrFormat(
        "site %d: data purged, waiting for the server's quiet period\n",
        site_id);
  }
  return absl::StrFormat("site %d: %d rows purged, more to come\n", site_id,
                         response.rows_deleted());
}

std::string SiteListText(const v1::ListSitesResponse& list) {
  if (list.sites().empty()) return "no sites\n";
  std::string out = absl::StrFormat("%-8s %-24s %-9s %-24s %s\n", "SITE_ID",
                                    "SLUG", "DISABLED", "CREATED_AT", "NAME");
  for (const v1::Site& site : list.sites()) {
    absl::StrAppendFormat(&out, "%-8d %-24s %-9s %-24s %s\n", site.site_id(),
                          site.slug(), site.disabled() ? "yes" : "no",
                          TimeText(site.created_at()), site.name());
  }
  return out;
}

std::string IngestResultText(const v1::IngestResponse& response) {
  std::string out = absl::StrCat("accepted:   ", response.accepted(), "\n",
                                 "duplicates: ", response.duplicates(), "\n");
  for (const v1::Rejection& r : response.rejected()) {
    absl::StrAppend(&out, "rejected:   event ", r.index(), ": ", r.field(),
                    ": ", r.reason(), "\n");
  }
  return out;
}

std::string OverviewText(const v1::Overview& overview, bool compare) {
  if (!compare) {
    return absl::StrFormat(
        "events:                   %d\n"
        "pageviews:                %d\n"
        "sessions:                 %d\n"
        "visitors:                 %d\n"
        "bounce_rate:              %.4f\n"
        "average_session_duration: %s\n"
        "pending_events:           %d\n"
        "as_of:                    %s\n",
        overview.events(), overview.pageviews(), overview.sessions(),
        overview.visitors(), overview.bounce_rate(),
        DurationText(overview.average_session_duration()),
        overview.pending_events(), TimeText(overview.as_of()));
  }
  const v1::Metrics& previous = overview.previous();
  const v1::MetricChanges& change = overview.change();
  struct Row {
    const char* name;
    std::string current;
    std::string previous;
    std::string change;
  };
  const Row rows[] = {
      {"events:", absl::StrCat(overview.events()),
       absl::StrCat(previous.events()),
       ChangeText(change.has_events(), change.events())},
      {"pageviews:", absl::StrCat(overview.pageviews()),
       absl::StrCat(previous.pageviews()),
       ChangeText(change.has_pageviews(), change.pageviews())},
      {"sessions:", absl::StrCat(overview.sessions()),
       absl::StrCat(previous.sessions()),
       ChangeText(change.has_sessions(), change.sessions())},
      {"visitors:", absl::StrCat(overview.visitors()),
       absl::StrCat(previous.visitors()),
       ChangeText(change.has_visitors(), change.visitors())},
      {"bounce_rate:", RateText(overview.bounce_rate()),
       RateText(previous.bounce_rate()),
       ChangeText(change.has_bounce_rate(), change.bounce_rate())},
      {"average_session_duration:",
       DurationText(overview.average_session_duration()),
       DurationText(previous.average_session_duration()),
       ChangeText(change.has_average_session_duration(),
                  change.average_session_duration())},
  };
  std::string out = absl::StrFormat("%-25s %-12s %-12s %s\n", "", "current",
                                    "previous", "change");
  for (const Row& row : rows) {
    absl::StrAppendFormat(&out, "%-25s %-12s %-12s %s\n", row.name, row.current,
                          row.previous, row.change);
  }
  absl::StrAppendFormat(&out,
                        "pending_events:           %d\n"
                        "as_of:                    %s\n",
                        overview.pending_events(), TimeText(overview.as_of()));
  return out;
}

std::string TimeseriesText(const v1::Timeseries& timeseries) {
  return absl::StrCat(SeriesText(timeseries.time_zone(), timeseries.points()),
                      "pending_events: ", timeseries.pending_events(), "\n",
                      "as_of:          ", TimeText(timeseries.as_of()), "\n");
}

std::string BreakdownText(const v1::Breakdown& breakdown,
                          const v1::GetBreakdownRequest& request) {
  std::string out = BreakdownRowsText(BreakdownKeyHeader(request.dimension()),
                                      "no rows", breakdown.rows());
  absl::StrAppend(&out, "pending_events: ", breakdown.pending_events(), "\n",
                  "as_of:          ", TimeText(breakdown.as_of()), "\n");
  out += NextPageText(breakdown.next_page_token(), request);
  return out;
}

std::string EventPropertyBreakdownText(
    const v1::EventPropertyBreakdown& breakdown) {
  std::string out = absl::StrCat("total_events:   ", breakdown.events(), "\n");
  if (breakdown.rows().empty()) {
    out += "no values\n";
  } else {
    std::vector<std::string> values;
    size_t width = DisplayWidth("VALUE");
    for (const v1::PropertyValueRow& row : breakdown.rows()) {
      values.push_back(row.value().empty() ? "\"\""
                                           : Escaped(row.value(), false));
      width =
          std::max(width, std::min(DisplayWidth(values.back()), kMaxKeyWidth));
    }
    absl::StrAppend(
        &out, PadRight("VALUE", width), " ",
        absl::StrFormat("%-10s %-10s %s\n", "EVENTS", "VISITORS", "SESSIONS"));
    for (int i = 0; i < breakdown.rows_size(); ++i) {
      const v1::PropertyValueRow& row = breakdown.rows(i);
      absl::StrAppend(&out, PadRight(values[i], width), " ",
                      absl::StrFormat("%-10d %-10d %d\n", row.events(),
                                      row.visitors(), row.sessions()));
    }
  }
  absl::StrAppend(&out, "pending_events: ", breakdown.pending_events(), "\n",
                  "as_of:          ", TimeText(breakdown.as_of()), "\n");
  return out;
}

std::string DashboardSummaryText(const v1::DashboardSummary& summary) {
  v1::Overview overview;
  const v1::Metrics& metrics = summary.overview();
  overview.set_events(metrics.events());
  overview.set_pageviews(metrics.pageviews());
  overview.set_sessions(metrics.sessions());
  overview.set_visitors(metrics.visitors());
  overview.set_bounce_rate(metrics.bounce_rate());
  *overview.mutable_average_session_duration() =
      metrics.average_session_duration();
  overview.set_pending_events(summary.pending_events());
  *overview.mutable_as_of() = summary.as_of();
  return absl::StrCat(
      OverviewText(overview, /*compare=*/false), "\n",
      SeriesText(summary.time_zone(), summary.points()), "\n",
      BreakdownRowsText("PAGE", "no pages", summary.top_pages()), "\n",
      BreakdownRowsText("REFERRER", "no referrers", summary.top_referrers()),
      "\n",
      BreakdownRowsText("UTM_SOURCE", "no utm sources",
                        summary.top_utm_sources()),
      "\n",
      BreakdownRowsText("EVENT", "no track events", summary.top_events()));
}

std::string FailedEventsText(const v1::ListFailedEventsResponse& list) {
  std::string out;
  if (list.events().empty()) {
    out = "no failed events\n";
  } else {
    out = absl::StrFormat("%-10s %-8s %-8s %-20s %-20s %-24s %s\n", "EVENT_ID",
                          "STATE", "ATTEMPTS", "LAST_FAILED_AT",
                          "NEXT_ATTEMPT_AT", "EVENT", "LAST_ERROR");
  }
  for (const v1::FailedEvent& e : list.events()) {
    const std::string next =
        e.state() == v1::RETRYING && e.has_next_attempt_at()
            ? TimeSecondsText(e.next_attempt_at())
            : "-";
    std::string event = EventTypeName(e.type());
    if (!e.name().empty()) {
      absl::StrAppend(&event, "/", Escaped(e.name(), false));
    }
    absl::StrAppendFormat(&out, "%-10d %-8s %-8d %-20s %-20s %-24s %s\n",
                          e.event_id(), StateName(e.state()), e.attempts(),
                          TimeSecondsText(e.last_failed_at()), next, event,
                          Escaped(e.last_error(), false));
  }
  if (!list.next_page_token().empty()) {
    absl::StrAppend(&out, "next page: --page-token=", list.next_page_token(),
                    "\n");
  }
  return out;
}

std::string EventListText(const v1::ListEventsResponse& list,
                          const v1::ListEventsRequest& request) {
  std::string out;
  if (list.events().empty()) {
    out = "no events\n";
  } else {
    out = absl::StrFormat("%-20s %-10s %-8s %-24s %-20s %s\n", "OCCURRED_AT",
                          "EVENT_ID", "TYPE", "NAME/PATH", "VISITOR_ID",
                          "SESSION_ID");
  }
  for (const v1::EventRow& e : list.events()) {
    absl::StrAppendFormat(&out, "%-20s %-10d %-8s %-24s %-20s %s\n",
                          TimeSecondsText(e.occurred_at()), e.event_id(),
                          EventTypeName(e.type()),
                          CellText(e.name().empty() ? e.path() : e.name()),
                          CellText(e.visitor_id()), CellText(e.session_id()));
  }
  out += NextPageText(list.next_page_token(), request);
  return out;
}

std::string SessionListText(const v1::ListSessionsResponse& list,
                            const v1::ListSessionsRequest& request) {
  std::string out;
  if (list.sessions().empty()) {
    out = "no sessions\n";
  } else {
    out = absl::StrFormat("%-20s %-20s %-20s %-9s %-9s %-7s %-32s %s\n",
                          "STARTED_AT", "SESSION_ID", "VISITOR_ID", "DURATION",
                          "PAGEVIEWS", "EVENTS", "ENTRY -> EXIT", "BOUNCED");
  }
  for (const v1::SessionRow& row : list.sessions()) {
    std::string duration = absl::FormatDuration(
        absl::Trunc(FromProtoDuration(row.duration()), absl::Seconds(1)));
    if (duration == "0") duration = "0s";
    const std::string paths =
        row.entry_path().empty() && row.exit_path().empty()
            ? "-"
            : absl::StrCat(CellText(row.entry_path()), " -> ",
                           CellText(row.exit_path()));
    absl::StrAppendFormat(&out, "%-20s %-20s %-20s %-9s %-9d %-7d %-32s %s\n",
                          TimeSecondsText(row.started_at()),
                          CellText(row.session_id()),
                          CellText(row.visitor_id()), duration, row.pageviews(),
                          row.events(), paths, row.bounced() ? "yes" : "no");
  }
  out += NextPageText(list.next_page_token(), request);
  return out;
}

std::string VisitorListText(const v1::ListVisitorsResponse& list,
                            const v1::ListVisitorsRequest& request) {
  std::string out;
  if (list.visitors().empty()) {
    out = "no visitors\n";
  } else {
    out = absl::StrFormat("%-20s %-24s %-20s %s\n", "LAST_SEEN_AT",
                          "VISITOR_ID", "FIRST_SEEN_AT", "USER_ID");
  }
  for (const v1::VisitorRow& v : list.visitors()) {
    absl::StrAppendFormat(
        &out, "%-20s %-24s %-20s %s\n", TimeSecondsText(v.last_seen_at()),
        CellText(v.visitor_id()), TimeSecondsText(v.first_seen_at()),
        CellText(v.user_id()));
  }
  out += NextPageText(list.next_page_token(), request);
  return out;
}

std::string RetryResultText(const v1::RetryFailedEventsResponse& response) {
  return absl::StrCat("requeued: ", response.requeued(), "\n");
}

std::string BacklogText(const v1::GetBacklogResponse& backlog) {
  if (backlog.sites().empty()) return "no backlog\n";
  std::string out =
      absl::StrFormat("%-8s %-10s %-16s %-10s %s\n", "SITE_ID", "PENDING",
                      "OLDEST_PENDING", "RETRYING", "DEAD");
  for (const v1::Backlog& site : backlog.sites()) {
    std::string age = "-";
    if (site.pending() > 0) {
      age = absl::FormatDuration(absl::Trunc(
          FromProtoDuration(site.oldest_pending_age()), absl::Seconds(1)));
      if (age == "0") age = "<1s";
    }
    absl::StrAppendFormat(&out, "%-8d %-10d %-16s %-10d %d\n", site.site_id(),
                          site.pending(), age, site.retrying(), site.dead());
  }
  return out;
}

std::string RollupCheckText(const v1::RollupCheckResponse& check,
                            bool rebuild) {
  std::string out = absl::StrFormat(
      "range:          [%s, %s)\n"
      "rows_checked:   %d\n"
      "rows_different: %d\n",
      TimeText(check.from()), TimeText(check.to()), check.rows_checked(),
      check.rows_different());
  if (rebuild) {
    absl::StrAppend(&out, "rewritten:      ", check.rewritten() ? "yes" : "no",
                    "\n");
  }
  if (check.differences().empty()) return out;
  out += "differences:\n";
  for (const v1::RollupDifference& d : check.differences()) {
    absl::StrAppend(&out, "  ", GranularityName(d.granularity()), " ",
                    TimeText(d.bucket_start()), " ",
                    DimensionName(d.dimension()));
    if (d.dimension() != 0 || !d.key().empty()) {
      absl::StrAppend(&out, " ", Escaped(d.key(), true));
    }
    absl::StrAppend(&out, ": ", ValueDifferences(d.expected(), d.actual()),
                    "\n");
  }
  if (check.rows_different() > check.differences_size()) {
    absl::StrAppend(&out, "  (only the first ", check.differences_size(),
                    " of ", check.rows_different(), " are listed)\n");
  }
  return out;
}

absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  const auto status =
      google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot print as JSON: ", status.ToString()));
  }
  // add_whitespace already ends with a newline; make sure either way.
  if (json.empty() || json.back() != '\n') json.push_back('\n');
  return json;
}

}  // namespace analytics::cli
