// ReductionRepository: one reduction pass as one transaction. Claim queue
// entries (FOR UPDATE SKIP LOCKED), lock their session ids, load the sessions
// they touch, plan with PlanBatch, write sessions, visitors, visitor buckets
// and rollups, record planned failures, delete the reduced entries, commit.
// A crash at any instant leaves either all of a pass or none of it.
//
// Thread-safe (each call uses its own pooled connection).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "common/db/connection_pool.h"
#include "common/db/statement.h"
#include "reducer-service/src/failure_policy.h"
#include "reducer-service/src/reduction.h"

namespace analytics::reducer {

struct QueuedEvent {
  int64_t site_id;
  int64_t event_id;
};

// What a pass works on: the next `limit` ready entries, or exactly `only`.
struct ClaimSpec {
  int limit = 500;
  std::optional<std::vector<QueuedEvent>> only;
};

struct PassResult {
  // Entries the pass held; filled even when the pass failed and rolled back,
  // so the caller knows which events to isolate.
  std::vector<QueuedEvent> claimed;
  int reduced = 0;
  // Attempts recorded as failed in this pass, and how many became dead.
  int failed = 0;
  int dead = 0;
};

struct QueueStats {
  int64_t pending = 0;
  double oldest_pending_age_seconds = 0;
  // Pending entries with failed attempts behind them.
  int64_t retrying = 0;
  int64_t dead = 0;
};

class ReductionRepository {
 public:
  static std::vector<db::Statement> Statements();

  ReductionRepository(db::ConnectionPool* pool, BackoffPolicy backoff,
                      PlanOptions plan_options)
      : pool_(pool),
        backoff_(backoff),
        plan_options_(std::move(plan_options)) {}

  // Runs one pass. On a non-OK status nothing was committed.
  absl::Status Reduce(const ClaimSpec& spec, PassResult* result);

  // Charges one failed attempt with `error` to `event`, in its own
  // transaction, unless another reducer holds it right now.
  absl::Status RecordFailure(const QueuedEvent& event, const std::string& error,
                             PassResult* result);

  // Counts over the whole queue (every site), for the metrics.
  absl::StatusOr<QueueStats> ReadQueueStats();

 private:
  db::ConnectionPool* const pool_;
  const BackoffPolicy backoff_;
  const PlanOptions plan_options_;
};

}  // namespace analytics::reducer
