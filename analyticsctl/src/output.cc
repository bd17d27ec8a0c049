// What analyticsctl prints.
#include "analyticsctl/src/output.h"

#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "analyticsctl/src/values.h"
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

std::string StatusCodeName(grpc::StatusCode code) {
  // The codes of gRPC and Abseil are the same numbers.
  std::string name =
      absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  if (name.empty()) name = absl::StrCat("CODE_", static_cast<int>(code));
  return name;
}

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
      "created_at:      %s\n"
      "disabled:        %s\n",
      site.site_id(), site.slug(), site.name(), origins,
      DurationText(settings.session_timeout()), settings.time_zone(),
      DurationText(settings.raw_retention()), TimeText(site.created_at()),
      site.disabled() ? "true" : "false");
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

std::string OverviewText(const v1::Overview& overview) {
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
