// EventRepository: writes accepted events and their queue entries. The only
// code of ingest-service that touches the events and event_queue tables.
//
// Thread-safe.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "common/db/connection_pool.h"
#include "common/db/statement.h"
#include "ingest-service/src/event_batch.h"

namespace analytics::ingest {

class EventRepository {
 public:
  static std::vector<db::Statement> Statements();

  explicit EventRepository(db::ConnectionPool* pool) : pool_(pool) {}

  // Stores every event of `batch` that is not a duplicate, queues it and
  // notifies reducers, all in one committed transaction. Returns how many
  // were stored; OK means they are durable. On error nothing was stored;
  // UNAUTHENTICATED if the site was deleted.
  absl::StatusOr<int> Store(const EventBatch& batch);

 private:
  db::ConnectionPool* pool_;
};

}  // namespace analytics::ingest
