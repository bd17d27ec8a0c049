// From a parsed command line to the call to make: which server, which
// credentials, which request message and how to print the answer. Every flag
// rule of every subcommand lives here, apart from the RPCs (commands.cc), so
// it is unit-tested without a server.
//
// Thread-safe: pure functions, apart from reading the --tls_* files.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "analytics/v1/admin.pb.h"
#include "analytics/v1/ingest.pb.h"
#include "analytics/v1/query.pb.h"
#include "analyticsctl/src/args.h"
#include "analyticsctl/src/output.h"

namespace analytics::cli {

// ingest-service serves IngestService and AdminService; reducer-service
// serves QueryService.
inline constexpr char kDefaultIngestTarget[] = "127.0.0.1:50051";
inline constexpr char kDefaultQueryTarget[] = "127.0.0.1:50052";
inline constexpr absl::Duration kDefaultTimeout = absl::Seconds(5);
// rollups verify/rebuild read every raw event of the range, which takes far
// longer than a lookup.
inline constexpr absl::Duration kDefaultRollupTimeout = absl::Minutes(5);

// What the process contributes besides argv.
struct Environment {
  // One reading of the clock, so "--from=-1h --to=now" spans exactly 1h.
  absl::Time now;
  // ANALYTICS_ADMIN_TOKEN; empty if unset.
  std::string admin_token;
};

// The client side of TLS (--tls_ca, --tls_cert, --tls_key), as PEM text.
struct ClientTls {
  // Non-empty: TLS, trusting this CA bundle for the server's certificate.
  std::string ca_pem;
  // Both non-empty: present this client certificate (mutual TLS).
  std::string cert_pem;
  std::string key_pem;
  bool enabled() const { return !ca_pem.empty(); }
};

template <typename Request>
struct Call {
  std::string target;
  ClientTls tls;
  absl::Duration timeout;
  // Sent as `authorization: Bearer <token>`. Never printed.
  std::string token;
  OutputFormat output = OutputFormat::kText;
  Request request;
};

// Each validates the whole command line of its subcommand (unknown flags,
// missing or malformed values) and returns INVALID_ARGUMENT, meant for the
// user, on the first problem. Messages never contain a key or token.

// site create --slug=.. [--name=..] [--allowed_origins=a,b]
//             [--session_timeout=30m] [--time_zone=UTC]
//             [--output=text|env|json]
absl::StatusOr<Call<v1::CreateSiteRequest>> BuildCreateSite(
    const ParsedArgs& args, const Environment& env);

// site get (--site=<id> | --slug=<slug>) [--output=text|json]
absl::StatusOr<Call<v1::GetSiteRequest>> BuildGetSite(const ParsedArgs& args,
                                                      const Environment& env);

// site list [--output=text|json]
absl::StatusOr<Call<v1::ListSitesRequest>> BuildListSites(
    const ParsedArgs& args, const Environment& env);

// site rotate-write-key|rotate-read-key --site=<id> [--grace=1h]
//                                       [--output=text|env|json]
// Without --grace, grace_period stays unset and the server's default (1h)
// applies; --grace=0s ends the previous keys at once. The server enforces
// its maximum (30 days). The two differ only in the RPC made and in the
// command named in messages.
absl::StatusOr<Call<v1::RotateKeyRequest>> BuildRotateWriteKey(
    const ParsedArgs& args, const Environment& env);
absl::StatusOr<Call<v1::RotateKeyRequest>> BuildRotateReadKey(
    const ParsedArgs& args, const Environment& env);

// site update --site=<id> [--name=..] [--allowed_origins=a,b]
//             [--session_timeout=30m] [--time_zone=..] [--raw_retention=9600h]
//             [--property_allowlist=a,b] [--property_denylist=a,b]
//             [--output=text|json]
// Every field flag given goes into update_mask, so only those change; an
// empty list flag (--allowed_origins=) clears that list. At least one field
// flag is required.
absl::StatusOr<Call<v1::UpdateSiteRequest>> BuildUpdateSite(
    const ParsedArgs& args, const Environment& env);

// site disable|enable --site=<id> [--output=text|json]
absl::StatusOr<Call<v1::SiteStateRequest>> BuildSetSiteState(
    const ParsedArgs& args, std::string_view command, const Environment& env);

// site delete --site=<id> --yes [--output=text|json]
// --yes is required: deletion cannot be undone. Each call's default timeout
// is 5m (kDefaultDeleteTimeout); the command calls again until done.
inline constexpr absl::Duration kDefaultDeleteTimeout = absl::Minutes(5);
absl::StatusOr<Call<v1::DeleteSiteRequest>> BuildDeleteSite(
    const ParsedArgs& args, const Environment& env);

// failed list --site=<id> [--state=retrying|dead] [--page-size=1..1000]
//             [--page-token=..] [--output=text|json]
// Without --state both states are listed; without --page-size the server's
// default (100) applies.
absl::StatusOr<Call<v1::ListFailedEventsRequest>> BuildListFailedEvents(
    const ParsedArgs& args, const Environment& env);

// failed retry --site=<id> (--ids=1,2,3 | --all [--state=retrying|dead])
// Text output only.
absl::StatusOr<Call<v1::RetryFailedEventsRequest>> BuildRetryFailedEvents(
    const ParsedArgs& args, const Environment& env);

// backlog [--site=<id>] [--output=text|json]; without --site every site
// with a backlog (site_id 0).
absl::StatusOr<Call<v1::GetBacklogRequest>> BuildGetBacklog(
    const ParsedArgs& args, const Environment& env);

// rollups verify|rebuild --site=<id> --from=<time> --to=<time>
//                        [--output=text|json]
// The default timeout is kDefaultRollupTimeout. The two differ only in the
// RPC made and in the command named in messages.
absl::StatusOr<Call<v1::RollupCheckRequest>> BuildVerifyRollups(
    const ParsedArgs& args, const Environment& env);
absl::StatusOr<Call<v1::RollupCheckRequest>> BuildRebuildRollups(
    const ParsedArgs& args, const Environment& env);

// send --write-key=.. --visitor=.. --session=.. --type=.. [event fields]
absl::StatusOr<Call<v1::IngestRequest>> BuildSend(const ParsedArgs& args,
                                                  const Environment& env);

// overview --read-key=.. --site=<id> --from=<time> --to=<time> [--compare]
//          [--output=text|json]
// Without a read key the admin token is used (QueryService accepts it for
// any site). --compare sets compare_previous.
absl::StatusOr<Call<v1::GetOverviewRequest>> BuildOverview(
    const ParsedArgs& args, const Environment& env);

// timeseries --read-key=.. --site=<id> --from=<time> --to=<time>
//            --interval=hour|day|week|month [--time-zone=<IANA name>]
//            [--output=text|json]
// Credentials as for overview. The time zone is passed through as given
// (the server validates it); without it the site's zone applies.
absl::StatusOr<Call<v1::GetTimeseriesRequest>> BuildTimeseries(
    const ParsedArgs& args, const Environment& env);

// breakdown --read-key=.. --site=<id> --from=<time> --to=<time>
//           --dimension=page|entry-page|exit-page|referrer|utm-source|
//                       utm-medium|utm-campaign|event|device|browser|os|
//                       country
//           [--sort=visitors|events|pageviews|sessions] [--limit=1..1000]
//           [--page-token=..] [--output=text|json]
// Credentials as for overview. Dimension names may also be written with '_'
// (utm_source). Without --sort, sort_by is set to visitors (the server's
// default, sent explicitly so every page of a run asks the same); without
// --limit the server's default (100) applies. The page token is passed
// through as given; the server accepts it only with the same site, from,
// to, dimension and sort as the request it came from.
absl::StatusOr<Call<v1::GetBreakdownRequest>> BuildBreakdown(
    const ParsedArgs& args, const Environment& env);

// properties --read-key=.. --site=<id> --from=<time> --to=<time>
//            --event=<TRACK event name> --key=<property key>
//            [--limit=1..1000] [--output=text|json]
// Credentials as for overview. The event name and property key are passed
// through as given (non-empty); without --limit the server's default (100)
// applies.
absl::StatusOr<Call<v1::GetEventPropertyBreakdownRequest>>
BuildEventPropertyBreakdown(const ParsedArgs& args, const Environment& env);

// dashboard --read-key=.. --site=<id> --from=<time> --to=<time>
//           [--interval=hour|day|week|month] [--time-zone=<IANA name>]
//           [--output=text|json]
// Credentials as for overview. --interval defaults to day (sent
// explicitly); the time zone as for timeseries.
absl::StatusOr<Call<v1::GetDashboardSummaryRequest>> BuildDashboardSummary(
    const ParsedArgs& args, const Environment& env);

// events|sessions|visitors --read-key=.. --site=<id> [--from=<time>]
//                          [--to=<time>] [--page-size=1..1000]
//                          [--page-token=..] [--output=text|json]
// Credentials as for overview. --from and --to are each optional: without
// one the request leaves it unset (unbounded on that side); without
// --page-size the server's default (50) applies. The page token is passed
// through as given; the server accepts it only with the same site, from and
// to as the request it came from. The three differ only in the request
// type, the RPC made and the command named in messages.
absl::StatusOr<Call<v1::ListEventsRequest>> BuildListEvents(
    const ParsedArgs& args, const Environment& env);
absl::StatusOr<Call<v1::ListSessionsRequest>> BuildListSessions(
    const ParsedArgs& args, const Environment& env);
absl::StatusOr<Call<v1::ListVisitorsRequest>> BuildListVisitors(
    const ParsedArgs& args, const Environment& env);

}  // namespace analytics::cli
