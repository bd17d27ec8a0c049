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
  return !status.ok() && !IsTransient(status) &&
         status.code() != absl::StatusCode::kCancelled;
}

}  // namespace analytics::reducer
