// grpc.health.v1 as a client of our services sees it (a probe, a mesh, an
// operator): one status, or polled until it settles, for end-to-end tests
// that check what health reports during and after a fault.
#pragma once

#include <string>

#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace analytics::testing {

// The status of `service` ("" = the server as a whole) on 127.0.0.1:`port`,
// asked on a fresh channel; UNKNOWN when the call itself fails (nothing
// listens, or no answer within `timeout`).
grpc::health::v1::HealthCheckResponse::ServingStatus Health(
    int port, const std::string& service,
    absl::Duration timeout = absl::Seconds(1));

// Polls Health() every 50 ms until it is `want`; false after `within`.
bool WaitForHealth(int port, const std::string& service,
                   grpc::health::v1::HealthCheckResponse::ServingStatus want,
                   absl::Duration within);

// Adds a test failure unless `port` reports "" SERVING now and `service`
// SERVING within `within`. The named statuses follow the database checks
// (--health_check_interval), so they settle a moment after a fault ends;
// "" never follows the database and must already be SERVING.
void ExpectServing(int port, const std::string& service,
                   absl::Duration within = absl::Seconds(10));

}  // namespace analytics::testing
