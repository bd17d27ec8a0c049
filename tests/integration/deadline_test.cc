// Request deadlines reach PostgreSQL: a statement that outlives the time the
// caller still waits is cancelled by the server and reported as
// DEADLINE_EXCEEDED, a call whose deadline has passed does no work, and a
// wait for a pooled connection ends at the caller's deadline. A call that is
// cancelled stops its statement in PostgreSQL.
#include <atomic>
#include <thread>

#include "common/db/cancellation.h"
#include "common/db/connection_pool.h"
#include "gtest/gtest.h"
#include "reducer-service/src/activity_repository.h"
#include "reducer-service/src/report_repository.h"
#include "tests/support/stack.h"
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

// The mechanism: a transaction run under a CancellationScope whose question
// turns true 300 ms into a 5 s statement stops then (CANCELLED, not the
// statement's DEADLINE_EXCEEDED), and the connection serves the next one.
TEST(DeadlineTest, CancellationStopsTheRunningStatement) {
  absl::StatusOr<std::unique_ptr<TestDatabase>> db = TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status();
  db::ConnectionPool pool(db::PoolOptions{.url = (*db)->url(), .size = 1}, {});
  std::atomic<bool> cancelled{false};
  std::thread canceller([&] {
    absl::SleepFor(absl::Milliseconds(300));
    cancelled = true;
  });
  const absl::Time started = absl::Now();
  absl::Status slow;
  {
    db::CancellationScope scope([&] { return cancelled.load(); });
    slow = pool.RunTransaction("slow", [](pqxx::transaction_base& tx) {
      tx.exec("SELECT pg_sleep(5)");
      return absl::OkStatus();
    });
  }
  canceller.join();
  EXPECT_EQ(slow.code(), absl::StatusCode::kCancelled) << slow;
  EXPECT_GE(absl::Now() - started, absl::Milliseconds(300));
  EXPECT_LT(absl::Now() - started, absl::Seconds(2));

  // Already cancelled: nothing runs. Outside a scope: nothing is watched.
  {
    db::CancellationScope scope([] { return true; });
    bool ran = false;
    absl::Status none =
        pool.RunTransaction("none", [&](pqxx::transaction_base&) {
          ran = true;
          return absl::OkStatus();
        });
    EXPECT_EQ(none.code(), absl::StatusCode::kCancelled) << none;
    EXPECT_FALSE(ran);
  }
  absl::Status next =
      pool.RunTransaction("next", [](pqxx::transaction_base& tx) {
        tx.exec("SELECT pg_sleep(0.3)");
        return absl::OkStatus();
      });
  EXPECT_TRUE(next.ok()) << next;
}

// Through gRPC: a GetOverview (30 s deadline) waits for a lock the test
// holds on `rollups`; the client cancels it. Within 1 s no backend of the
// database waits for the lock any more (before, it waited until its
// deadline, holding its pooled connection); the call ends CANCELLED, and
// once the lock goes the next GetOverview answers.
TEST(DeadlineTest, CancelledCallStopsItsStatementInPostgres) {
  absl::StatusOr<std::unique_ptr<ServiceStack>> stack = ServiceStack::Start();
  ASSERT_TRUE(stack.ok()) << stack.status();
  absl::StatusOr<v1::CreateSiteResponse> site = (*stack)->CreateSite("cancel");
  ASSERT_TRUE(site.ok()) << site.status();
  const int64_t site_id = site->site().site_id();
  const absl::Time to = absl::Now();
  const absl::Time from = to - absl::Hours(24 * 3);
  auto waiting = [&] {
    return (*stack)->db().QueryInt(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 "
        "AND wait_event_type = 'Lock'",
        (*stack)->db().name());
  };

  pqxx::connection locker((*stack)->db().url());
  pqxx::work lock(locker);
  lock.exec("LOCK TABLE rollups IN ACCESS EXCLUSIVE MODE");

  auto context = AuthorizedContext(site->read_key());
  grpc::Status status;
  std::thread call([&] {
    v1::Overview overview;
    status = (*stack)->query().GetOverview(
        context.get(), OverviewRequest(site_id, from, to), &overview);
  });
  const absl::Time wait_until = absl::Now() + absl::Seconds(10);
  while (waiting() == 0 && absl::Now() < wait_until) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(waiting(), 1) << "the statement never waited for the lock";
  absl::SleepFor(absl::Milliseconds(300));
  ASSERT_EQ(waiting(), 1);

  const absl::Time cancelled_at = absl::Now();
  context->TryCancel();
  while (waiting() > 0 && absl::Now() - cancelled_at < absl::Seconds(5)) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  const absl::Duration stopped_after = absl::Now() - cancelled_at;
  call.join();
  EXPECT_EQ(waiting(), 0);
  EXPECT_LT(stopped_after, absl::Seconds(1));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED)
      << status.error_message();

  lock.abort();
  v1::Overview overview;
  grpc::Status after =
      (*stack)->GetOverview(site->read_key(), site_id, from, to, &overview);
  EXPECT_TRUE(after.ok()) << after.error_message();
  EXPECT_EQ(overview.events(), 0);
}

}  // namespace
}  // namespace analytics::testing
