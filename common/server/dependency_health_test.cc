// DependencyHealth: the verdict rule, and the statuses it reports through a
// real gRPC health service while a check fails, hangs and recovers.
#include "common/server/dependency_health.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <atomic>

#include "analytics/v1/query.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"

namespace analytics {
namespace {

using grpc::health::v1::HealthCheckResponse;

TEST(DependencyUpTest, LastCheckMustHaveSucceededRecently) {
  const absl::Time t = absl::FromUnixSeconds(1000);
  const absl::Duration interval = absl::Seconds(2), timeout = absl::Seconds(1);
  EXPECT_TRUE(DependencyUp(t, true, t, interval, timeout));
  EXPECT_TRUE(DependencyUp(t + absl::Seconds(3), true, t, interval, timeout));
  // A check that hangs: no success for longer than interval + timeout.
  EXPECT_FALSE(DependencyUp(t + absl::Seconds(3) + absl::Milliseconds(1), true,
                            t, interval, timeout));
  // A check that failed: down at once.
  EXPECT_FALSE(DependencyUp(t, false, t, interval, timeout));
}

class DependencyHealthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    // A sync server needs one service of its own to poll its queues.
    builder.RegisterService(&unused_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    server_->GetHealthCheckService()->SetServingStatus(true);
    stub_ = grpc::health::v1::Health::NewStub(
        server_->InProcessChannel(grpc::ChannelArguments()));
  }

  HealthCheckResponse::ServingStatus StatusOf(const std::string& service) {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse response;
    grpc::Status status = stub_->Check(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.status();
  }

  DependencyHealth::SetStatus Setter() {
    return [this](const std::string& service, bool up) {
      server_->GetHealthCheckService()->SetServingStatus(service, up);
    };
  }

  // Polls until `service` reports `want` or 5 s pass.
  bool Becomes(const std::string& service,
               HealthCheckResponse::ServingStatus want) {
    const absl::Time give_up = absl::Now() + absl::Seconds(5);
    while (absl::Now() < give_up) {
      if (StatusOf(service) == want) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return false;
  }

  v1::QueryService::Service unused_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::health::v1::Health::Stub> stub_;
};

TEST_F(DependencyHealthTest, NamedStatusesFollowTheCheckTheOverallOneDoesNot) {
  // 0: answers, 1: fails, 2: hangs until released.
  std::atomic<int> mode{0};
  std::atomic<bool> release{false};
  DependencyHealth health(
      [&]() -> absl::Status {
        if (mode == 1) return absl::UnavailableError("down");
        while (mode == 2 && !release) absl::SleepFor(absl::Milliseconds(5));
        return absl::OkStatus();
      },
      absl::Milliseconds(50), absl::Milliseconds(100));
  health.Start(Setter(), {"a.Service", "b.Service"});
  EXPECT_EQ(StatusOf("a.Service"), HealthCheckResponse::SERVING);
  EXPECT_EQ(StatusOf("b.Service"), HealthCheckResponse::SERVING);

  mode = 1;  // failing checks
  EXPECT_TRUE(Becomes("a.Service", HealthCheckResponse::NOT_SERVING));
  EXPECT_TRUE(Becomes("b.Service", HealthCheckResponse::NOT_SERVING));
  EXPECT_EQ(StatusOf(""), HealthCheckResponse::SERVING);

  mode = 0;  // recovered
  EXPECT_TRUE(Becomes("a.Service", HealthCheckResponse::SERVING));

  mode = 2;  // a check that never returns: stale, so down
  EXPECT_TRUE(Becomes("a.Service", HealthCheckResponse::NOT_SERVING));
  EXPECT_EQ(StatusOf(""), HealthCheckResponse::SERVING);
  release = true;
  mode = 0;
  EXPECT_TRUE(Becomes("a.Service", HealthCheckResponse::SERVING));
  health.Stop();
}

TEST_F(DependencyHealthTest, StopDoesNotWaitForAHangingCheck) {
  std::atomic<bool> release{false};
  std::atomic<bool> started{false};
  auto* health = new DependencyHealth(
      [&]() -> absl::Status {
        started = true;
        while (!release) absl::SleepFor(absl::Milliseconds(5));
        return absl::OkStatus();
      },
      absl::Milliseconds(20), absl::Milliseconds(30));
  health->Start(Setter(), {"a.Service"});
  while (!started) absl::SleepFor(absl::Milliseconds(1));
  const absl::Time asked = absl::Now();
  health->Stop();
  EXPECT_LT(absl::Now() - asked, absl::Seconds(1));
  delete health;  // the detached check keeps its own state
  release = true;
  absl::SleepFor(absl::Milliseconds(100));  // let it finish before `release`
}

}  // namespace
}  // namespace analytics
