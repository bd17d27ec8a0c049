// Creates and drops per-test databases.
#include "tests/support/test_database.h"

#include <unistd.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "common/db/migrator.h"
#include "common/status/status_mapping.h"

namespace analytics::testing {
namespace {

// The maintenance connection: PGDATABASE etc. from the environment.
absl::Status RunOnServer(const std::string& sql) {
  try {
    pqxx::connection connection;
    pqxx::nontransaction tx(connection);
    tx.exec(sql);
    return absl::OkStatus();
  } catch (const std::exception& e) {
    return FromPqxx(e);
  }
}

}  // namespace

TestDatabase::TestDatabase(std::string name)
    : name_(std::move(name)), url_(absl::StrCat("dbname=", name_)) {}

absl::StatusOr<std::unique_ptr<TestDatabase>> TestDatabase::Create() {
  static std::atomic<int> counter{0};
  std::string name =
      absl::StrCat("analytics_t_", getpid(), "_", counter.fetch_add(1));
  // CREATE DATABASE takes no bind parameters; the name is generated above
  // from digits only.
  if (absl::Status s = RunOnServer(
          absl::StrCat("DROP DATABASE IF EXISTS ", name, " WITH (FORCE)"));
      !s.ok()) {
    return s;
  }
  if (absl::Status s = RunOnServer(absl::StrCat("CREATE DATABASE ", name));
      !s.ok()) {
    return s;
  }
  std::unique_ptr<TestDatabase> db(new TestDatabase(std::move(name)));
  absl::StatusOr<int> applied = db::ApplyMigrations(db->url());
  if (!applied.ok()) return applied.status();
  return db;
}

TestDatabase::~TestDatabase() {
  // FORCE ends connections a killed subprocess may have left behind.
  (void)RunOnServer(
      absl::StrCat("DROP DATABASE IF EXISTS ", name_, " WITH (FORCE)"));
}

}  // namespace analytics::testing
