// Common service flags and start-up steps.
#include "common/config/service_config.h"

#include "absl/flags/flag.h"
#include "absl/status/statusor.h"
#include "common/auth/keys.h"
#include "common/db/migrator.h"
#include "common/logging/logging.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, database_url, "",
          "PostgreSQL connection URL, e.g. postgresql://user@host:5432/db "
          "(also DATABASE_URL)");
ABSL_FLAG(int, db_pool_size, 16, "Database connections per process");
ABSL_FLAG(absl::Duration, db_statement_timeout, absl::Seconds(30),
          "Longest a single SQL statement may run");
ABSL_FLAG(bool, migrate, false,
          "Apply pending schema migrations at start-up (safe with many "
          "replicas: an advisory lock serialises them)");
ABSL_FLAG(bool, migrate_only, false,
          "Apply pending schema migrations and exit (for a migration job)");
ABSL_FLAG(std::string, admin_token, "",
          "Token for AdminService calls; prefer the environment variable "
          "ANALYTICS_ADMIN_TOKEN. Empty disables admin calls");
ABSL_FLAG(std::string, log_format, "text", "Log format: text or json");
ABSL_FLAG(std::string, log_level, "info",
          "Log level: trace, debug, info, warn, error");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(8),
          "On SIGTERM, how long stopping may take in all (the in-flight "
          "reduction pass and RPCs); below Kubernetes' and our 10 s promise");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate chain of the gRPC server; with --tls_key turns TLS "
          "on (default: plaintext)");
ABSL_FLAG(std::string, tls_key, "", "PEM private key for --tls_cert");
ABSL_FLAG(absl::Duration, health_check_interval, absl::Seconds(2),
          "How often the database is pinged for grpc.health.v1: while it "
          "does not answer, each service's name reports NOT_SERVING (the "
          "overall \"\" status, which probes use, stays SERVING)");
ABSL_FLAG(int, health_port, 0,
          "When set: grpc.health.v1 Check alone, in plaintext on "
          "0.0.0.0:<port>, for Kubernetes' gRPC probes when --tls_cert is on "
          "(they cannot speak TLS); 0: off");
ABSL_FLAG(int, metrics_port, 0,
          "Serve Prometheus metrics on http://0.0.0.0:<port>/metrics (0: off)");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA bundle: clients must present a certificate it signed "
          "(mutual TLS)");

namespace analytics {
absl::StatusOr<ServiceConfig> LoadServiceConfig(const std::string& service) {
  InitLogging(service, absl::GetFlag(FLAGS_log_format),
              absl::GetFlag(FLAGS_log_level));
  ServiceConfig config;
  config.database_url = absl::GetFlag(FLAGS_database_url);
  config.db_pool_size = absl::GetFlag(FLAGS_db_pool_size);
  config.db_statement_timeout = absl::GetFlag(FLAGS_db_statement_timeout);
  config.migrate = absl::GetFlag(FLAGS_migrate);
  config.migrate_only = absl::GetFlag(FLAGS_migrate_only);
  config.shutdown_grace = absl::GetFlag(FLAGS_shutdown_grace);
  const std::string token = absl::GetFlag(FLAGS_admin_token);
  if (!token.empty()) config.admin_token_hash = HashKey(token);
  // Do not keep the secret where a flag dump could show it.
  absl::SetFlag(&FLAGS_admin_token, "");

  if (config.database_url.empty()) {
    return absl::InvalidArgumentError(
        "--database_url (or DATABASE_URL) is required");
  }
  if (config.db_pool_size < 1) {
    return absl::InvalidArgumentError("--db_pool_size must be at least 1");
  }
  absl::StatusOr<ServerTls> tls =
      LoadServerTls(absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key),
                    absl::GetFlag(FLAGS_tls_client_ca));
  if (!tls.ok()) return tls.status();
  config.tls = *std::move(tls);
  config.health_check_interval = absl::GetFlag(FLAGS_health_check_interval);
  if (config.health_check_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "--health_check_interval: must be positive");
  }
  config.health_port = absl::GetFlag(FLAGS_health_port);
  if (config.health_port < 0 || config.health_port > 65535) {
    return absl::InvalidArgumentError("--health_port: not a port number");
  }
  config.metrics_port = absl::GetFlag(FLAGS_metrics_port);
  if (config.metrics_port < 0 || config.metrics_port > 65535) {
    return absl::InvalidArgumentError("--metrics_port must be 0 to 65535");
  }
  if (config.migrate || config.migrate_only) {
    absl::StatusOr<int> applied = db::ApplyMigrations(config.database_url);
    if (!applied.ok()) return applied.status();
    spdlog::info("schema up to date ({} migrations applied now)", *applied);
  }
  return config;
}

}  // namespace analytics
