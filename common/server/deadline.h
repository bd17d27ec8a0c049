// The time a caller still waits for an RPC, so the work behind it (database
// statements) can be bounded by the caller's deadline.
#pragma once

#include <grpcpp/server_context.h>

#include "absl/time/time.h"

namespace analytics {

// Time until the call's deadline; InfiniteDuration when it has none, zero
// or negative when it has passed.
inline absl::Duration TimeLeft(const grpc::ServerContext& context) {
  const auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) {
    return absl::InfiniteDuration();
  }
  return absl::FromChrono(deadline) - absl::Now();
}

}  // namespace analytics
