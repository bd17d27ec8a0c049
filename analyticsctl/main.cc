// analyticsctl: command-line client for the analytics services. Creates and
// inspects sites, rotates their keys and inspects failed events, the backlog
// and rollups (AdminService), sends single events (IngestService) and reads
// overviews, timeseries, breakdowns, event property breakdowns, dashboard
// summaries and lists of events, sessions and visitors (QueryService).
// Parses the command line and dispatches to the subcommand; everything else
// is in src/.
#include <iostream>
#include <string>
#include <vector>

#include "analyticsctl/src/args.h"
#include "analyticsctl/src/commands.h"

namespace analytics::cli {
namespace {

constexpr char kUsage[] =
    R"(usage: analyticsctl [--target=host:port] [--timeout=5s] <command> [flags]

commands:
  site create --slug=<slug> [--name=<name>] [--allowed_origins=<a,b>]
              [--session_timeout=30m] [--time_zone=UTC]
              [--output=text|env|json]
      Create a site and print its id and its write and read keys, which are
      shown only this once. --output=env prints exactly SITE_ID=, WRITE_KEY=
      and READ_KEY= lines, ready for `source`.
  site get    (--site=<id> | --slug=<slug>) [--output=text|json]
  site list   [--output=text|json]
  site update --site=<id> [--name=<name>] [--allowed_origins=<a,b>]
              [--session_timeout=30m] [--time_zone=<IANA name>]
              [--raw_retention=9600h] [--property_allowlist=<k1,k2>]
              [--property_denylist=<k1,k2>] [--output=text|json]
      Change only the given settings and print the site. An empty list
      (--allowed_origins=) clears it. Property lists decide which event
      property keys Ingest stores (allowlist empty: every key; the denylist
      wins); other keys are dropped from accepted events.
  site disable --site=<id> [--output=text|json]
  site enable  --site=<id> [--output=text|json]
      Refuse (accept again) Ingest with the site's write keys; data and
      read keys stay.
  site delete --site=<id> --yes [--output=text|json]
      Delete the site and all its data for good: keys stop working at once,
      then events, sessions, visitors and rollups are purged in batches
      (calling again until done; --timeout per call, default 5m) and the
      site goes after the server's quiet period. Prints the rows removed.
  site rotate-write-key --site=<id> [--grace=1h] [--output=text|env|json]
  site rotate-read-key  --site=<id> [--grace=1h] [--output=text|env|json]
      Issue a new write (read) key for the site and print it, with the time
      its previous keys of that kind stop working. The new key is shown only
      this once. --grace is how long the previous keys keep working (default
      1h on the server, 0s ends them at once, at most 30 days); services may
      still accept an ended key for up to their --key_cache_ttl.
      --output=env prints exactly WRITE_KEY= (READ_KEY=), ready for `source`.
  send        --write-key=<key> --visitor=<id> --session=<id>
              --type=pageview|track|identify [--name=<event name>]
              [--path=/] [--title=<title>] [--referrer=<url>]
              [--user-id=<id>] [--event-id=<id>] [--at=<time>]
              [--props=k1=v1,k2=v2] [--prop=k=v]... [--origin=<origin>]
              [--output=text|json]
      Send one event. Exit status 1 unless it is accepted or a duplicate.
  overview    --read-key=<key> --site=<id> --from=<time> --to=<time>
              [--compare] [--output=text|json]
      Metrics of [from, to). --compare adds the previous period of equal
      length and the change per metric (a percentage; n/a when the previous
      value is 0).
  timeseries  --read-key=<key> --site=<id> --from=<time> --to=<time>
              --interval=hour|day|week|month [--time-zone=<IANA name>]
              [--output=text|json]
      The same metrics per bucket of the interval in the time zone (default:
      the site's), one line per bucket with its start in that zone.
  breakdown   --read-key=<key> --site=<id> --from=<time> --to=<time>
              --dimension=page|entry-page|exit-page|referrer|utm-source|
                          utm-medium|utm-campaign|event|device|browser|os|
                          country
              [--sort=visitors|events|pageviews|sessions] [--limit=100]
              [--page-token=<token>] [--output=text|json]
      The values of the dimension in [from, to) with their visitors,
      events, pageviews and sessions, most first by --sort (default
      visitors), --limit rows (default 100, at most 1000) a page; an empty
      value is shown as (none). entry-page and exit-page count the sessions
      that started in the range. Then pending_events, as_of and, if there
      are more, "next page: --from=.. --to=.. --page-token=...": the flags
      that read on (repeat --dimension and --sort).
  properties  --read-key=<key> --site=<id> --from=<time> --to=<time>
              --event=<name> --key=<property key> [--limit=100]
              [--output=text|json]
      The values of property --key of the track events named --event in
      [from, to): total_events (with or without the property), then per
      value its events, visitors and sessions, most events first, --limit
      rows (default 100, at most 1000).
  dashboard   --read-key=<key> --site=<id> --from=<time> --to=<time>
              [--interval=hour|day|week|month] [--time-zone=<IANA name>]
              [--output=text|json]
      What a dashboard shows first, read at once: the overview metrics, the
      timeseries (--interval default day, zone as for timeseries) and the
      top 10 pages, referrers, utm sources and track events by visitors.
  events      --read-key=<key> --site=<id> [--from=<time>] [--to=<time>]
              [--page-size=50] [--page-token=<token>] [--output=text|json]
  sessions    (the same flags)
  visitors    (the same flags)
      The site's events (by occurred_at; bot events are never listed),
      sessions (by started_at) or visitors (by last_seen_at), newest first,
      one page of --page-size rows (default 50, at most 1000). --from and
      --to are each optional and select [from, to) of that time. One line
      per row: events: time, id, type, name (or path), visitor, session;
      sessions: start, id, visitor, duration, pageviews, events, entry ->
      exit path, bounced; visitors: last seen, id, first seen, user id
      (times to the second in UTC; --output=json for whole rows). Then, if
      there are more, "next page: [--from=..] [--to=..] --page-token=...":
      the flags that read on, with --from and --to as absolute times, since
      a page token only continues the range it came from.
  failed list  --site=<id> [--state=retrying|dead] [--page-size=100]
               [--page-token=<token>] [--output=text|json]
      Events whose reduction failed, in event id order: id, state,
      attempts, last failure, next attempt (retrying only), type/name and
      last error; then "next page: --page-token=..." if there are more.
  failed retry --site=<id> (--ids=<id,id,...> | --all [--state=retrying|dead])
      Re-queue failed events (the listed ids, or all of the site's failed
      events, in both states unless --state) with a fresh attempt budget;
      prints "requeued: N".
  backlog     [--site=<id>] [--output=text|json]
      Per site (every site with a backlog unless --site): pending events, age
      of the oldest pending one, retrying and dead events.
  rollups verify  --site=<id> --from=<time> --to=<time> [--output=text|json]
  rollups rebuild --site=<id> --from=<time> --to=<time> [--output=text|json]
      Recompute the site's rollups for the whole UTC days covering
      [from, to) from raw events and compare: prints the range checked, the
      rows checked and different, and each difference (first 100).
      verify writes nothing and exits 1 when rows differ; rebuild writes
      the recomputed rows (reduction of the site pauses meanwhile).
      Default --timeout 5m.
  help        Show this text.

flags for every command:
  --target=host:port  server; default 127.0.0.1:50051 (ingest-service) for
                      site, send, failed, backlog and rollups,
                      127.0.0.1:50052 (reducer-service) for overview,
                      timeseries, breakdown, properties, dashboard, events,
                      sessions and visitors
  --timeout=5s        deadline of each RPC (5m for rollups and site delete)
  --tls-ca=<pem>      use TLS, trusting this CA for the server's certificate
  --tls-cert=<pem> --tls-key=<pem>
                      client certificate and key for mutual TLS

The site, failed, backlog and rollups commands authenticate with the admin
token from the environment variable ANALYTICS_ADMIN_TOKEN or --admin_token
(visible to other users in `ps`, so prefer the variable). overview,
timeseries, breakdown, properties, dashboard, events, sessions and visitors
fall back to the admin token when --read-key is not given.

Flags are written --name=value or --name value; '-' and '_' in flag names are
the same (--write-key = --write_key).
<time>: RFC 3339 (2026-01-02T15:04:05Z), 'now', or relative to now (-1h,
        -30m, -90s).
Property values: true/false become booleans, null is null, JSON numbers
become numbers, anything else is a string; "quote" a value to keep it a
string. Use --prop (repeatable) for values containing commas.

exit status: 0 success, 1 error (the message on stderr is
"error: <CODE>: <message>" for RPC errors) or rows differ for rollups verify,
2 usage error.
)";

int Usage() {
  std::cerr << kUsage;
  return kExitUsage;
}

int Main(int argc, char** argv) {
  absl::StatusOr<ParsedArgs> args =
      ParseArgs(std::vector<std::string>(argv + 1, argv + argc));
  if (!args.ok()) return UsageError(args.status());
  const std::vector<std::string>& words = args->words;
  if (words.empty() || words[0] == "help" || args->Has("help")) return Usage();

  int exit = kExitUsage;
  if (words == std::vector<std::string>{"site", "create"}) {
    exit = RunSiteCreate(*args);
  } else if (words == std::vector<std::string>{"site", "get"}) {
    exit = RunSiteGet(*args);
  } else if (words == std::vector<std::string>{"site", "list"}) {
    exit = RunSiteList(*args);
  } else if (words == std::vector<std::string>{"site", "rotate-write-key"}) {
    exit = RunSiteRotateWriteKey(*args);
  } else if (words == std::vector<std::string>{"site", "update"}) {
    exit = RunSiteUpdate(*args);
  } else if (words == std::vector<std::string>{"site", "disable"}) {
    exit = RunSiteDisable(*args);
  } else if (words == std::vector<std::string>{"site", "enable"}) {
    exit = RunSiteEnable(*args);
  } else if (words == std::vector<std::string>{"site", "delete"}) {
    exit = RunSiteDelete(*args);
  } else if (words == std::vector<std::string>{"site", "rotate-read-key"}) {
    exit = RunSiteRotateReadKey(*args);
  } else if (words == std::vector<std::string>{"send"}) {
    exit = RunSend(*args);
  } else if (words == std::vector<std::string>{"overview"}) {
    exit = RunOverview(*args);
  } else if (words == std::vector<std::string>{"timeseries"}) {
    exit = RunTimeseries(*args);
  } else if (words == std::vector<std::string>{"breakdown"}) {
    exit = RunBreakdown(*args);
  } else if (words == std::vector<std::string>{"properties"}) {
    exit = RunProperties(*args);
  } else if (words == std::vector<std::string>{"dashboard"}) {
    exit = RunDashboard(*args);
  } else if (words == std::vector<std::string>{"events"}) {
    exit = RunEvents(*args);
  } else if (words == std::vector<std::string>{"sessions"}) {
    exit = RunSessions(*args);
  } else if (words == std::vector<std::string>{"visitors"}) {
    exit = RunVisitors(*args);
  } else if (words == std::vector<std::string>{"failed", "list"}) {
    exit = RunFailedList(*args);
  } else if (words == std::vector<std::string>{"failed", "retry"}) {
    exit = RunFailedRetry(*args);
  } else if (words == std::vector<std::string>{"backlog"}) {
    exit = RunBacklog(*args);
  } else if (words == std::vector<std::string>{"rollups", "verify"}) {
    exit = RunRollupsVerify(*args);
  } else if (words == std::vector<std::string>{"rollups", "rebuild"}) {
    exit = RunRollupsRebuild(*args);
  } else {
    std::string command;
    for (const std::string& word : words) {
      command += (command.empty() ? "" : " ") + word;
    }
    std::cerr << "error: unknown command '" << command << "'\n\n";
    return Usage();
  }
  // The output may be the only copy of new keys: a failed write must not
  // look like success.
  std::cout.flush();
  if (!std::cout) {
    std::cerr << "error: writing to standard output failed\n";
    return kExitFailure;
  }
  return exit;
}

}  // namespace
}  // namespace analytics::cli

int main(int argc, char** argv) { return analytics::cli::Main(argc, argv); }
