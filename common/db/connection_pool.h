// ConnectionPool: a bounded set of PostgreSQL connections shared by threads.
//
// Connections are opened lazily, prepared with every registered Statement, and
// replaced when they break. Acquire() blocks up to `acquire_timeout` and then
// fails with RESOURCE_EXHAUSTED, so an overloaded database turns into a clear
// error instead of an unbounded queue; a caller's earlier deadline ends the
// wait sooner, with DEADLINE_EXCEEDED.
//
// RunTransaction() is the one way the services talk to PostgreSQL: it runs a
// function inside a transaction, converts libpqxx exceptions to absl::Status,
// and retries the whole function on serialization failures, deadlocks and
// broken connections (a broken connection before COMMIT means nothing was
// written). A connection lost during COMMIT is UNKNOWN and never retried.
//
// Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/db/statement.h"
#include "common/status/status_mapping.h"

namespace analytics::db {

struct PoolOptions {
  std::string url;
  int size = 8;
  absl::Duration acquire_timeout = absl::Seconds(5);
  // Applied to every statement of the pool's connections; 0 = no limit.
  absl::Duration statement_timeout = absl::Seconds(30);
  // Name reported to PostgreSQL (pg_stat_activity.application_name).
  std::string application_name = "analytics";
};

enum class Isolation { kReadCommitted, kRepeatableReadReadOnly };

struct RetryPolicy {
  int max_attempts = 5;
  absl::Duration initial_backoff = absl::Milliseconds(20);
  absl::Duration max_backoff = absl::Seconds(1);
};

class ConnectionPool {
 public:
  // Does not connect; the first Acquire() does. Statements must outlive the
  // pool (they are string constants in practice).
  ConnectionPool(PoolOptions options, std::vector<Statement> statements);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // A connection on loan; returned to the pool on destruction.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    pqxx::connection& connection() { return *connection_; }
    // Drops the connection instead of returning it (it is broken or in an
    // unknown state).
    void Discard() { discard_ = true; }

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, std::unique_ptr<pqxx::connection> connection);
    ConnectionPool* pool_;
    std::unique_ptr<pqxx::connection> connection_;
    bool discard_ = false;
  };

  // Waits for a connection until `acquire_timeout` has passed
  // (RESOURCE_EXHAUSTED) or, if it comes first, until `deadline`: the time
  // the caller stops waiting for its answer (DEADLINE_EXCEEDED), so a short
  // RPC deadline is not spent queueing for a connection it can no longer use.
  absl::StatusOr<Lease> Acquire(absl::Time deadline = absl::InfiniteFuture());

  // Runs `fn(pqxx::transaction_base&)` in a transaction and commits it.
  // `fn` returns absl::Status or absl::StatusOr<T>; a non-OK result rolls
  // back and is returned as is (not retried). `fn` may run more than once, so
  // it must not have side effects outside the transaction. `deadline` bounds
  // every wait for a connection (see Acquire); the statements are bounded by
  // LimitStatementTime in `fn`.
  template <typename Fn>
  auto RunTransaction(std::string_view name, Fn&& fn,
                      Isolation isolation = Isolation::kReadCommitted,
                      absl::Time deadline = absl::InfiniteFuture())
      -> std::invoke_result_t<Fn, pqxx::transaction_base&>;

  // OK if the database answers a trivial query within about `timeout`
  // (DependencyHealth's check).
  absl::Status Ping(absl::Duration timeout);

  int size() const { return options_.size; }
  // Connections currently lent out.
  int in_use() const;

 private:
  absl::StatusOr<std::unique_ptr<pqxx::connection>> Connect();
  void Return(std::unique_ptr<pqxx::connection> connection, bool discard);
  // Closes every idle connection (after one turned out broken).
  void DropIdle();
  // Runs one attempt; exceptions become statuses.
  struct AttemptOutcome {
    absl::Status status;
    // The status came from the caller's function, not from the database.
    bool from_body = false;
  };
  AttemptOutcome Attempt(
      std::string_view name, Isolation isolation, absl::Time deadline,
      const std::function<absl::Status(pqxx::transaction_base&)>& body);

  const PoolOptions options_;
  const std::vector<Statement> statements_;
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;
  int in_use_ ABSL_GUARDED_BY(mu_) = 0;
};

// Caps every later statement of the current transaction at `limit` (at
// least 1 ms), e.g. the time left of the caller's gRPC deadline, so
// PostgreSQL stops working when nobody waits for the answer any more (the
// statement fails with DEADLINE_EXCEEDED). An infinite limit changes
// nothing: the pool's statement timeout applies.
void LimitStatementTime(pqxx::transaction_base& tx, absl::Duration limit);

// Lets the current transaction's prepared statements run on their cached
// generic plan instead of being planned again for each execution's
// parameters (plan_cache_mode). For statements whose parameters the planner
// cannot see into anyway (a RangePlan as JSON): planning them over a
// partitioned events table costs milliseconds per call, more than running
// them; partitions are still pruned when the statement runs.
void PreferGenericPlans(pqxx::transaction_base& tx);

// Sleeps between retries: exponential, capped, jittered.
void SleepBeforeRetry(const RetryPolicy& policy, int attempt);

inline const absl::Status& StatusOf(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& result) {
  return result.status();
}

template <typename Fn>
auto ConnectionPool::RunTransaction(std::string_view name, Fn&& fn,
                                    Isolation isolation, absl::Time deadline)
    -> std::invoke_result_t<Fn, pqxx::transaction_base&> {
  using Result = std::invoke_result_t<Fn, pqxx::transaction_base&>;
  const RetryPolicy policy;
  std::optional<Result> result;
  AttemptOutcome outcome;
  for (int attempt = 0; attempt < policy.max_attempts; ++attempt) {
    if (attempt > 0) SleepBeforeRetry(policy, attempt);
    result.reset();
    outcome =
        Attempt(name, isolation, deadline, [&](pqxx::transaction_base& tx) {
          result.emplace(fn(tx));
          return StatusOf(*result);
        });
    if (outcome.status.ok() || outcome.from_body) return std::move(*result);
    if (outcome.status.code() != absl::StatusCode::kAborted &&
        outcome.status.code() != absl::StatusCode::kUnavailable) {
      break;
    }
  }
  return Result(outcome.status);
}

}  // namespace analytics::db
