// TestDatabase: a fresh, migrated PostgreSQL database for one test, created
// in the server that ./scripts/test started (found through the PG* variables,
// as libpq does) and dropped afterwards. A missing server is a test failure,
// never a skip: these tests exist to run against a real database.
#pragma once

#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "absl/status/statusor.h"

namespace analytics::testing {

class TestDatabase {
 public:
  // Creates database "analytics_t_<pid>_<n>" and applies every migration.
  static absl::StatusOr<std::unique_ptr<TestDatabase>> Create();
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  // libpq connection string of this database; the other settings (host,
  // port, user) come from the PG* environment, which child processes inherit.
  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

  // Runs one parameterised statement in its own transaction and returns the
  // rows; for fixtures and for assertions against raw tables.
  template <typename... Args>
  pqxx::result Query(const std::string& sql, Args&&... args) {
    pqxx::connection connection(url_);
    pqxx::work tx(connection);
    pqxx::result rows = tx.exec_params(sql, std::forward<Args>(args)...);
    tx.commit();
    return rows;
  }

  // The single integer a statement returns.
  template <typename... Args>
  int64_t QueryInt(const std::string& sql, Args&&... args) {
    return Query(sql, std::forward<Args>(args)...)[0][0].template as<int64_t>();
  }

 private:
  explicit TestDatabase(std::string name);

  const std::string name_;
  const std::string url_;
};

}  // namespace analytics::testing
