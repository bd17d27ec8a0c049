// CancellationScope and CancelWatch: one process-wide watcher thread.
#include "common/db/cancellation.h"

#include <set>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "spdlog/spdlog.h"

namespace analytics::db {

struct CancelWatch::Entry {
  pqxx::connection* connection;
  std::function<bool()> cancelled;
  bool fired = false;
};

namespace {

thread_local const std::function<bool()>* current_cancellation = nullptr;

constexpr absl::Duration kPollInterval = absl::Milliseconds(20);

class Watcher {
 public:
  // Never destroyed: the thread may still run while statics are torn down.
  static Watcher& Get() {
    static Watcher* watcher = new Watcher();
    return *watcher;
  }

  void Add(CancelWatch::Entry* entry) {
    absl::MutexLock lock(&mu_);
    entries_.insert(entry);
    if (!started_) {
      started_ = true;
      std::thread([this] { Run(); }).detach();
    }
  }

  // Holds the lock a cancel is sent under, so it waits for one in flight.
  void Remove(CancelWatch::Entry* entry) {
    absl::MutexLock lock(&mu_);
    entries_.erase(entry);
  }

  bool Fired(const CancelWatch::Entry* entry) {
    absl::MutexLock lock(&mu_);
    return entry->fired;
  }

 private:
  void Run() {
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        auto busy = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
          return !entries_.empty();
        };
        mu_.Await(absl::Condition(&busy));
        for (CancelWatch::Entry* entry : entries_) {
          if (entry->fired || !entry->cancelled()) continue;
          entry->fired = true;
          try {
            entry->connection->cancel_query();
          } catch (const std::exception& e) {
            // The statement then runs to its timeout, as before.
            spdlog::warn("could not cancel a cancelled call's statement: {}",
                         e.what());
          }
        }
      }
      absl::SleepFor(kPollInterval);
    }
  }

  absl::Mutex mu_;
  std::set<CancelWatch::Entry*> entries_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

CancellationScope::CancellationScope(std::function<bool()> cancelled)
    : cancelled_(std::move(cancelled)), previous_(current_cancellation) {
  current_cancellation = &cancelled_;
}

CancellationScope::~CancellationScope() { current_cancellation = previous_; }

const std::function<bool()>* CurrentCancellation() {
  return current_cancellation != nullptr && *current_cancellation
             ? current_cancellation
             : nullptr;
}

CancelWatch::CancelWatch(pqxx::connection& connection,
                         std::function<bool()> cancelled)
    : entry_(
          std::make_unique<Entry>(Entry{&connection, std::move(cancelled)})) {
  Watcher::Get().Add(entry_.get());
}

CancelWatch::~CancelWatch() { Watcher::Get().Remove(entry_.get()); }

bool CancelWatch::fired() const { return Watcher::Get().Fired(entry_.get()); }

}  // namespace analytics::db
