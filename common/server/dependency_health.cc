// DependencyHealth: pinger and reporter threads.
#include "common/server/dependency_health.h"

#include "spdlog/spdlog.h"

namespace analytics {

bool DependencyUp(absl::Time now, bool last_check_ok, absl::Time last_ok,
                  absl::Duration interval, absl::Duration timeout) {
  return last_check_ok && now - last_ok <= interval + timeout;
}

DependencyHealth::DependencyHealth(std::function<absl::Status()> check,
                                   absl::Duration interval,
                                   absl::Duration timeout)
    : state_(std::make_shared<State>()),
      interval_(interval),
      timeout_(timeout) {
  state_->check = std::move(check);
}

void DependencyHealth::Start(SetStatus set_status,
                             std::vector<std::string> services) {
  set_status_ = std::move(set_status);
  services_ = std::move(services);
  {
    absl::MutexLock lock(&state_->mu);
    state_->last_check_ok = true;
    state_->last_ok = absl::Now();
    state_->pinger_done = false;
  }
  for (const std::string& s : services_) set_status_(s, true);
  state_->stopping = false;
  pinger_ = std::thread(Ping, state_, interval_);
  reporter_ = std::thread([this] { Report(); });
}

void DependencyHealth::Stop() {
  state_->stopping = true;
  if (reporter_.joinable()) reporter_.join();
  if (!pinger_.joinable()) return;
  bool done;
  {
    absl::MutexLock lock(&state_->mu);
    auto finished = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_->mu) {
      return state_->pinger_done;
    };
    done = state_->mu.AwaitWithTimeout(absl::Condition(&finished),
                                       interval_ + timeout_);
  }
  if (done) {
    pinger_.join();
  } else {
    spdlog::warn("dependency check still hangs at shutdown; not waiting");
    pinger_.detach();
  }
}

void DependencyHealth::Ping(std::shared_ptr<State> state,
                            absl::Duration interval) {
  while (!state->stopping) {
    const absl::Status status = state->check();
    {
      absl::MutexLock lock(&state->mu);
      state->last_check_ok = status.ok();
      if (status.ok()) state->last_ok = absl::Now();
    }
    if (!status.ok()) {
      spdlog::debug("dependency check failed: {}", status.ToString());
    }
    // Sleep in steps, so Stop() does not wait a whole interval.
    const absl::Time next = absl::Now() + interval;
    while (!state->stopping && absl::Now() < next) {
      absl::SleepFor(std::min(interval, absl::Milliseconds(50)));
    }
  }
  absl::MutexLock lock(&state->mu);
  state->pinger_done = true;
}

void DependencyHealth::Report() {
  bool up = true;
  while (!state_->stopping) {
    absl::SleepFor(std::min(interval_, absl::Milliseconds(100)));
    bool now_up;
    {
      absl::MutexLock lock(&state_->mu);
      now_up = DependencyUp(absl::Now(), state_->last_check_ok, state_->last_ok,
                            interval_, timeout_);
    }
    if (now_up == up || state_->stopping) continue;
    up = now_up;
    if (up) {
      spdlog::info("the database answers again: health SERVING");
    } else {
      spdlog::warn("the database does not answer: health NOT_SERVING");
    }
    for (const std::string& s : services_) set_status_(s, up);
  }
}

}  // namespace analytics
