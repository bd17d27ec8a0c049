// Health: the grpc.health.v1 client side of the end-to-end tests.
#include "tests/support/health.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace analytics::testing {

using grpc::health::v1::HealthCheckResponse;

HealthCheckResponse::ServingStatus Health(int port, const std::string& service,
                                          absl::Duration timeout) {
  // A fresh channel every time: one that broke while a process was down
  // must not decide what a later call sees.
  auto stub = grpc::health::v1::Health::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  if (!stub->Check(&context, request, &response).ok()) {
    return HealthCheckResponse::UNKNOWN;
  }
  return response.status();
}

bool WaitForHealth(int port, const std::string& service,
                   HealthCheckResponse::ServingStatus want,
                   absl::Duration within) {
  const absl::Time give_up = absl::Now() + within;
  while (Health(port, service) != want) {
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return true;
}

void ExpectServing(int port, const std::string& service,
                   absl::Duration within) {
  EXPECT_EQ(Health(port, ""), HealthCheckResponse::SERVING)
      << "port " << port << ", overall";
  EXPECT_TRUE(
      WaitForHealth(port, service, HealthCheckResponse::SERVING, within))
      << "port " << port << ": " << service << " is "
      << HealthCheckResponse::ServingStatus_Name(Health(port, service))
      << ", still not SERVING after " << within;
}

}  // namespace analytics::testing
