// Claim loop, LISTEN thread and failure isolation.
#include "reducer-service/src/reducer_worker.h"

#include <algorithm>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "common/db/channels.h"
#include "common/status/status_mapping.h"
#include "spdlog/spdlog.h"

namespace analytics::reducer {

void ReducerWorker::Start() {
  stopping_ = false;
  loop_ = std::thread([this] { Loop(); });
  if (!options_.listen_database_url.empty()) {
    listener_ = std::thread([this] { Listen(); });
  }
}

void ReducerWorker::Stop() {
  stopping_ = true;
  Wake();
  if (loop_.joinable()) loop_.join();
  if (listener_.joinable()) listener_.join();
}

void ReducerWorker::Wake() {
  absl::MutexLock lock(&mu_);
  woken_ = true;
}

void ReducerWorker::WaitFor(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return woken_ || stopping_.load();
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), d);
  woken_ = false;
}

namespace {

constexpr char kPassEvents[] = "analytics_reduce_pass_events";
constexpr char kPassSeconds[] = "analytics_reduce_pass_duration_seconds";
constexpr char kReduced[] = "analytics_events_reduced_total";
constexpr char kFailed[] = "analytics_events_failed_attempts_total";
constexpr char kDead[] = "analytics_events_dead_total";
constexpr char kPassFailures[] = "analytics_reduce_pass_failures_total";

}  // namespace

ReducerWorker::ReducerWorker(ReductionRepository* repository,
                             WorkerOptions options)
    : repository_(repository), options_(std::move(options)) {
  Metrics* m = options_.metrics;
  if (m == nullptr) return;
  m->Declare(kPassEvents, "Queue entries a reduction pass claimed",
             Metrics::Type::kHistogram, {},
             {1, 10, 50, 100, 250, 500, 1000, 2000, 5000});
  m->Declare(kPassSeconds, "Duration of a reduction pass, seconds",
             Metrics::Type::kHistogram, {}, Metrics::LatencyBuckets());
  m->Declare(kReduced, "Events reduced into rollups", Metrics::Type::kCounter);
  m->Declare(kFailed, "Failed reduction attempts charged to events",
             Metrics::Type::kCounter);
  m->Declare(kDead, "Events that became dead letters", Metrics::Type::kCounter);
  m->Declare(kPassFailures,
             "Passes rolled back by infrastructure errors (retried)",
             Metrics::Type::kCounter);
}

absl::StatusOr<PassResult> ReducerWorker::RunPass() {
  PassResult result;
  ClaimSpec next;
  next.limit = options_.batch_size;
  absl::Status status = repository_->Reduce(next, &result);
  if (status.ok()) return result;
  if (!IsEventCaused(status)) return status;
  spdlog::warn("pass of {} events failed ({}); isolating the cause",
               result.claimed.size(), status.ToString());
  PassResult total;
  Isolate(result.claimed, status, &total);
  total.claimed = result.claimed;
  return total;
}

void ReducerWorker::Isolate(const std::vector<QueuedEvent>& events,
                            const absl::Status& error, PassResult* total) {
  if (events.empty()) return;
  if (events.size() == 1) {
    absl::Status s = repository_->RecordFailure(
        events[0], std::string(error.message()), total);
    if (!s.ok()) spdlog::warn("could not record failure: {}", s.ToString());
    return;
  }
  const size_t half = events.size() / 2;
  const std::vector<QueuedEvent> parts[] = {
      {events.begin(), events.begin() + half},
      {events.begin() + half, events.end()}};
  for (const auto& part : parts) {
    PassResult result;
    ClaimSpec exactly;
    exactly.only = part;
    absl::Status s = repository_->Reduce(exactly, &result);
    if (s.ok()) {
      total->reduced += result.reduced;
      total->failed += result.failed;
      total->dead += result.dead;
    } else if (IsEventCaused(s)) {
      Isolate(result.claimed, s, total);
    } else {
      // The environment failed meanwhile; the main loop retries later and
      // nothing was charged.
      spdlog::warn("isolation interrupted: {}", s.ToString());
      return;
    }
  }
}

void ReducerWorker::Loop() {
  int infra_failures = 0;
  while (!stopping_) {
    const absl::Time started = absl::Now();
    absl::StatusOr<PassResult> pass = RunPass();
    if (Metrics* m = options_.metrics) {
      if (!pass.ok()) {
        m->Add(kPassFailures, {});
      } else if (!pass->claimed.empty()) {
        m->Observe(kPassEvents, {}, static_cast<double>(pass->claimed.size()));
        m->Observe(kPassSeconds, {},
                   absl::ToDoubleSeconds(absl::Now() - started));
        m->Add(kReduced, {}, pass->reduced);
        m->Add(kFailed, {}, pass->failed);
        m->Add(kDead, {}, pass->dead);
      }
    }
    if (!pass.ok()) {
      ++infra_failures;
      absl::Duration backoff = std::min(
          options_.max_infra_backoff,
          absl::Milliseconds(100) * (1 << std::min(infra_failures, 10)));
      spdlog::warn("reduction pass failed ({}), retrying in {}",
                   pass.status().ToString(), absl::FormatDuration(backoff));
      WaitFor(backoff);
      continue;
    }
    if (infra_failures > 0) spdlog::info("reduction recovered");
    infra_failures = 0;
    if (pass->reduced > 0 || pass->failed > 0) {
      spdlog::debug("reduced {} events, {} failed ({} dead)", pass->reduced,
                    pass->failed, pass->dead);
    }
    // A full batch means more is probably ready: go again at once.
    if (static_cast<int>(pass->claimed.size()) >= options_.batch_size) continue;
    WaitFor(options_.poll_interval);
  }
}

namespace {

class WakeOnNotify final : public pqxx::notification_receiver {
 public:
  WakeOnNotify(pqxx::connection_base& c, ReducerWorker* worker)
      : pqxx::notification_receiver(c, db::kEventsChannel), worker_(worker) {}
  void operator()(const std::string&, int) override { worker_->Wake(); }

 private:
  ReducerWorker* worker_;
};

}  // namespace

void ReducerWorker::Listen() {
  int failures = 0;
  while (!stopping_) {
    try {
      pqxx::connection connection(options_.listen_database_url);
      WakeOnNotify receiver(connection, this);
      if (failures > 0) spdlog::info("listening for notifications again");
      failures = 0;
      // Anything notified while we were away is picked up now.
      Wake();
      while (!stopping_) connection.await_notification(0, 200000);
    } catch (const std::exception& e) {
      ++failures;
      spdlog::warn("notification listener: {}", FromPqxx(e).ToString());
      const absl::Duration backoff =
          std::min(absl::Seconds(10),
                   absl::Milliseconds(100) * (1 << std::min(failures, 7)));
      absl::Time until = absl::Now() + backoff;
      while (!stopping_ && absl::Now() < until)
        absl::SleepFor(absl::Milliseconds(50));
    }
  }
}

}  // namespace analytics::reducer
