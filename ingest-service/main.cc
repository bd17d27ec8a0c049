// ingest-service: the write path (IngestService) and site administration
// (AdminService). Wires configuration, the database pool and the services.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "absl/flags/flag.h"
#include "common/config/flags.h"
#include "common/config/service_config.h"
#include "common/db/connection_pool.h"
#include "common/metrics/metrics.h"
#include "common/metrics/pool_metrics.h"
#include "common/server/grpc_server.h"
#include "common/sites/site_repository.h"
#include "common/time/clock.h"
#include "ingest-service/src/admin_service.h"
#include "ingest-service/src/event_repository.h"
#include "ingest-service/src/event_validation.h"
#include "ingest-service/src/ingest_service.h"
#include "ingest-service/src/site_rate_limit.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "Address to serve gRPC on (host:port)");
ABSL_FLAG(int, max_events_per_request, 500, "Most events one Ingest may carry");
ABSL_FLAG(int, ingest_committers, 4,
          "Group commit: transactions storing events at once; concurrent "
          "Ingest calls beyond them wait and share the next one");
ABSL_FLAG(int, max_request_bytes,
          static_cast<int>(analytics::ingest::kDefaultMaxRequestBytes),
          "Largest request in bytes (serialized). gRPC refuses a larger one "
          "with RESOURCE_EXHAUSTED before it is parsed; this applies to "
          "AdminService calls on the same port too");
ABSL_FLAG(double, site_rate_limit, 0,
          "Sustained Ingest events per second each site may send (token "
          "bucket per site; 0: no limit). Over it Ingest answers "
          "RESOURCE_EXHAUSTED with retry-after-ms trailing metadata");
ABSL_FLAG(int64_t, site_rate_burst, 0,
          "Bucket size of --site_rate_limit: events a site may send at once "
          "after being idle, and the largest batch that can pass; 0: the "
          "larger of --max_events_per_request and one second of the rate");
ABSL_FLAG(absl::Duration, key_cache_ttl, absl::Seconds(5),
          "How long a write-key lookup is cached; a disabled site or revoked "
          "key stops working within this time");
ABSL_FLAG(int, site_delete_batch_rows, 10000,
          "Rows per table one DeleteSite purge transaction deletes");
ABSL_FLAG(absl::Duration, site_delete_quiet_period, absl::Seconds(60),
          "How long after DeleteSite the site itself may go: longer than an "
          "Ingest statement (--db_statement_timeout) plus --key_cache_ttl");

namespace analytics::ingest {
namespace {

absl::StatusOr<SiteRateLimit> SiteRateLimitFromFlags(
    int max_events_per_request) {
  SiteRateLimit limit;
  limit.events_per_second = absl::GetFlag(FLAGS_site_rate_limit);
  limit.burst = absl::GetFlag(FLAGS_site_rate_burst);
  if (!(limit.events_per_second >= 0) || limit.burst < 0) {
    return absl::InvalidArgumentError(
        "--site_rate_limit and --site_rate_burst must not be negative");
  }
  if (limit.enabled() && limit.burst == 0) {
    // Room for the largest batch Ingest takes, so no valid request is
    // refused outright by the default burst.
    limit.burst = std::max<int64_t>(
        max_events_per_request,
        static_cast<int64_t>(std::ceil(limit.events_per_second)));
  }
  if (limit.enabled()) {
    spdlog::info("per-site ingest rate limit: {} events/s, burst {}",
                 limit.events_per_second, limit.burst);
  }
  return limit;
}

int Main(int argc, char** argv) {
  BlockTerminationSignals();
  ParseFlags(argc, argv,
             "ingest-service: accepts event batches and administers sites.\n"
             "Every flag can also be set as ANALYTICS_<FLAG_NAME>.");
  absl::StatusOr<ServiceConfig> config = LoadServiceConfig("ingest-service");
  if (!config.ok()) {
    spdlog::critical("{}", config.status().ToString());
    return 2;
  }
  if (config->migrate_only) return 0;
  absl::StatusOr<SiteRateLimit> rate_limit =
      SiteRateLimitFromFlags(absl::GetFlag(FLAGS_max_events_per_request));
  if (!rate_limit.ok()) {
    spdlog::critical("{}", rate_limit.status().ToString());
    return 2;
  }
  // Not 0 or less: gRPC takes a negative receive limit as "no limit".
  const int max_request_bytes = absl::GetFlag(FLAGS_max_request_bytes);
  if (max_request_bytes <= 0) {
    spdlog::critical("--max_request_bytes must be positive");
    return 2;
  }

  std::vector<db::Statement> statements = SiteRepository::Statements();
  for (const auto& list :
       {EventRepository::Statements(), FailedEventRepository::Statements(),
        RollupAudit::Statements(), SitePurge::Statements()}) {
    statements.insert(statements.end(), list.begin(), list.end());
  }
  db::ConnectionPool pool(
      db::PoolOptions{.url = config->database_url,
                      .size = config->db_pool_size,
                      .statement_timeout = config->db_statement_timeout,
                      .application_name = "ingest-service"},
      std::move(statements));

  SiteRepository sites(&pool);
  SiteKeyCache keys(&sites, &Clock::Real(), absl::GetFlag(FLAGS_key_cache_ttl));
  GroupCommitOptions group_commit;
  group_commit.committers = std::max(1, absl::GetFlag(FLAGS_ingest_committers));
  EventRepository events(&pool, group_commit);
  IngestLimits limits;
  limits.max_events_per_request = absl::GetFlag(FLAGS_max_events_per_request);
  limits.max_request_bytes = static_cast<size_t>(max_request_bytes);
  SiteRateLimiter rate_limiter(*rate_limit, &Clock::Real());
  Metrics metrics;
  ExportPoolMetrics(&pool, &metrics);
  IngestServiceImpl ingest(&keys, &events, &Clock::Real(), limits, &metrics,
                           &rate_limiter);
  FailedEventRepository failed(&pool);
  RollupAudit audit(&pool);
  SitePurge purge(&pool, absl::GetFlag(FLAGS_site_delete_batch_rows),
                  absl::GetFlag(FLAGS_site_delete_quiet_period));
  AdminServiceImpl admin(&sites, &failed, &audit, &purge,
                         config->admin_token_hash);
  if (config->admin_token_hash.empty()) {
    spdlog::warn("no admin token configured: AdminService calls are refused");
  }

  absl::Status served = RunServer(
      ServerOptions{
          .listen_address = absl::GetFlag(FLAGS_listen),
          // The limit Ingest validates, applied before parsing: a request
          // between it and gRPC's default is never read into a message.
          .max_receive_message_bytes = max_request_bytes,
          .shutdown_grace = config->shutdown_grace,
          .tls = config->tls,
          .metrics = &metrics,
          .metrics_port = config->metrics_port,
          .dependency_check =
              [&pool](absl::Duration timeout) { return pool.Ping(timeout); },
          .dependency_check_interval = config->health_check_interval,
          .health_services = {v1::IngestService::service_full_name(),
                              v1::AdminService::service_full_name()},
          .health_port = config->health_port},
      {&ingest, &admin}, nullptr);
  if (!served.ok()) {
    spdlog::critical("{}", served.ToString());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace analytics::ingest

int main(int argc, char** argv) { return analytics::ingest::Main(argc, argv); }
