// What analyticsctl prints: text for people, env lines for shells, JSON for
// programs. Every function returns the text, so the exact formats (which
// scripts/run depends on) are unit-tested.
//
// Thread-safe: pure functions.
#pragma once

#include <grpcpp/support/status_code_enum.h>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "analytics/v1/admin.pb.h"
#include "analytics/v1/common.pb.h"
#include "analytics/v1/ingest.pb.h"
#include "analytics/v1/query.pb.h"
#include "google/protobuf/message.h"

namespace analytics::cli {

enum class OutputFormat { kText, kEnv, kJson };

// Parses --output (empty means text); INVALID_ARGUMENT if the value is not
// one of `allowed`.
absl::StatusOr<OutputFormat> ParseOutputFormat(
    std::string_view text, const std::set<OutputFormat>& allowed);

// "UNAVAILABLE", "NOT_FOUND", ...; "CODE_<n>" for a code gRPC does not name.
std::string StatusCodeName(grpc::StatusCode code);

// Exactly "SITE_ID=<id>\nWRITE_KEY=<key>\nREAD_KEY=<key>\n": shell-sourceable
// and read line by line by scripts/run. Keys are web-safe base64, so they
// need no quoting.
std::string CreatedSiteEnv(const v1::CreateSiteResponse& created);

// The new site and both keys, with the reminder that they are shown once.
std::string CreatedSiteText(const v1::CreateSiteResponse& created);

// The kind of key a rotation replaced.
enum class KeyKind { kWrite, kRead };

// Exactly "WRITE_KEY=<key>\n" (or "READ_KEY=<key>\n"), named as in
// CreatedSiteEnv so that sourcing it replaces the variable from site create.
std::string RotatedKeyEnv(KeyKind kind, const v1::RotateKeyResponse& rotated);

// The site, the new key with the reminder that it is shown once, and when
// the site's previous keys of that kind stop working (UTC, to the second,
// rounded down).
std::string RotatedKeyText(KeyKind kind, int64_t site_id,
                           const v1::RotateKeyResponse& rotated);

// One site, one "field: value" line each.
std::string SiteText(const v1::Site& site);

// A table with one line per site; "no sites" when there are none.
std::string SiteListText(const v1::ListSitesResponse& list);

// A DeleteSite answer: "deleted site 7 (1234 rows)" when done, else
// "site 7: 500 rows purged, more to come" (or "waiting for the quiet
// period" once nothing was left to purge).
std::string DeleteProgressText(int64_t site_id,
                               const v1::DeleteSiteResponse& response);

// Accepted and duplicate counts, then one line per rejected event.
std::string IngestResultText(const v1::IngestResponse& response);

// The overview numbers, one "name: value" line each; times in UTC RFC 3339.
// With `compare` (the request set compare_previous), each metric line also
// has the previous period's value and the change as a signed percentage
// with one decimal ("+12.5%"), or "n/a" when the server sent no change,
// under a "current previous change" header.
std::string OverviewText(const v1::Overview& overview, bool compare);

// "time_zone: <zone>", then one line per point: the bucket start in RFC 3339
// with the offset of that zone (in UTC, and said so, when the zone cannot be
// loaded here), events, pageviews, sessions, visitors, bounce rate and
// average session duration under a header ("no buckets" when there are
// none); then pending_events and as_of (UTC).
std::string TimeseriesText(const v1::Timeseries& timeseries);

// GetBreakdown: a table with one line per row in the order received: the
// key (escaped like list cells; "(none)" when empty) under a header naming
// the request's dimension (PAGE, ENTRY_PAGE, UTM_SOURCE, ..., KEY for one
// not known here), then VISITORS, EVENTS, PAGEVIEWS, SESSIONS; the key
// column is as wide as the widest key up to 60 characters (longer keys
// push only their own line). "no rows" when the page is empty. Then
// pending_events and as_of (UTC) and, unless this is the last page,
// "next page: --from=<time> --to=<time> --page-token=<token>" as for the
// QueryService lists.
std::string BreakdownText(const v1::Breakdown& breakdown,
                          const v1::GetBreakdownRequest& request);

// GetEventPropertyBreakdown: "total_events: <n>" (the events of that name,
// with or without the property), then a table with one line per value:
// VALUE (escaped; an empty string as ""), EVENTS, VISITORS, SESSIONS, or
// "no values"; then pending_events and as_of (UTC).
std::string EventPropertyBreakdownText(
    const v1::EventPropertyBreakdown& breakdown);

// GetDashboardSummary, in sections separated by an empty line: the overview
// as OverviewText prints it (with pending_events and as_of), the series as
// TimeseriesText prints its time zone and buckets, then the top pages,
// referrers, utm sources and track events as BreakdownText prints rows
// (headers PAGE, REFERRER, UTM_SOURCE, EVENT; "no pages", "no referrers",
// "no utm sources", "no track events" when empty).
std::string DashboardSummaryText(const v1::DashboardSummary& summary);

// A table with one line per failed event (times to the second, in UTC;
// NEXT_ATTEMPT_AT only for retrying events; EVENT is type/name; control
// characters in names and errors escaped so each event stays one line),
// "no failed events" when there are none, then
// "next page: --page-token=<token>" unless this is the last page.
std::string FailedEventsText(const v1::ListFailedEventsResponse& list);

// The QueryService lists: a table with one line per row, in the order
// listed (times to the second, in UTC; control characters in text from the
// server escaped so each row stays one line; "-" for an empty value), or
// "no events" ("no sessions", "no visitors") when the page is empty; then,
// unless this is the last page,
// "next page: [--from=<time>] [--to=<time>] --page-token=<token>" with the
// request's from and to where it set them, exactly (RFC 3339, UTC): the
// server accepts a token only with the from and to it was issued for, which
// relative times (-1h) would not give again.
//
// Events: OCCURRED_AT, EVENT_ID, TYPE, NAME/PATH (the name, else the path),
// VISITOR_ID, SESSION_ID.
std::string EventListText(const v1::ListEventsResponse& list,
                          const v1::ListEventsRequest& request);

// Sessions: STARTED_AT, SESSION_ID, VISITOR_ID, DURATION (to the second),
// PAGEVIEWS, EVENTS, "ENTRY -> EXIT" path ("-" without pageviews), BOUNCED
// (yes/no).
std::string SessionListText(const v1::ListSessionsResponse& list,
                            const v1::ListSessionsRequest& request);

// Visitors: LAST_SEEN_AT, VISITOR_ID, FIRST_SEEN_AT, USER_ID.
std::string VisitorListText(const v1::ListVisitorsResponse& list,
                            const v1::ListVisitorsRequest& request);

// Exactly "requeued: <n>\n".
std::string RetryResultText(const v1::RetryFailedEventsResponse& response);

// A table with one line per site: pending events, the age of the oldest
// (to the second; "-" when none is pending), retrying and dead events;
// "no backlog" when there are no sites.
std::string BacklogText(const v1::GetBacklogResponse& backlog);

// The range checked, rows_checked, rows_different, for a rebuild whether it
// rewrote, then one line per difference: granularity, bucket start,
// dimension, "key", and the values that differ as
// "<name> expected <n>, actual <n>".
std::string RollupCheckText(const v1::RollupCheckResponse& check, bool rebuild);

// Proto3 JSON with the .proto field names and default values included,
// ending in a newline.
absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message);

}  // namespace analytics::cli
