// DependencyHealth: whether what a service needs to do its work (the
// database) answers, reported through grpc.health.v1 under each of the
// service's names (e.g. "analytics.v1.IngestService"), while the overall
// status ("") stays SERVING until shutdown. Kubernetes probes ask for "",
// so a database outage does not take every replica out of its Service
// (callers get UNAVAILABLE and retry, and come back without a restart);
// operators, meshes and clients that want to know ask for the service name.
//
// A pinger thread runs `check` every `interval`; a reporter thread flips the
// named statuses. The database counts as down when the last check failed,
// or when no check has succeeded for interval + timeout: a frozen server
// never answers, so a hanging check must not keep the old verdict.
//
// Thread-safe: Start/Stop from one thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace analytics {

// The verdict, as a pure function: up iff the last check succeeded and the
// last success ended at most interval + timeout before `now`.
bool DependencyUp(absl::Time now, bool last_check_ok, absl::Time last_ok,
                  absl::Duration interval, absl::Duration timeout);

class DependencyHealth {
 public:
  // `check` should give up after about `timeout` (e.g. a statement timeout);
  // it may hang longer, the verdict does not wait for it.
  DependencyHealth(std::function<absl::Status()> check, absl::Duration interval,
                   absl::Duration timeout);
  ~DependencyHealth() { Stop(); }

  // How a status is published (RunServer: the server's health service and
  // the health port's mirror).
  using SetStatus = std::function<void(const std::string& service, bool)>;

  // Sets `services` SERVING now and keeps them in line with the checks.
  void Start(SetStatus set_status, std::vector<std::string> services);
  // Stops reporting (the statuses stay as they are). Waits for a check in
  // flight up to interval + timeout; one that hangs longer (a frozen
  // database) is left to finish on its own, so shutdown never waits for
  // the database.
  void Stop();

 private:
  // Shared with the pinger thread, which may outlive this object.
  struct State {
    std::function<absl::Status()> check;
    std::atomic<bool> stopping{false};
    absl::Mutex mu;
    bool last_check_ok ABSL_GUARDED_BY(mu) = true;
    absl::Time last_ok ABSL_GUARDED_BY(mu);
    bool pinger_done ABSL_GUARDED_BY(mu) = false;
  };
  static void Ping(std::shared_ptr<State> state, absl::Duration interval);
  void Report();

  const std::shared_ptr<State> state_;
  const absl::Duration interval_;
  const absl::Duration timeout_;
  SetStatus set_status_;
  std::vector<std::string> services_;
  std::thread pinger_;
  std::thread reporter_;
};

}  // namespace analytics
