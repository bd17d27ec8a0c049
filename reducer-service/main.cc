// reducer-service: the reduction loop (ReducerWorker), retention
// (RetentionPass) and the dashboard read path (QueryService). Wires
// configuration, the pool and them.
#include <memory>

#include "absl/flags/flag.h"
#include "common/config/flags.h"
#include "common/config/service_config.h"
#include "common/db/connection_pool.h"
#include "common/metrics/metrics.h"
#include "common/metrics/pool_metrics.h"
#include "common/server/grpc_server.h"
#include "common/sites/site_repository.h"
#include "common/time/clock.h"
#include "reducer-service/src/activity_repository.h"
#include "reducer-service/src/query_service.h"
#include "reducer-service/src/reducer_worker.h"
#include "reducer-service/src/reduction_repository.h"
#include "reducer-service/src/report_repository.h"
#include "reducer-service/src/retention_pass.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50052",
          "Address to serve gRPC (QueryService) on (host:port)");
ABSL_FLAG(bool, reduce, true, "Run the reduction loop (claim and aggregate)");
ABSL_FLAG(bool, serve_queries, true,
          "Serve QueryService; with --reduce=false and --serve_queries=true "
          "a replica only answers dashboards, with --serve_queries=false it "
          "only reduces (health and reflection are always served)");
ABSL_FLAG(int, batch_size, 2000,
          "Most events one reduction pass claims; larger passes rewrite the "
          "hot rollup rows less often (bench/RESULTS.md)");
ABSL_FLAG(absl::Duration, poll_interval, absl::Seconds(1),
          "Fallback poll for work when no notification arrives");
ABSL_FLAG(
    absl::Duration, retry_base, absl::Seconds(1),
    "Backoff after an event's first failed reduction; doubles per attempt");
ABSL_FLAG(absl::Duration, retry_cap, absl::Hours(1),
          "Longest backoff between attempts");
ABSL_FLAG(int, max_attempts, 10,
          "Failed reductions after which an event becomes a dead letter");
ABSL_FLAG(absl::Duration, hourly_rollup_retention, absl::Hours(24 * 400),
          "How long hour rollups are kept (0: forever); day rollups are kept "
          "forever. Queries needing older hours are refused, so every "
          "replica must agree on it");
ABSL_FLAG(absl::Duration, retention_interval, absl::Minutes(10),
          "Between retention passes (with --reduce): partitions of raw events "
          "ahead of time, expired months dropped, per-site expiry in batches");
ABSL_FLAG(int, retention_batch_rows, 10000,
          "Rows per table one retention step deletes in one transaction");
ABSL_FLAG(std::string, database_read_url, "",
          "PostgreSQL URL QueryService reads rollups, sessions and events "
          "from (a streaming replica); empty: --database_url. Keys, sites, "
          "reduction and retention always use --database_url");
ABSL_FLAG(absl::Duration, key_cache_ttl, absl::Seconds(5),
          "How long a read-key lookup is cached");
ABSL_FLAG(std::string, test_fail_event_name, "",
          "TEST ONLY: TRACK events with this name fail to reduce, to exercise "
          "retries and dead letters. Leave empty in production");

namespace analytics::reducer {
namespace {

// Queue depth, oldest pending age, retrying and dead entries over every
// site, read from the database at each scrape.
void ExportQueueMetrics(ReductionRepository* reduction, Metrics* metrics) {
  const struct {
    const char* name;
    const char* help;
  } gauges[] = {
      {"analytics_queue_pending_events", "Events accepted, not yet reduced"},
      {"analytics_queue_oldest_pending_age_seconds",
       "Age of the oldest pending event, seconds"},
      {"analytics_queue_retrying_events",
       "Pending events waiting for another attempt after failing"},
      {"analytics_queue_dead_events", "Dead letters (see analyticsctl failed)"},
  };
  for (const auto& g : gauges) {
    metrics->Declare(g.name, g.help, Metrics::Type::kGauge);
  }
  metrics->AddCollector([reduction](Metrics& m) {
    absl::StatusOr<QueueStats> stats = reduction->ReadQueueStats();
    if (!stats.ok()) return;  // the scrape shows the last values
    m.Set("analytics_queue_pending_events", {}, stats->pending);
    m.Set("analytics_queue_oldest_pending_age_seconds", {},
          stats->oldest_pending_age_seconds);
    m.Set("analytics_queue_retrying_events", {}, stats->retrying);
    m.Set("analytics_queue_dead_events", {}, stats->dead);
  });
}

int Main(int argc, char** argv) {
  BlockTerminationSignals();
  ParseFlags(
      argc, argv,
      "reducer-service: reduces queued events into rollups and serves "
      "QueryService.\nEvery flag can also be set as ANALYTICS_<FLAG_NAME>.");
  absl::StatusOr<ServiceConfig> config = LoadServiceConfig("reducer-service");
  if (!config.ok()) {
    spdlog::critical("{}", config.status().ToString());
    return 2;
  }
  if (config->migrate_only) return 0;

  std::vector<db::Statement> statements = SiteRepository::Statements();
  for (const auto& s : ReductionRepository::Statements())
    statements.push_back(s);
  for (const auto& s : ReportRepository::Statements()) statements.push_back(s);
  for (const auto& s : ActivityRepository::Statements())
    statements.push_back(s);
  for (const auto& s : RetentionPass::Statements()) statements.push_back(s);
  db::ConnectionPool pool(
      db::PoolOptions{.url = config->database_url,
                      .size = config->db_pool_size,
                      .statement_timeout = config->db_statement_timeout,
                      .application_name = "reducer-service"},
      std::move(statements));

  // Dashboard reads may come from a replica (docs/scaling.md): numbers lag
  // by its replay delay, each answer still one consistent snapshot.
  const std::string read_url = absl::GetFlag(FLAGS_database_read_url);
  std::unique_ptr<db::ConnectionPool> read_pool;
  if (!read_url.empty()) {
    std::vector<db::Statement> reads = ReportRepository::Statements();
    for (const auto& s : ActivityRepository::Statements()) reads.push_back(s);
    read_pool = std::make_unique<db::ConnectionPool>(
        db::PoolOptions{.url = read_url,
                        .size = config->db_pool_size,
                        .statement_timeout = config->db_statement_timeout,
                        .application_name = "reducer-service-read"},
        std::move(reads));
  }
  db::ConnectionPool& query_pool = read_pool != nullptr ? *read_pool : pool;

  SiteRepository sites(&pool);
  SiteKeyCache keys(&sites, &Clock::Real(), absl::GetFlag(FLAGS_key_cache_ttl));
  ReportRepository reports(&query_pool);
  ActivityRepository activity(&query_pool);
  QueryOptions query_options;
  query_options.admin_token_hash = config->admin_token_hash;
  query_options.hourly_rollup_retention =
      absl::GetFlag(FLAGS_hourly_rollup_retention);
  QueryServiceImpl query(&keys, &sites, &reports, &activity, query_options);
  RetentionOptions retention_options;
  retention_options.hourly_rollup_retention =
      query_options.hourly_rollup_retention;
  retention_options.interval = absl::GetFlag(FLAGS_retention_interval);
  retention_options.batch_rows = absl::GetFlag(FLAGS_retention_batch_rows);
  RetentionPass retention(&pool, retention_options);

  BackoffPolicy backoff{.base = absl::GetFlag(FLAGS_retry_base),
                        .cap = absl::GetFlag(FLAGS_retry_cap),
                        .max_attempts = absl::GetFlag(FLAGS_max_attempts)};
  PlanOptions plan_options{.fail_event_name =
                               absl::GetFlag(FLAGS_test_fail_event_name)};
  if (!plan_options.fail_event_name.empty()) {
    spdlog::warn("TEST ONLY fault injection: events named '{}' fail to reduce",
                 plan_options.fail_event_name);
  }
  ReductionRepository reduction(&pool, backoff, plan_options);
  Metrics metrics;
  ExportPoolMetrics(&pool, &metrics);
  ExportQueueMetrics(&reduction, &metrics);
  ReducerWorker worker(
      &reduction,
      WorkerOptions{.batch_size = absl::GetFlag(FLAGS_batch_size),
                    .poll_interval = absl::GetFlag(FLAGS_poll_interval),
                    .listen_database_url = config->database_url,
                    .metrics = &metrics});
  const bool reduce = absl::GetFlag(FLAGS_reduce);
  const bool serve_queries = absl::GetFlag(FLAGS_serve_queries);
  if (!reduce && !serve_queries) {
    spdlog::critical("--reduce=false and --serve_queries=false: nothing to do");
    return 2;
  }
  if (reduce) {
    worker.Start();
    retention.Start();
  }
  std::vector<grpc::Service*> services;
  // grpc.health.v1 names that follow the database (DependencyHealth).
  std::vector<std::string> health_services;
  if (serve_queries) {
    services.push_back(&query);
    health_services.push_back(v1::QueryService::service_full_name());
  }
  if (reduce) health_services.push_back("analytics.reducer");

  absl::Status served = RunServer(
      ServerOptions{
          .listen_address = absl::GetFlag(FLAGS_listen),
          .shutdown_grace = config->shutdown_grace,
          .tls = config->tls,
          .metrics = &metrics,
          .metrics_port = config->metrics_port,
          .dependency_check =
              [&pool](absl::Duration timeout) { return pool.Ping(timeout); },
          .dependency_check_interval = config->health_check_interval,
          .health_services = health_services,
          .health_port = config->health_port},
      services, [&] {
        if (reduce) {
          worker.Stop();
          retention.Stop();
        }
      });
  if (!served.ok()) {
    spdlog::critical("{}", served.ToString());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace analytics::reducer

int main(int argc, char** argv) { return analytics::reducer::Main(argc, argv); }
