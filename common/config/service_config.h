// Flags every service binary has (database, migrations, admin token,
// logging, shutdown), read once into ServiceConfig. Each flag can also come
// from ANALYTICS_<FLAG> (see flags.h); --database_url also from DATABASE_URL.
#pragma once

#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/server/tls.h"

ABSL_DECLARE_FLAG(std::string, database_url);
ABSL_DECLARE_FLAG(int, db_pool_size);
ABSL_DECLARE_FLAG(absl::Duration, db_statement_timeout);
ABSL_DECLARE_FLAG(bool, migrate);
ABSL_DECLARE_FLAG(bool, migrate_only);
ABSL_DECLARE_FLAG(std::string, admin_token);
ABSL_DECLARE_FLAG(std::string, log_format);
ABSL_DECLARE_FLAG(std::string, log_level);
ABSL_DECLARE_FLAG(absl::Duration, shutdown_grace);
ABSL_DECLARE_FLAG(std::string, tls_cert);
ABSL_DECLARE_FLAG(std::string, tls_key);
ABSL_DECLARE_FLAG(std::string, tls_client_ca);
ABSL_DECLARE_FLAG(int, metrics_port);
ABSL_DECLARE_FLAG(absl::Duration, health_check_interval);
ABSL_DECLARE_FLAG(int, health_port);

namespace analytics {

struct ServiceConfig {
  std::string database_url;
  int db_pool_size = 16;
  absl::Duration db_statement_timeout;
  bool migrate = false;
  bool migrate_only = false;
  // SHA-256 hex of the admin token; the token itself is not kept.
  std::string admin_token_hash;
  absl::Duration shutdown_grace;
  // From --tls_cert, --tls_key and --tls_client_ca.
  ServerTls tls;
  // 0: no metrics endpoint.
  int metrics_port = 0;
  // Database ping for the per-service health statuses (DependencyHealth).
  absl::Duration health_check_interval = absl::Seconds(2);
  // 0: no plaintext health-only port (HealthMirror).
  int health_port = 0;
};

// Reads the common flags (after ParseFlags), sets up logging for `service`,
// and applies migrations when asked. INVALID_ARGUMENT for a missing
// database URL or unusable TLS files; migration errors are returned as is.
absl::StatusOr<ServiceConfig> LoadServiceConfig(const std::string& service);

}  // namespace analytics
