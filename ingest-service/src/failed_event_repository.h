// FailedEventRepository: the operator's view of the reduction queue: failed
// events (retrying or dead), re-queueing them, and per-site backlog counts.
// The reducer writes failures (reducer-service's mark_events_failed.sql);
// this class only reads them and resets them on request.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/db/connection_pool.h"
#include "common/db/statement.h"

namespace analytics::ingest {

enum class FailedState { kAny, kRetrying, kDead };

struct FailedEventRecord {
  int64_t site_id = 0;
  int64_t event_id = 0;
  FailedState state = FailedState::kRetrying;
  int attempts = 0;
  std::string last_error;
  absl::Time last_failed_at;
  absl::Time next_attempt_at;
  absl::Time enqueued_at;
  // Of the event row; absent if it is gone.
  std::optional<int> type;
  std::string name;
  std::optional<absl::Time> occurred_at;
};

struct BacklogRecord {
  int64_t site_id = 0;
  int64_t pending = 0;
  absl::Duration oldest_pending_age;
  int64_t retrying = 0;
  int64_t dead = 0;
};

class FailedEventRepository {
 public:
  static std::vector<db::Statement> Statements();

  explicit FailedEventRepository(db::ConnectionPool* pool) : pool_(pool) {}

  // Failed events of `site_id` with id > `after_event_id`, in id order.
  absl::StatusOr<std::vector<FailedEventRecord>> List(int64_t site_id,
                                                      FailedState state,
                                                      int64_t after_event_id,
                                                      int limit);
  // Re-queues `event_ids` (all failed ones in `state` when nullopt) and wakes
  // the reducers; returns how many were failed and are pending now.
  absl::StatusOr<int64_t> Requeue(
      int64_t site_id, const std::optional<std::vector<int64_t>>& event_ids,
      FailedState state);
  // One record per site with queue entries (only `site_id`'s unless 0).
  absl::StatusOr<std::vector<BacklogRecord>> Backlog(int64_t site_id);

 private:
  db::ConnectionPool* const pool_;
};

}  // namespace analytics::ingest
