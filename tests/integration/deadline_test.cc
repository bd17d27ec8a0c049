// Request deadlines reach PostgreSQL: a statement that outlives the time the
// caller still waits is cancelled by the server and reported as
// DEADLINE_EXCEEDED, and a call whose deadline has passed does no work.
#include "common/db/connection_pool.h"
#include "gtest/gtest.h"
#include "reducer-service/src/report_repository.h"
#include "tests/support/test_database.h"

namespace analytics::testing {
namespace {

TEST(DeadlineTest, StatementsStopAtTheCallersDeadline) {
  absl::StatusOr<std::unique_ptr<TestDatabase>> db = TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status();
  db::ConnectionPool pool(db::PoolOptions{.url = (*db)->url(), .size = 1},
                          reducer::ReportRepository::Statements());
  const absl::Time started = absl::Now();
  absl::Status slow =
      pool.RunTransaction("slow", [](pqxx::transaction_base& tx) {
        db::LimitStatementTime(tx, absl::Milliseconds(100));
        tx.exec("SELECT pg_sleep(5)");
        return absl::OkStatus();
      });
  EXPECT_EQ(slow.code(), absl::StatusCode::kDeadlineExceeded) << slow;
  EXPECT_LT(absl::Now() - started, absl::Seconds(3));

  // The limit is local to that transaction: the next one on the same
  // connection runs with the pool's timeout again.
  absl::Status next =
      pool.RunTransaction("next", [](pqxx::transaction_base& tx) {
        tx.exec("SELECT pg_sleep(0.3)");
        return absl::OkStatus();
      });
  EXPECT_TRUE(next.ok()) << next;

  reducer::ReportRepository overview(&pool);
  const absl::Time t = absl::Now();
  absl::StatusOr<reducer::OverviewSnapshot> late = overview.Read(
      1, {reducer::PlanRange(t - absl::Hours(1), t)}, -absl::Milliseconds(1));
  EXPECT_EQ(late.status().code(), absl::StatusCode::kDeadlineExceeded);
  absl::StatusOr<reducer::OverviewSnapshot> in_time = overview.Read(
      1, {reducer::PlanRange(t - absl::Hours(1), t)}, absl::Seconds(10));
  ASSERT_TRUE(in_time.ok()) << in_time.status();
  EXPECT_EQ(in_time->ranges.size(), 1u);
}

}  // namespace
}  // namespace analytics::testing
