// From a parsed command line to the call to make.
#include "analyticsctl/src/requests.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "analyticsctl/src/values.h"
#include "common/server/tls.h"

namespace analytics::cli {
namespace {

// The flags every subcommand accepts, plus `extra`.
std::set<std::string> Allowed(std::initializer_list<const char*> extra) {
  std::set<std::string> allowed = {"target", "timeout",  "help",
                                   "tls_ca", "tls_cert", "tls_key"};
  allowed.insert(extra.begin(), extra.end());
  return allowed;
}

// Spelled with dashes as in the usage text (`--write-key`).
absl::Status Required(std::string_view flag) {
  std::string spelling(flag);
  std::replace(spelling.begin(), spelling.end(), '_', '-');
  return absl::InvalidArgumentError(
      absl::StrCat("--", spelling, " is required"));
}

// The value of a required flag; INVALID_ARGUMENT if missing or empty.
absl::StatusOr<std::string> RequiredValue(const ParsedArgs& args,
                                          std::string_view flag) {
  std::optional<std::string> value = args.Get(flag);
  if (!value.has_value() || value->empty()) return Required(flag);
  return *std::move(value);
}

// --tls_ca turns TLS on; --tls_cert with --tls_key add a client
// certificate (mutual TLS).
absl::StatusOr<ClientTls> ReadClientTls(const ParsedArgs& args) {
  ClientTls tls;
  const std::string ca = args.Get("tls_ca").value_or("");
  const std::string cert = args.Get("tls_cert").value_or("");
  const std::string key = args.Get("tls_key").value_or("");
  if (cert.empty() != key.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert and --tls-key go together: give both or neither");
  }
  if (ca.empty()) {
    if (!cert.empty()) {
      return absl::InvalidArgumentError(
          "--tls-cert needs --tls-ca (the CA that signed the server's "
          "certificate)");
    }
    return tls;
  }
  absl::StatusOr<std::string> ca_pem = ReadPemFile("tls-ca", ca);
  if (!ca_pem.ok()) return ca_pem.status();
  tls.ca_pem = *std::move(ca_pem);
  if (!cert.empty()) {
    absl::StatusOr<std::string> cert_pem = ReadPemFile("tls-cert", cert);
    if (!cert_pem.ok()) return cert_pem.status();
    absl::StatusOr<std::string> key_pem = ReadPemFile("tls-key", key);
    if (!key_pem.ok()) return key_pem.status();
    tls.cert_pem = *std::move(cert_pem);
    tls.key_pem = *std::move(key_pem);
  }
  return tls;
}

// Fills target, timeout, output and TLS of `call`.
template <typename Request>
absl::Status ReadCommon(const ParsedArgs& args, std::string_view default_target,
                        const std::set<OutputFormat>& formats,
                        Call<Request>* call) {
  call->target = args.Get("target").value_or(std::string(default_target));
  if (call->target.empty()) {
    return absl::InvalidArgumentError("--target is empty");
  }
  call->timeout = kDefaultTimeout;
  if (std::optional<std::string> text = args.Get("timeout")) {
    absl::StatusOr<absl::Duration> timeout =
        ParsePositiveDuration("timeout", *text);
    if (!timeout.ok()) return timeout.status();
    call->timeout = *timeout;
  }
  absl::StatusOr<OutputFormat> output =
      ParseOutputFormat(args.Get("output").value_or(""), formats);
  if (!output.ok()) return output.status();
  call->output = *output;
  absl::StatusOr<ClientTls> tls = ReadClientTls(args);
  if (!tls.ok()) return tls.status();
  call->tls = *std::move(tls);
  return absl::OkStatus();
}

// The value `text` of the time flag `flag`, resolved against `now`.
absl::StatusOr<google::protobuf::Timestamp> TimeFlag(std::string_view flag,
                                                     std::string_view text,
                                                     absl::Time now) {
  absl::StatusOr<absl::Time> time = ParseTimeArg(text, now);
  if (!time.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", std::string(flag), ": ", std::string(time.status().message())));
  }
  return ToProtoTimestamp(*time);
}

// A required time flag, resolved against `now`.
absl::StatusOr<google::protobuf::Timestamp> RequiredTime(const ParsedArgs& args,
                                                         std::string_view flag,
                                                         absl::Time now) {
  absl::StatusOr<std::string> text = RequiredValue(args, flag);
  if (!text.ok()) return text.status();
  return TimeFlag(flag, *text, now);
}

// An optional time flag, resolved against `now`; nullopt without the flag.
absl::StatusOr<std::optional<google::protobuf::Timestamp>> OptionalTime(
    const ParsedArgs& args, std::string_view flag, absl::Time now) {
  std::optional<std::string> text = args.Get(flag);
  if (!text.has_value()) return std::nullopt;
  absl::StatusOr<google::protobuf::Timestamp> time = TimeFlag(flag, *text, now);
  if (!time.ok()) return time.status();
  return *time;
}

// --admin_token, else ANALYTICS_ADMIN_TOKEN.
absl::StatusOr<std::string> AdminToken(const ParsedArgs& args,
                                       const Environment& env) {
  std::string token = args.Get("admin_token").value_or(env.admin_token);
  if (token.empty()) {
    return absl::InvalidArgumentError(
        "no admin token: set ANALYTICS_ADMIN_TOKEN (or pass --admin_token)");
  }
  if (absl::Status s = CheckToken("admin token", token); !s.ok()) return s;
  return token;
}

// Common part of the admin commands.
template <typename Request>
absl::Status ReadAdminCall(const ParsedArgs& args, std::string_view command,
                           std::initializer_list<const char*> flags,
                           const std::set<OutputFormat>& formats,
                           const Environment& env, Call<Request>* call) {
  std::set<std::string> allowed = Allowed(flags);
  allowed.insert("admin_token");
  allowed.insert("output");
  if (absl::Status s = CheckFlags(args, command, allowed); !s.ok()) return s;
  if (absl::Status s = ReadCommon(args, kDefaultIngestTarget, formats, call);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> token = AdminToken(args, env);
  if (!token.ok()) return token.status();
  call->token = *std::move(token);
  return absl::OkStatus();
}

// A required --site.
absl::StatusOr<int64_t> RequiredSiteId(const ParsedArgs& args) {
  absl::StatusOr<std::string> site = RequiredValue(args, "site");
  if (!site.ok()) return site.status();
  return ParseSiteId(*site);
}

// Common part of the QueryService commands: flags (`flags` plus those of
// every QueryService command), target, credentials (--read-key, else the
// admin token) and --site. --from and --to are left to the caller.
template <typename Request>
absl::Status ReadQueryCommon(const ParsedArgs& args, std::string_view command,
                             std::initializer_list<const char*> flags,
                             const Environment& env, Call<Request>* call) {
  std::set<std::string> allowed = Allowed(flags);
  allowed.insert({"read_key", "admin_token", "site", "from", "to", "output"});
  if (absl::Status s = CheckFlags(args, command, allowed); !s.ok()) return s;
  if (absl::Status s =
          ReadCommon(args, kDefaultQueryTarget,
                     {OutputFormat::kText, OutputFormat::kJson}, call);
      !s.ok()) {
    return s;
  }
  if (std::optional<std::string> key = args.Get("read_key")) {
    if (absl::Status s = CheckToken("read key", *key); !s.ok()) return s;
    call->token = *std::move(key);
  } else if (args.Has("admin_token") || !env.admin_token.empty()) {
    absl::StatusOr<std::string> token = AdminToken(args, env);
    if (!token.ok()) return token.status();
    call->token = *std::move(token);
  } else {
    return Required("read_key");
  }
  absl::StatusOr<int64_t> site_id = RequiredSiteId(args);
  if (!site_id.ok()) return site_id.status();
  call->request.set_site_id(*site_id);
  return absl::OkStatus();
}

// overview, timeseries, breakdown, properties and dashboard:
// ReadQueryCommon, then the required --from and --to.
template <typename Request>
absl::Status ReadQueryCall(const ParsedArgs& args, std::string_view command,
                           std::initializer_list<const char*> flags,
                           const Environment& env, Call<Request>* call) {
  if (absl::Status s = ReadQueryCommon(args, command, flags, env, call);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<google::protobuf::Timestamp> from =
      RequiredTime(args, "from", env.now);
  if (!from.ok()) return from.status();
  *call->request.mutable_from() = *from;
  absl::StatusOr<google::protobuf::Timestamp> to =
      RequiredTime(args, "to", env.now);
  if (!to.ok()) return to.status();
  *call->request.mutable_to() = *to;
  return absl::OkStatus();
}

// events, sessions and visitors: ReadQueryCommon, then the optional --from
// and --to (each unset without its flag: unbounded on that side),
// --page-size (unset: the server's default) and --page-token.
template <typename Request>
absl::StatusOr<Call<Request>> BuildList(const ParsedArgs& args,
                                        std::string_view command,
                                        const Environment& env) {
  Call<Request> call;
  if (absl::Status s = ReadQueryCommon(args, command,
                                       {"page_size", "page_token"}, env, &call);
      !s.ok()) {
    return s;
  }
  Request& request = call.request;
  absl::StatusOr<std::optional<google::protobuf::Timestamp>> from =
      OptionalTime(args, "from", env.now);
  if (!from.ok()) return from.status();
  if (from->has_value()) *request.mutable_from() = **from;
  absl::StatusOr<std::optional<google::protobuf::Timestamp>> to =
      OptionalTime(args, "to", env.now);
  if (!to.ok()) return to.status();
  if (to->has_value()) *request.mutable_to() = **to;
  if (std::optional<std::string> text = args.Get("page_size")) {
    absl::StatusOr<int32_t> size = ParsePageSize(*text);
    if (!size.ok()) return size.status();
    request.set_page_size(*size);
  }
  request.set_page_token(args.Get("page_token").value_or(""));
  return call;
}

absl::StatusOr<Call<v1::RollupCheckRequest>> BuildRollupCheck(
    const ParsedArgs& args, std::string_view command, const Environment& env) {
  Call<v1::RollupCheckRequest> call;
  if (absl::Status s =
          ReadAdminCall(args, command, {"site", "from", "to"},
                        {OutputFormat::kText, OutputFormat::kJson}, env, &call);
      !s.ok()) {
    return s;
  }
  if (!args.Has("timeout")) call.timeout = kDefaultRollupTimeout;
  absl::StatusOr<int64_t> site_id = RequiredSiteId(args);
  if (!site_id.ok()) return site_id.status();
  call.request.set_site_id(*site_id);
  absl::StatusOr<google::protobuf::Timestamp> from =
      RequiredTime(args, "from", env.now);
  if (!from.ok()) return from.status();
  *call.request.mutable_from() = *from;
  absl::StatusOr<google::protobuf::Timestamp> to =
      RequiredTime(args, "to", env.now);
  if (!to.ok()) return to.status();
  *call.request.mutable_to() = *to;
  return call;
}

absl::StatusOr<Call<v1::RotateKeyRequest>> BuildRotateKey(
    const ParsedArgs& args, std::string_view command, const Environment& env) {
  Call<v1::RotateKeyRequest> call;
  if (absl::Status s = ReadAdminCall(
          args, command, {"site", "grace"},
          {OutputFormat::kText, OutputFormat::kEnv, OutputFormat::kJson}, env,
          &call);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<int64_t> site_id = RequiredSiteId(args);
  if (!site_id.ok()) return site_id.status();
  call.request.set_site_id(*site_id);
  if (std::optional<std::string> text = args.Get("grace")) {
    absl::StatusOr<absl::Duration> grace =
        ParseNonNegativeDuration("grace", *text);
    if (!grace.ok()) return grace.status();
    *call.request.mutable_grace_period() = ToProtoDuration(*grace);
  }
  return call;
}

}  // namespace

absl::StatusOr<Call<v1::CreateSiteRequest>> BuildCreateSite(
    const ParsedArgs& args, const Environment& env) {
  Call<v1::CreateSiteRequest> call;
  if (absl::Status s = ReadAdminCall(
          args, "site create",
          {"slug", "name", "allowed_origins", "session_timeout", "time_zone"},
          {OutputFormat::kText, OutputFormat::kEnv, OutputFormat::kJson}, env,
          &call);
      !s.ok()) {
    return s;
  }
  v1::CreateSiteRequest& request = call.request;
  absl::StatusOr<std::string> slug = RequiredValue(args, "slug");
  if (!slug.ok()) return slug.status();
  request.set_slug(*slug);
  request.set_name(args.Get("name").value_or(""));
  if (std::optional<std::string> origins = args.Get("allowed_origins")) {
    for (std::string& origin : SplitList(*origins)) {
      request.add_allowed_origins(std::move(origin));
    }
  }
  if (std::optional<std::string> text = args.Get("session_timeout")) {
    absl::StatusOr<absl::Duration> timeout =
        ParsePositiveDuration("session_timeout", *text);
    if (!timeout.ok()) return timeout.status();
    *request.mutable_settings()->mutable_session_timeout() =
        ToProtoDuration(*timeout);
  }
  if (std::optional<std::string> zone = args.Get("time_zone")) {
    request.mutable_settings()->set_time_zone(*zone);
  }
  return call;
}

absl::StatusOr<Call<v1::GetSiteRequest>> BuildGetSite(const ParsedArgs& args,
                                                      const Environment& env) {
  Call<v1::GetSiteRequest> call;
  if (absl::Status s =
          ReadAdminCall(args, "site get", {"site", "slug"},
                        {OutputFormat::kText, OutputFormat::kJson}, env, &call);
      !s.ok()) {
    return s;
  }
  std::optional<std::string> site = args.Get("site");
  std::optional<std::string> slug = args.Get("slug");
  if (site.has_value() == slug.has_value()) {
    return absl::InvalidArgumentError(
        "give exactly one of --site=<id> and --slug=<slug>");
  }
  if (site.has_value()) {
    absl::StatusOr<int64_t> id = ParseSiteId(*site);
    if (!id.ok()) return id.status();
    call.request.set_site_id(*id);
  } else {
    if (slug->empty()) return Required("slug");
    call.request.set_slug(*slug);
  }
  return call;
}

absl::StatusOr<Call<v1::ListSitesRequest>> BuildListSites(
    const ParsedArgs& args, const Environment& env) {
  Call<v1::ListSitesRequest> call;
  if (absl::Status s =
          ReadAdminCall(args, "site list", {},
                        {OutputFormat::kText, OutputFormat::kJson}, env, &call);
      !s.ok()) {
    return s;
  }
  return call;
}

absl::StatusOr<Call<v1::RotateKeyRequest>> BuildRotateWriteKey(
    const ParsedArgs& args, const Environment& env) {
  return BuildRotateKey(args, "site rotate-write-key", env);
}

absl::StatusOr<Call<v1::RotateKeyRequest>> BuildRotateReadKey(
    const ParsedArgs& args, const Environment& env) {
  return BuildRotateKey(args, "site rotate-read-key", env);
}

absl::StatusOr<Call<v1::UpdateSiteRequest>> BuildUpdateSite(
    const ParsedArgs& args, const Environment& env) {
  Call<v1::UpdateSiteRequest> call;
  if (absl::Status s = ReadAdminCall(
          args, "site update",
          {"site", "name", "allowed_origins", "session_timeout", "time_zone",
           "raw_retention", "property_allowlist", "property_denylist"},
          {OutputFormat::kText, OutputFormat::kJson}, env, &call);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<int64_t> site_id = RequiredSiteId(args);
  if (!site_id.ok()) return site_id.status();
  v1::UpdateSiteRequest& request = call.request;
  request.set_site_id(*site_id);
  v1::Site& site = *request.mutable_site();
  v1::SiteSettings& settings = *site.mutable_settings();
  auto mask = [&request](const char* path) {
    request.mutable_update_mask()->add_paths(path);
  };
  if (std::optional<std::string> name = args.Get("name")) {
    site.set_name(*name);
    mask("name");
  }
  if (std::optional<std::string> origins = args.Get("allowed_origins")) {
    for (std::string& origin : SplitList(*origins)) {
      site.add_allowed_origins(std::move(origin));
    }
    mask("allowed_origins");
  }
  if (std::optional<std::string> text = args.Get("session_timeout")) {
    absl::StatusOr<absl::Duration> timeout =
        ParsePositiveDuration("session_timeout", *text);
    if (!timeout.ok()) return timeout.status();
    *settings.mutable_session_timeout() = ToProtoDuration(*timeout);
    mask("settings.session_timeout");
  }
  if (std::optional<std::string> zone = args.Get("time_zone")) {
    settings.set_time_zone(*zone);
    mask("settings.time_zone");
  }
  if (std::optional<std::string> text = args.Get("raw_retention")) {
    absl::StatusOr<absl::Duration> retention =
        ParsePositiveDuration("raw_retention", *text);
    if (!retention.ok()) return retention.status();
    *settings.mutable_raw_retention() = ToProtoDuration(*retention);
    mask("settings.raw_retention");
  }
  if (std::optional<std::string> keys = args.Get("property_allowlist")) {
    for (std::string& key : SplitList(*keys)) {
      settings.add_property_allowlist(std::move(key));
    }
    mask("settings.property_allowlist");
  }
  if (std::optional<std::string> keys = args.Get("property_denylist")) {
    for (std::string& key : SplitList(*keys)) {
      settings.add_property_denylist(std::move(key));
    }
    mask("settings.property_denylist");
  }
  if (request.update_mask().paths().empty()) {
    return absl::InvalidArgumentError(
        "site update: give at least one of --name, --allowed_origins, "
        "--session_timeout, --time_zone, --raw_retention, "
        "--property_allowlist, --property_denylist");
  }
  return call;
}

absl::StatusOr<Call<v1::SiteStateRequest>> BuildSetSiteState(
    const ParsedArgs& args, std::string_view command, const Environment& env) {
  Call<v1::SiteStateRequest> call;
  if (absl::Status s =
          ReadAdminCall(args, command, {"site"},
                        {OutputFormat::kText, OutputFormat::kJson}, env, &call);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<int64_t> site_id = RequiredSiteId(args);
  if (!site_id.ok()) return site_id.status();
  call.request.set_site_id(*site_id);
  return call;
}

absl::StatusOr<Call<v1::DeleteSiteRequest>> BuildDeleteSite(
    const ParsedArgs& args, const Environment& env) {
  Call<v1::DeleteSiteRequest> call;
  if (absl::Status s =
          ReadAdminCall(args, "site delete", {"site", "yes"},
                        {OutputFormat::kText, OutputFormat::kJson}, env, &call);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<int64_t> site_id = RequiredSiteId(args);
  if (!site_id.ok()) return site_id.status();
  if (!args.Has("yes")) {
    return absl::InvalidArgumentError(
        "site delete removes the site and all its data for good: add --yes");
  }
  if (!args.Has("timeout")) call.timeout = kDefaultDeleteTimeout;
  call.request.set_site_id(*site_id);
  return call;
}

absl::StatusOr<Call<v1::ListFailedEventsRequest>> BuildListFailedEvents(
    const ParsedArgs& args, const Environment& env) {
  Call<v1::ListFailedEventsRequest> call;
  if (absl::Status s = ReadAdminCall(
          args, "failed list", {"site", "state", "page_size", "page_token"},
          {OutputFormat::kText, OutputFormat::kJson}, env, &call);
      !s.ok()) {
    return s;
  }
  v1::ListFailedEventsRequest& request = call.request;
  absl::StatusOr<int64_t> site_id = RequiredSiteId(args);
  if (!site_id.ok()) return site_id.status();
  request.set_site_id(*site_id);
  if (std::optional<std::string> text = args.Get("state")) {
    absl::StatusOr<v1::FailedEventState> state = ParseFailedEventState(*text);
    if (!state.ok()) return state.status();
    request.set_state(*state);
  }
  if (std::optional<std::string> text = args.Get("page_size")) {
    absl::StatusOr<int32_t> size = ParsePageSize(*text);
    if (!size.ok()) return size.status();
    request.set_page_size(*size);
  }
  request.set_page_token(args.Get("page_token").value_or(""));
  return call;
}

absl::StatusOr<Call<v1::RetryFailedEventsRequest>> BuildRetryFailedEvents(
    const ParsedArgs& args, const Environment& env) {
  Call<v1::RetryFailedEventsRequest> call;
  if (absl::Status s =
          ReadAdminCall(args, "failed retry", {"site", "ids", "all", "state"},
                        {OutputFormat::kText}, env, &call);
      !s.ok()) {
    return s;
  }
  v1::RetryFailedEventsRequest& request = call.request;
  absl::StatusOr<int64_t> site_id = RequiredSiteId(args);
  if (!site_id.ok()) return site_id.status();
  request.set_site_id(*site_id);
  std::optional<std::string> ids = args.Get("ids");
  if (ids.has_value() == args.Has("all")) {
    return absl::InvalidArgumentError(
        "give exactly one of --ids=<id,id,...> and --all");
  }
  if (ids.has_value()) {
    if (args.Has("state")) {
      return absl::InvalidArgumentError("--state goes only with --all");
    }
    absl::StatusOr<std::vector<int64_t>> event_ids = ParseEventIds("ids", *ids);
    if (!event_ids.ok()) return event_ids.status();
    request.mutable_event_ids()->Add(event_ids->begin(), event_ids->end());
    return call;
  }
  request.set_all(true);
  if (std::optional<std::string> text = args.Get("state")) {
    absl::StatusOr<v1::FailedEventState> state = ParseFailedEventState(*text);
    if (!state.ok()) return state.status();
    request.set_state(*state);
  }
  return call;
}

absl::StatusOr<Call<v1::GetBacklogRequest>> BuildGetBacklog(
    const ParsedArgs& args, const Environment& env) {
  Call<v1::GetBacklogRequest> call;
  if (absl::Status s =
          ReadAdminCall(args, "backlog", {"site"},
                        {OutputFormat::kText, OutputFormat::kJson}, env, &call);
      !s.ok()) {
    return s;
  }
  if (std::optional<std::string> site = args.Get("site")) {
    absl::StatusOr<int64_t> site_id = ParseSiteId(*site);
    if (!site_id.ok()) return site_id.status();
    call.request.set_site_id(*site_id);
  }
  return call;
}

absl::StatusOr<Call<v1::RollupCheckRequest>> BuildVerifyRollups(
    const ParsedArgs& args, const Environment& env) {
  return BuildRollupCheck(args, "rollups verify", env);
}

absl::StatusOr<Call<v1::RollupCheckRequest>> BuildRebuildRollups(
    const ParsedArgs& args, const Environment& env) {
  return BuildRollupCheck(args, "rollups rebuild", env);
}

absl::StatusOr<Call<v1::IngestRequest>> BuildSend(const ParsedArgs& args,
                                                  const Environment& env) {
  Call<v1::IngestRequest> call;
  if (absl::Status s = CheckFlags(
          args, "send",
          Allowed({"write_key", "visitor", "session", "type", "name", "path",
                   "title", "referrer", "user_id", "event_id", "at", "props",
                   "prop", "origin", "output"}),
          /*repeatable=*/{"prop", "props"});
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          ReadCommon(args, kDefaultIngestTarget,
                     {OutputFormat::kText, OutputFormat::kJson}, &call);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> key = RequiredValue(args, "write_key");
  if (!key.ok()) return key.status();
  if (absl::Status s = CheckToken("write key", *key); !s.ok()) return s;
  call.token = *std::move(key);

  call.request.set_origin(args.Get("origin").value_or(""));
  v1::Event& event = *call.request.add_events();
  absl::StatusOr<std::string> visitor = RequiredValue(args, "visitor");
  if (!visitor.ok()) return visitor.status();
  event.set_visitor_id(*visitor);
  absl::StatusOr<std::string> session = RequiredValue(args, "session");
  if (!session.ok()) return session.status();
  event.set_session_id(*session);
  absl::StatusOr<std::string> type_text = RequiredValue(args, "type");
  if (!type_text.ok()) return type_text.status();
  absl::StatusOr<v1::EventType> type = ParseEventType(*type_text);
  if (!type.ok()) return type.status();
  event.set_type(*type);

  // Optional fields are passed through as given: the server is the one
  // place that validates events, so its rejections are what the user sees.
  event.set_name(args.Get("name").value_or(""));
  event.set_path(args.Get("path").value_or(""));
  event.set_title(args.Get("title").value_or(""));
  event.set_referrer(args.Get("referrer").value_or(""));
  event.set_user_id(args.Get("user_id").value_or(""));
  event.set_event_id(args.Get("event_id").value_or(""));
  if (std::optional<std::string> at = args.Get("at")) {
    absl::StatusOr<absl::Time> time = ParseTimeArg(*at, env.now);
    if (!time.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--at: ", std::string(time.status().message())));
    }
    *event.mutable_occurred_at() = ToProtoTimestamp(*time);
  }
  PropertyMap properties;
  for (const std::string& list : args.GetAll("props")) {
    if (absl::Status s = AddPropertyList(list, &properties); !s.ok()) return s;
  }
  for (const std::string& entry : args.GetAll("prop")) {
    if (absl::Status s = AddProperty(entry, &properties); !s.ok()) return s;
  }
  for (const auto& [key_name, value] : properties) {
    (*event.mutable_properties())[key_name] = ToProto(value);
  }
  return call;
}

absl::StatusOr<Call<v1::GetOverviewRequest>> BuildOverview(
    const ParsedArgs& args, const Environment& env) {
  Call<v1::GetOverviewRequest> call;
  if (absl::Status s = ReadQueryCall(args, "overview", {"compare"}, env, &call);
      !s.ok()) {
    return s;
  }
  call.request.set_compare_previous(args.Has("compare"));
  return call;
}

absl::StatusOr<Call<v1::GetTimeseriesRequest>> BuildTimeseries(
    const ParsedArgs& args, const Environment& env) {
  Call<v1::GetTimeseriesRequest> call;
  if (absl::Status s = ReadQueryCall(args, "timeseries",
                                     {"interval", "time_zone"}, env, &call);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> text = RequiredValue(args, "interval");
  if (!text.ok()) return text.status();
  absl::StatusOr<v1::Interval> interval = ParseInterval(*text);
  if (!interval.ok()) return interval.status();
  call.request.set_interval(*interval);
  call.request.set_time_zone(args.Get("time_zone").value_or(""));
  return call;
}

absl::StatusOr<Call<v1::GetBreakdownRequest>> BuildBreakdown(
    const ParsedArgs& args, const Environment& env) {
  Call<v1::GetBreakdownRequest> call;
  if (absl::Status s = ReadQueryCall(
          args, "breakdown", {"dimension", "sort", "limit", "page_token"}, env,
          &call);
      !s.ok()) {
    return s;
  }
  v1::GetBreakdownRequest& request = call.request;
  absl::StatusOr<std::string> text = RequiredValue(args, "dimension");
  if (!text.ok()) return text.status();
  absl::StatusOr<v1::Dimension> dimension = ParseDimension(*text);
  if (!dimension.ok()) return dimension.status();
  request.set_dimension(*dimension);
  request.set_sort_by(v1::BREAKDOWN_METRIC_VISITORS);
  if (std::optional<std::string> sort = args.Get("sort")) {
    absl::StatusOr<v1::BreakdownMetric> metric = ParseBreakdownMetric(*sort);
    if (!metric.ok()) return metric.status();
    request.set_sort_by(*metric);
  }
  if (std::optional<std::string> limit_text = args.Get("limit")) {
    absl::StatusOr<int32_t> limit = ParseLimit(*limit_text);
    if (!limit.ok()) return limit.status();
    request.set_limit(*limit);
  }
  request.set_page_token(args.Get("page_token").value_or(""));
  return call;
}

absl::StatusOr<Call<v1::GetEventPropertyBreakdownRequest>>
BuildEventPropertyBreakdown(const ParsedArgs& args, const Environment& env) {
  Call<v1::GetEventPropertyBreakdownRequest> call;
  if (absl::Status s = ReadQueryCall(args, "properties",
                                     {"event", "key", "limit"}, env, &call);
      !s.ok()) {
    return s;
  }
  v1::GetEventPropertyBreakdownRequest& request = call.request;
  absl::StatusOr<std::string> event = RequiredValue(args, "event");
  if (!event.ok()) return event.status();
  request.set_event_name(*event);
  absl::StatusOr<std::string> key = RequiredValue(args, "key");
  if (!key.ok()) return key.status();
  request.set_property_key(*key);
  if (std::optional<std::string> limit_text = args.Get("limit")) {
    absl::StatusOr<int32_t> limit = ParseLimit(*limit_text);
    if (!limit.ok()) return limit.status();
    request.set_limit(*limit);
  }
  return call;
}

absl::StatusOr<Call<v1::GetDashboardSummaryRequest>> BuildDashboardSummary(
    const ParsedArgs& args, const Environment& env) {
  Call<v1::GetDashboardSummaryRequest> call;
  if (absl::Status s = ReadQueryCall(args, "dashboard",
                                     {"interval", "time_zone"}, env, &call);
      !s.ok()) {
    return s;
  }
  call.request.set_interval(v1::DAY);
  if (std::optional<std::string> text = args.Get("interval")) {
    absl::StatusOr<v1::Interval> interval = ParseInterval(*text);
    if (!interval.ok()) return interval.status();
    call.request.set_interval(*interval);
  }
  call.request.set_time_zone(args.Get("time_zone").value_or(""));
  return call;
}

absl::StatusOr<Call<v1::ListEventsRequest>> BuildListEvents(
    const ParsedArgs& args, const Environment& env) {
  return BuildList<v1::ListEventsRequest>(args, "events", env);
}

absl::StatusOr<Call<v1::ListSessionsRequest>> BuildListSessions(
    const ParsedArgs& args, const Environment& env) {
  return BuildList<v1::ListSessionsRequest>(args, "sessions", env);
}

absl::StatusOr<Call<v1::ListVisitorsRequest>> BuildListVisitors(
    const ParsedArgs& args, const Environment& env) {
  return BuildList<v1::ListVisitorsRequest>(args, "visitors", env);
}

}  // namespace analytics::cli
