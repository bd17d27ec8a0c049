// ReducerWorker: the claim loop of reducer-service. It wakes on a PostgreSQL
// NOTIFY from ingest or after `poll_interval` (covering notifications missed
// while disconnected), runs reduction passes while full batches keep coming,
// isolates events whose data makes a pass fail (bisection, so the rest of the
// batch still commits) and backs off on infrastructure failures without
// charging any event.
//
// Thread-safe: Start/Stop from one thread; Wake from any.
#pragma once

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/metrics/metrics.h"
#include "reducer-service/src/reduction_repository.h"

namespace analytics::reducer {

struct WorkerOptions {
  int batch_size = 2000;
  absl::Duration poll_interval = absl::Seconds(1);
  // Longest wait after repeated infrastructure failures.
  absl::Duration max_infra_backoff = absl::Seconds(30);
  // Where to LISTEN; empty disables notifications (poll only).
  std::string listen_database_url;
  // Pass sizes, durations and outcomes go here when set.
  Metrics* metrics = nullptr;
};

class ReducerWorker {
 public:
  ReducerWorker(ReductionRepository* repository, WorkerOptions options);
  ~ReducerWorker() { Stop(); }
  ReducerWorker(const ReducerWorker&) = delete;
  ReducerWorker& operator=(const ReducerWorker&) = delete;

  void Start();
  // Lets the in-flight pass finish (or roll back), stops claiming, joins.
  void Stop();
  void Wake();

  // One pass plus isolation of failing events; exposed for tests. Returns
  // the pass's counts, or the infrastructure error that stopped it.
  absl::StatusOr<PassResult> RunPass();

 private:
  void Loop();
  void Listen();
  // Splits `events` until each failing event is alone, reducing the rest.
  void Isolate(const std::vector<QueuedEvent>& events,
               const absl::Status& error, PassResult* total);
  // Sleeps up to `d` or until woken or stopped.
  void WaitFor(absl::Duration d);

  ReductionRepository* const repository_;
  const WorkerOptions options_;
  std::atomic<bool> stopping_{false};
  absl::Mutex mu_;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  std::thread loop_;
  std::thread listener_;
};

}  // namespace analytics::reducer
