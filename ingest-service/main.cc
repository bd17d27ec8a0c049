// ingest-service: the write path (IngestService) and site administration
// (AdminService). Wires configuration, the database pool and the services.
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
#include "ingest-service/src/ingest_service.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "Address to serve gRPC on (host:port)");
ABSL_FLAG(int, max_events_per_request, 500, "Most events one Ingest may carry");
ABSL_FLAG(int, max_request_bytes, 1 << 20,
          "Largest Ingest request in bytes (serialized)");
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
  EventRepository events(&pool);
  IngestLimits limits;
  limits.max_events_per_request = absl::GetFlag(FLAGS_max_events_per_request);
  limits.max_request_bytes = absl::GetFlag(FLAGS_max_request_bytes);
  Metrics metrics;
  ExportPoolMetrics(&pool, &metrics);
  IngestServiceImpl ingest(&keys, &events, &Clock::Real(), limits, &metrics);
  FailedEventRepository failed(&pool);
  RollupAudit audit(&pool);
  SitePurge purge(&pool, absl::GetFlag(FLAGS_site_delete_batch_rows),
                  absl::GetFlag(FLAGS_site_delete_quiet_period));
  AdminServiceImpl admin(&sites, &failed, &audit, &purge,
                         config->admin_token_hash);
  if (config->admin_token_hash.empty()) {
    spdlog::warn("no admin token configured: AdminService calls are refused");
  }

  absl::Status served =
      RunServer(ServerOptions{.listen_address = absl::GetFlag(FLAGS_listen),
                              .shutdown_grace = config->shutdown_grace,
                              .tls = config->tls,
                              .metrics = &metrics,
                              .metrics_port = config->metrics_port},
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
