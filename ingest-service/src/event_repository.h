// EventRepository: writes accepted events and their queue entries. The only
// code of ingest-service that touches the events and event_queue tables.
//
// Group commit: concurrent Store calls share transactions. While up to
// `committers` transactions are in flight, later calls queue; the next free
// committer takes every queued batch (up to `max_group_events` events) into
// one statement and one transaction, so many small Ingest calls cost one
// round trip and one WAL flush instead of one each. Every caller still
// returns only after its batch is committed (acknowledged means durable),
// with its own count. If a shared statement fails because of one batch's
// data, each batch is retried alone, so that error never becomes another's;
// a failure of the database itself (outage, exhausted pool, a commit whose
// outcome is UNKNOWN) is every member's answer, never retried here.
//
// Thread-safe.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/db/connection_pool.h"
#include "common/db/statement.h"
#include "ingest-service/src/event_batch.h"

namespace analytics::ingest {

struct GroupCommitOptions {
  // Transactions storing events at once; the rest of the pool serves
  // AdminService and key lookups.
  int committers = 4;
  // Events one shared transaction takes at most (a larger batch is alone).
  int max_group_events = 2000;
};

class EventRepository {
 public:
  static std::vector<db::Statement> Statements();

  explicit EventRepository(db::ConnectionPool* pool,
                           GroupCommitOptions options = {})
      : pool_(pool), options_(options) {}

  // Stores every event of `batch` that is not a duplicate, queues it and
  // notifies reducers, in a committed transaction (possibly shared with
  // other calls). Returns how many were stored; OK means they are durable.
  // On error nothing of `batch` was stored; UNAUTHENTICATED if the site was
  // deleted.
  absl::StatusOr<int> Store(const EventBatch& batch);

 private:
  struct Pending {
    // EncodeBatch: {"site_id", "events"}, one member of a group.
    std::string events_json;
    int events;
    std::optional<absl::StatusOr<int>> result;
  };

  // Takes the queue's oldest batches, up to max_group_events.
  std::vector<Pending*> TakeGroup() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Stores `group` and sets every member's result (without mu_ held).
  void CommitGroup(const std::vector<Pending*>& group);

  db::ConnectionPool* const pool_;
  const GroupCommitOptions options_;
  absl::Mutex mu_;
  std::deque<Pending*> queue_ ABSL_GUARDED_BY(mu_);
  int committing_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace analytics::ingest
