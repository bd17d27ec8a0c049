// FailurePolicy: what happens to an event whose reduction failed. Pure rules:
// which failures are the event's fault, and how long to wait before the next
// attempt. An event gets at most `max_attempts` attempts, then it is a dead
// letter that only an operator re-queues (no retry forever, no lost state).
#pragma once

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace analytics::reducer {

struct BackoffPolicy {
  absl::Duration base = absl::Seconds(1);
  absl::Duration cap = absl::Hours(1);
  int max_attempts = 10;
};

// Delay before the attempt that follows `attempts` failed ones:
// min(cap, base * 2^attempts), spread by +-25% using `unit_random` in [0, 1)
// so replicas do not retry in lockstep, and never above `cap`.
absl::Duration RetryDelay(int attempts, const BackoffPolicy& policy,
                          double unit_random);

// True when a failed pass says something about its events' data (a bad
// value, a violated constraint) rather than about the environment: such
// failures are charged to events after isolating the culprit. All others
// (connection lost, deadlock, serialization failure, timeout, exhausted
// resources, internal errors) are retried without charging anyone.
bool IsEventCaused(const absl::Status& status);

}  // namespace analytics::reducer
