// The schema stays distributable by site: every primary and unique key of a
// per-site table starts with site_id (Citus can then co-locate all of a
// site's rows), except the small reference tables listed here.
#include <set>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/test_database.h"

namespace analytics::testing {
namespace {

TEST(SchemaTest, EveryKeyOfPerSiteTablesStartsWithSiteId) {
  absl::StatusOr<std::unique_ptr<TestDatabase>> db = TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status();
  // Reference tables: replicated, not distributed, so global keys are fine.
  const std::set<std::string> kReferenceTables = {"sites", "site_keys",
                                                  "schema_migrations"};
  pqxx::result keys = (*db)->Query(
      "SELECT c.relname, i.relname, a.attname"
      " FROM pg_index x"
      " JOIN pg_class c ON c.oid = x.indrelid"
      " JOIN pg_class i ON i.oid = x.indexrelid"
      " JOIN pg_namespace n ON n.oid = c.relnamespace"
      " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = x.indkey[0]"
      " WHERE n.nspname = 'public' AND (x.indisprimary OR x.indisunique)"
      " ORDER BY 1, 2");
  int checked = 0;
  for (const auto& row : keys) {
    const std::string table = row[0].as<std::string>();
    if (kReferenceTables.contains(table)) continue;
    ++checked;
    EXPECT_EQ(row[2].as<std::string>(), "site_id")
        << "key " << row[1].as<std::string>() << " of table " << table
        << " does not start with site_id";
  }
  // events, event_queue, sessions, visitors, visitor_buckets, rollups.
  EXPECT_GE(checked, 6);
  // And every per-site table has a site_id column at all.
  pqxx::result tables = (*db)->Query(
      "SELECT t.table_name FROM information_schema.tables t"
      " WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE'"
      " AND NOT EXISTS (SELECT 1 FROM information_schema.columns c"
      "   WHERE c.table_schema = 'public' AND c.table_name = t.table_name"
      "   AND c.column_name = 'site_id')");
  for (const auto& row : tables) {
    EXPECT_TRUE(kReferenceTables.contains(row[0].as<std::string>()))
        << row[0].as<std::string>() << " has no site_id column";
  }
}

}  // namespace
}  // namespace analytics::testing
