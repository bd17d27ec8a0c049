// Applies embedded migrations under an advisory lock.
#include "common/db/migrator.h"

#include <pqxx/pqxx>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/db/migrations.h"
#include "common/status/status_mapping.h"
#include "spdlog/spdlog.h"

namespace analytics::db {
namespace {

// Arbitrary constant shared by every binary of this product.
constexpr long long kMigrationLockId = 0x616e616c79746963;  // "analytic"

}  // namespace

absl::StatusOr<int> ApplyMigrations(const std::string& database_url) {
  try {
    pqxx::connection connection(database_url);
    int latest = 0;
    {
      // Session-level lock: held across the transactions below, released by
      // the unlock or when the connection closes (also on a crash).
      pqxx::nontransaction session(connection);
      session.exec_params("SELECT pg_advisory_lock($1)", kMigrationLockId);
      session.exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations ("
          " version integer PRIMARY KEY,"
          " name text NOT NULL,"
          " applied_at timestamptz NOT NULL DEFAULT now())");
      const pqxx::result max_version = session.exec(
          "SELECT coalesce(max(version), 0) FROM schema_migrations");
      latest = max_version[0][0].as<int>();
    }
    int known = 0;
    int applied = 0;
    for (const auto& migration : migrations::kAll) {
      // File stems look like "0001_initial_schema".
      int version = 0;
      if (!absl::SimpleAtoi(std::string(migration.name.substr(0, 4)),
                            &version)) {
        return absl::InternalError(
            absl::StrCat("bad migration name ", std::string(migration.name)));
      }
      known = version;
      if (version <= latest) continue;
      pqxx::work tx(connection, "migrate");
      tx.exec(std::string(migration.sql));
      tx.exec_params(
          "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
          version, std::string(migration.name.substr(5)));
      tx.commit();
      spdlog::info("applied migration {}", migration.name);
      ++applied;
    }
    pqxx::nontransaction unlock(connection);
    unlock.exec_params("SELECT pg_advisory_unlock($1)", kMigrationLockId);
    if (latest > known) {
      return absl::FailedPreconditionError(
          absl::StrCat("database schema is at version ", latest,
                       " but this binary knows only up to ", known));
    }
    return applied;
  } catch (const std::exception& e) {
    return FromPqxx(e);
  }
}

}  // namespace analytics::db
