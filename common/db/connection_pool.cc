// ConnectionPool implementation: lazy connections, prepared statements,
// transaction attempts with exception-to-status conversion.
#include "common/db/connection_pool.h"

#include <algorithm>
#include <optional>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/db/cancellation.h"
#include "spdlog/spdlog.h"

namespace analytics::db {

ConnectionPool::ConnectionPool(PoolOptions options,
                               std::vector<Statement> statements)
    : options_(std::move(options)), statements_(std::move(statements)) {}

ConnectionPool::~ConnectionPool() = default;

ConnectionPool::Lease::Lease(ConnectionPool* pool,
                             std::unique_ptr<pqxx::connection> connection)
    : pool_(pool), connection_(std::move(connection)) {}

ConnectionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_),
      connection_(std::move(other.connection_)),
      discard_(other.discard_) {
  other.pool_ = nullptr;
}

ConnectionPool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->Return(std::move(connection_), discard_);
}

absl::StatusOr<std::unique_ptr<pqxx::connection>> ConnectionPool::Connect() {
  try {
    auto connection = std::make_unique<pqxx::connection>(options_.url);
    pqxx::nontransaction setup(*connection);
    // set_config() is SET with bind parameters. JIT off: our statements run
    // in milliseconds, but estimates over jsonb_to_recordset (100 rows
    // assumed) pass jit_above_cost and compiling costs ~0.5 s per statement
    // (GetOverview at 1M events: 660 ms with JIT, 4 ms without).
    setup.exec_params(
        "SELECT set_config('statement_timeout', $1, false),"
        " set_config('application_name', $2, false),"
        " set_config('TimeZone', 'UTC', false),"
        " set_config('jit', 'off', false)",
        absl::StrCat(absl::ToInt64Milliseconds(options_.statement_timeout)),
        options_.application_name);
    setup.commit();
    for (const Statement& statement : statements_) {
      connection->prepare(std::string(statement.name),
                          std::string(statement.sql));
    }
    return connection;
  } catch (const std::exception& e) {
    return FromPqxx(e);
  }
}

absl::StatusOr<ConnectionPool::Lease> ConnectionPool::Acquire(
    absl::Time deadline) {
  const absl::Time pool_gives_up = absl::Now() + options_.acquire_timeout;
  {
    absl::MutexLock lock(&mu_);
    auto available = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_ < options_.size;
    };
    if (!mu_.AwaitWithDeadline(absl::Condition(&available),
                               std::min(deadline, pool_gives_up))) {
      // Whose limit ended the wait decides the code: the caller's deadline
      // is DEADLINE_EXCEEDED like a statement cut short by it, the pool's own
      // timeout stays the overload signal RESOURCE_EXHAUSTED.
      if (deadline < pool_gives_up) {
        return absl::DeadlineExceededError(
            absl::StrCat("the caller's deadline passed while all ",
                         options_.size, " database connections were busy"));
      }
      return absl::ResourceExhaustedError(absl::StrCat(
          "all ", options_.size, " database connections are busy"));
    }
    ++in_use_;
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(connection));
    }
    ++open_;
  }
  auto connection = Connect();
  if (!connection.ok()) {
    absl::MutexLock lock(&mu_);
    --open_;
    --in_use_;
    return connection.status();
  }
  return Lease(this, std::move(*connection));
}

void ConnectionPool::Return(std::unique_ptr<pqxx::connection> connection,
                            bool discard) {
  absl::MutexLock lock(&mu_);
  --in_use_;
  if (discard || connection == nullptr || !connection->is_open()) {
    --open_;
    return;
  }
  idle_.push_back(std::move(connection));
}

void ConnectionPool::DropIdle() {
  std::vector<std::unique_ptr<pqxx::connection>> dropped;
  {
    absl::MutexLock lock(&mu_);
    dropped.swap(idle_);
    open_ -= static_cast<int>(dropped.size());
  }
  // Closed here, outside the lock.
}

int ConnectionPool::in_use() const {
  absl::MutexLock lock(&mu_);
  return in_use_;
}

ConnectionPool::AttemptOutcome ConnectionPool::Attempt(
    std::string_view name, Isolation isolation, absl::Time deadline,
    const std::function<absl::Status(pqxx::transaction_base&)>& body) {
  const std::function<bool()>* cancelled = CurrentCancellation();
  if (cancelled != nullptr && (*cancelled)()) {
    return {absl::CancelledError("the caller cancelled the call"), false};
  }
  auto lease = Acquire(deadline);
  if (!lease.ok()) return {lease.status(), false};
  // Destroyed before the lease: no cancel reaches the connection's next user.
  std::optional<CancelWatch> watch;
  if (cancelled != nullptr) watch.emplace(lease->connection(), *cancelled);
  bool committing = false;
  try {
    absl::Status status;
    if (isolation == Isolation::kRepeatableReadReadOnly) {
      pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(
          lease->connection(), std::string(name));
      status = body(tx);
      if (status.ok()) {
        committing = true;
        tx.commit();
      }
    } else {
      pqxx::work tx(lease->connection(), std::string(name));
      status = body(tx);
      if (status.ok()) {
        committing = true;
        tx.commit();
      }
    }
    if (watch.has_value() && watch->fired()) lease->Discard();
    return {status, !status.ok()};
  } catch (const std::exception& e) {
    absl::Status status = FromPqxx(e);
    const bool cancel_sent = watch.has_value() && watch->fired();
    if (cancel_sent) {
      // Most likely our cancel (57014); whatever it was, nobody waits for it.
      status = absl::CancelledError(
          absl::StrCat("the caller cancelled the call; its statement stopped: ",
                       status.message()));
    }
    // A failed COMMIT drops the connection too: libpqxx then considers the
    // transaction closed and sends no ROLLBACK, but PostgreSQL may still hold
    // it open and aborted (a statement timeout or cancel that lands as COMMIT
    // starts), so every later transaction on it would fail with "current
    // transaction is aborted" (25P02).
    // So does a cancel we sent: it may have landed on the ROLLBACK instead,
    // leaving the transaction open and aborted in the same way.
    if (committing || status.code() == absl::StatusCode::kUnavailable ||
        status.code() == absl::StatusCode::kUnknown || cancel_sent) {
      lease->Discard();
    }
    // A broken connection usually means the server restarted or the network
    // dropped: the idle ones are as dead, and the retry should not spend its
    // attempts finding that out one connection at a time.
    if (status.code() == absl::StatusCode::kUnavailable) DropIdle();
    if (status.code() == absl::StatusCode::kUnknown) {
      spdlog::error("transaction {}: {}", name, std::string(status.message()));
    }
    return {status, false};
  }
}

absl::Status ConnectionPool::Ping(absl::Duration timeout) {
  // The timeout covers the wait for a connection too: "answers within about
  // `timeout`" is what the health verdict relies on.
  return RunTransaction(
      "ping",
      [timeout](pqxx::transaction_base& tx) {
        LimitStatementTime(tx, timeout);
        tx.exec("SELECT 1");
        return absl::OkStatus();
      },
      Isolation::kReadCommitted, absl::Now() + timeout);
}

void LimitStatementTime(pqxx::transaction_base& tx, absl::Duration limit) {
  if (limit == absl::InfiniteDuration()) return;
  const int64_t ms = std::max<int64_t>(1, absl::ToInt64Milliseconds(limit));
  tx.exec_params("SELECT set_config('statement_timeout', $1, true)",
                 absl::StrCat(ms));
}

void PreferGenericPlans(pqxx::transaction_base& tx) {
  tx.exec("SELECT set_config('plan_cache_mode', 'force_generic_plan', true)");
}

void SleepBeforeRetry(const RetryPolicy& policy, int attempt) {
  absl::Duration backoff =
      policy.initial_backoff * (1 << std::min(attempt, 10));
  backoff = std::min(backoff, policy.max_backoff);
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  absl::SleepFor(backoff * jitter(random));
}

}  // namespace analytics::db
