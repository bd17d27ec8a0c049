// RetentionPass: applies the retention rules (retention.h) to the database,
// in bounded steps. One pass
//   1. creates the monthly partitions of `events` that sites may still
//      receive events into, and `partition_lead` ahead;
//   2. drops the months no site keeps any more (an instant's ACCESS
//      EXCLUSIVE lock on `events`, capped by `lock_timeout`);
//   3. for each site, deletes in steps of `batch_rows` rows per table its
//      raw events, idempotency keys and sessions past its raw retention and
//      its hour rollups past `hourly_rollup_retention`.
// Every step is its own short transaction, so ingest and reduction never
// wait for a pass, and a pass does at most `max_steps` of them; what is left
// waits for the next pass. Replicas take turns on an advisory lock: a step
// that finds it held is skipped.
//
// Thread-safe: Start/Stop from one thread; RunOnce from any (tests).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/db/connection_pool.h"
#include "common/db/statement.h"
#include "common/time/clock.h"

namespace analytics::reducer {

struct RetentionOptions {
  // Zero: hour rollups are kept forever.
  absl::Duration hourly_rollup_retention = absl::Hours(24 * 400);
  // Between passes of the background loop.
  absl::Duration interval = absl::Minutes(10);
  // How far ahead partitions of `events` exist.
  absl::Duration partition_lead = absl::Hours(24 * 92);
  int batch_rows = 10000;
  int max_steps = 100;
  absl::Duration lock_timeout = absl::Milliseconds(500);
  const Clock* clock = &Clock::Real();
};

struct RetentionReport {
  int partitions_created = 0;
  std::vector<std::string> partitions_dropped;
  int64_t events_deleted = 0;
  int64_t client_ids_deleted = 0;
  int64_t sessions_deleted = 0;
  int64_t hour_rollups_deleted = 0;
  int64_t visitor_buckets_deleted = 0;
  // Another replica held the lock for at least one step.
  bool contended = false;
  // max_steps ran out with rows still to delete.
  bool more = false;
};

class RetentionPass {
 public:
  static std::vector<db::Statement> Statements();

  RetentionPass(db::ConnectionPool* pool, RetentionOptions options)
      : pool_(pool), options_(options) {}
  ~RetentionPass() { Stop(); }
  RetentionPass(const RetentionPass&) = delete;
  RetentionPass& operator=(const RetentionPass&) = delete;

  // One bounded pass at the clock's now.
  absl::StatusOr<RetentionReport> RunOnce();

  // Runs a pass every `interval` on a background thread until Stop.
  void Start();
  void Stop();

 private:
  struct SiteSettings {
    int64_t site_id;
    absl::Duration raw_retention;
    absl::Duration session_timeout;
  };
  absl::StatusOr<std::vector<SiteSettings>> ReadSites();
  // Starts a retention transaction (lock_retention.sql): false when another
  // replica's step holds the turn.
  bool TakeTurn(pqxx::transaction_base& tx);
  // Steps 1 and 2.
  absl::Status MaintainPartitions(absl::Time now,
                                  absl::Duration longest_retention,
                                  RetentionReport* report);
  void Loop();

  db::ConnectionPool* const pool_;
  const RetentionOptions options_;
  std::atomic<bool> stopping_{false};
  absl::Mutex mu_;
  std::thread loop_;
};

}  // namespace analytics::reducer
