// Schema migrations: numbered .sql files under common/db/migrations/, embedded
// in every binary. ApplyMigrations() runs the missing ones in order, each in
// its own transaction, under a PostgreSQL advisory lock so that many replicas
// starting at once apply each file exactly once.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace analytics::db {

// Returns how many migrations were applied now (0 when up to date).
// FAILED_PRECONDITION if the database has a migration this binary does not
// know (it is older than the schema).
absl::StatusOr<int> ApplyMigrations(const std::string& database_url);

}  // namespace analytics::db
