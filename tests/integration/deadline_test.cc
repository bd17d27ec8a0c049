// Request deadlines reach PostgreSQL: a statement that outlives the time the
// caller still waits is cancelled by the server and reported as
// DEADLINE_EXCEEDED, a call whose deadline has passed does no work, and a
// wait for a pooled connection ends at the caller's deadline.
#include "common/db/connection_pool.h"
#include "gtest/gtest.h"
#include "reducer-service/src/activity_repository.h"
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

// Pool of 1 with an acquire timeout of 1.5 s, its connection held by the
// test: a caller with 200 ms left gets DEADLINE_EXCEEDED after those 200 ms,
// not RESOURCE_EXHAUSTED after the pool's timeout; without a deadline, or
// with one after the pool's timeout, the pool's timeout ends the wait
// (RESOURCE_EXHAUSTED). Also through RunTransaction (the body never runs)
// and a query repository's time left.
TEST(DeadlineTest, WaitForAConnectionStopsAtTheCallersDeadline) {
  absl::StatusOr<std::unique_ptr<TestDatabase>> db = TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status();
  constexpr absl::Duration kAcquireTimeout = absl::Milliseconds(1500);
  constexpr absl::Duration kCallerWaits = absl::Milliseconds(200);
  // Well under the acquire timeout, with room for a loaded machine.
  constexpr absl::Duration kPromptly = absl::Milliseconds(1000);
  db::ConnectionPool pool(
      db::PoolOptions{
          .url = (*db)->url(), .size = 1, .acquire_timeout = kAcquireTimeout},
      reducer::ActivityRepository::Statements());
  auto held = std::make_unique<absl::StatusOr<db::ConnectionPool::Lease>>(
      pool.Acquire());
  ASSERT_TRUE(held->ok()) << held->status();
  // The status of an Acquire with `deadline`, and how long it took.
  absl::Duration took;
  auto acquire = [&](absl::Time deadline) {
    const absl::Time started = absl::Now();
    absl::Status status = pool.Acquire(deadline).status();
    took = absl::Now() - started;
    return status;
  };

  absl::Status waited = acquire(absl::Now() + kCallerWaits);
  EXPECT_EQ(waited.code(), absl::StatusCode::kDeadlineExceeded) << waited;
  EXPECT_GE(took, kCallerWaits);
  EXPECT_LT(took, kPromptly);

  bool ran = false;
  absl::Time started = absl::Now();
  absl::Status in_transaction = pool.RunTransaction(
      "never_runs",
      [&ran](pqxx::transaction_base&) {
        ran = true;
        return absl::OkStatus();
      },
      db::Isolation::kReadCommitted, started + kCallerWaits);
  took = absl::Now() - started;
  EXPECT_EQ(in_transaction.code(), absl::StatusCode::kDeadlineExceeded)
      << in_transaction;
  EXPECT_FALSE(ran);
  EXPECT_GE(took, kCallerWaits);
  EXPECT_LT(took, kPromptly);

  // The query path: a repository given 200 ms left by its RPC.
  reducer::ActivityRepository activity(&pool);
  started = absl::Now();
  absl::StatusOr<std::vector<reducer::EventListRow>> listed =
      activity.ListEvents({.filter = {.site_id = 1}, .limit = 5}, kCallerWaits);
  took = absl::Now() - started;
  EXPECT_EQ(listed.status().code(), absl::StatusCode::kDeadlineExceeded)
      << listed.status();
  EXPECT_GE(took, kCallerWaits);
  EXPECT_LT(took, kPromptly);

  // No deadline, or one the pool's own timeout comes before: overload.
  for (const absl::Time deadline :
       {absl::InfiniteFuture(), absl::Now() + absl::Seconds(10)}) {
    waited = acquire(deadline);
    EXPECT_EQ(waited.code(), absl::StatusCode::kResourceExhausted) << waited;
    EXPECT_EQ(waited.message(), "all 1 database connections are busy");
    EXPECT_GE(took, kAcquireTimeout);
    EXPECT_LT(took, kAcquireTimeout + kPromptly);
  }

  // Released: the next caller gets the connection at once.
  held.reset();
  waited = acquire(absl::Now() + kCallerWaits);
  EXPECT_TRUE(waited.ok()) << waited;
  EXPECT_LT(took, kCallerWaits);
}

}  // namespace
}  // namespace analytics::testing
