// Backoff and failure classification.
#include "reducer-service/src/failure_policy.h"

#include <algorithm>
#include <cmath>

#include "common/status/status_mapping.h"

namespace analytics::reducer {

absl::Duration RetryDelay(int attempts, const BackoffPolicy& policy,
                          double unit_random) {
  const double factor = std::ldexp(1.0, std::clamp(attempts, 0, 40));
  absl::Duration delay = std::min(policy.cap, policy.base * factor);
  delay = delay * (0.75 + 0.5 * unit_random);
  return std::min(delay, policy.cap);
}

bool IsEventCaused(const absl::Status& status) {
  // Only data errors (bad values, violated constraints) can be an event's
  // fault. Everything else, INTERNAL included (a missing table after a bad
  // deploy, a bug of ours), is the environment's: retried with backoff, never
  // charged, so good events are not dead-lettered by an outage.
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kAlreadyExists:
      return true;
    default:
      return false;
  }
}

}  // namespace analytics::reducer
