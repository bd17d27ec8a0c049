// End to end: both binaries as child processes on a fresh database, driven
// only through gRPC, as a deployment runs them: migrations at start-up,
// NOTIFY-driven reduction, health, the acceptance funnel, and SIGTERM (idle
// and in the middle of reducing a backlog).
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include "common/time/pg_time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/support/deployment.h"
#include "tests/support/scenario.h"
#include "tests/support/stack.h"

namespace analytics::testing {
namespace {

constexpr absl::Duration kSessionTimeout = absl::Minutes(30);

class ServicePairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TestDatabase>> db = TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    deployment_ = std::make_unique<Deployment>(
        db_.get(), BinaryPaths{ANALYTICS_INGEST_BIN, ANALYTICS_REDUCER_BIN});
    absl::Status started = deployment_->Start();
    ASSERT_TRUE(started.ok()) << started;
  }

  // SIGTERM, then the exit code within `limit`.
  static int Terminate(ServiceProcess& process, absl::Duration limit) {
    process.Signal(SIGTERM);
    absl::StatusOr<int> exit = process.Wait(limit);
    EXPECT_TRUE(exit.ok()) << exit.status();
    return exit.ok() ? *exit : -1;
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<Deployment> deployment_;
};

TEST_F(ServicePairTest, FunnelThroughBothBinariesIsExact) {
  absl::StatusOr<int> reducer = deployment_->StartReducer({});
  ASSERT_TRUE(reducer.ok()) << reducer.status();
  for (int port : {deployment_->ingest_port(), deployment_->query_port()}) {
    auto health = grpc::health::v1::Health::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckResponse response;
    ASSERT_TRUE(
        health
            ->Check(&context, grpc::health::v1::HealthCheckRequest(), &response)
            .ok());
    EXPECT_EQ(response.status(),
              grpc::health::v1::HealthCheckResponse::SERVING);
  }

  absl::StatusOr<v1::CreateSiteResponse> site =
      deployment_->CreateSite("funnel");
  ASSERT_TRUE(site.ok()) << site.status();
  const int64_t site_id = site->site().site_id();
  const absl::Time h0 = FloorHour(absl::Now()) - absl::Hours(2);
  absl::Status ingested = deployment_->IngestAll(
      site->write_key(), ToRequests(PricingFunnel(h0, 120), 100));
  ASSERT_TRUE(ingested.ok()) << ingested;

  absl::StatusOr<v1::Overview> both = deployment_->WaitUntilReduced(
      site->read_key(), site_id, h0, h0 + absl::Hours(2), absl::Seconds(60));
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(both->events(), 600);
  EXPECT_EQ(both->pageviews(), 240);
  EXPECT_EQ(both->sessions(), 120);
  EXPECT_EQ(both->visitors(), 120);
  EXPECT_EQ(both->bounce_rate(), 0.0);
  EXPECT_EQ(both->average_session_duration().seconds(), 4);
  EXPECT_EQ(both->average_session_duration().nanos(), 0);
  for (int hour = 0; hour < 2; ++hour) {
    absl::StatusOr<v1::Overview> one =
        deployment_->Overview(site->read_key(), site_id, h0 + absl::Hours(hour),
                              h0 + absl::Hours(hour + 1));
    ASSERT_TRUE(one.ok()) << one.status();
    EXPECT_EQ(one->events(), 300);
    EXPECT_EQ(one->pageviews(), 120);
    EXPECT_EQ(one->sessions(), 60);
    EXPECT_EQ(one->visitors(), 60);
  }

  // Idle SIGTERM: clean exit.
  EXPECT_EQ(Terminate(deployment_->ingest_process(), absl::Seconds(15)), 0);
  EXPECT_EQ(Terminate(deployment_->reducer(*reducer), absl::Seconds(15)), 0);
  EXPECT_EQ(Terminate(deployment_->query_process(), absl::Seconds(15)), 0);
}

TEST_F(ServicePairTest, SigtermWhileReducingExitsPromptlyAndLosesNothing) {
  absl::StatusOr<v1::CreateSiteResponse> site =
      deployment_->CreateSite("terminated");
  ASSERT_TRUE(site.ok()) << site.status();
  const absl::Time start = FloorHour(absl::Now()) - absl::Hours(30);
  const absl::Duration span = absl::Hours(24);
  std::vector<ScenarioEvent> events =
      RandomTraffic(start, span, 3000, kSessionTimeout, /*seed=*/31);
  ASSERT_TRUE(
      deployment_->IngestAll(site->write_key(), ToRequests(events, 500)).ok());

  absl::StatusOr<int> first = deployment_->StartReducer({"--batch_size=100"});
  ASSERT_TRUE(first.ok()) << first.status();
  absl::SleepFor(absl::Milliseconds(400));
  const int64_t pending = db_->QueryInt("SELECT count(*) FROM event_queue");
  const absl::Time asked = absl::Now();
  EXPECT_EQ(Terminate(deployment_->reducer(*first), absl::Seconds(10)), 0);
  EXPECT_LT(absl::Now() - asked, absl::Seconds(10));
  EXPECT_GT(pending, 0) << "the backlog was gone before SIGTERM";

  absl::StatusOr<int> second = deployment_->StartReducer({});
  ASSERT_TRUE(second.ok()) << second.status();
  absl::StatusOr<v1::Overview> overview =
      deployment_->WaitUntilReduced(site->read_key(), site->site().site_id(),
                                    start, start + span, absl::Seconds(120));
  ASSERT_TRUE(overview.ok()) << overview.status();
  ExpectOverviewMatches(Recount(events, start, start + span, kSessionTimeout),
                        *overview);
}

}  // namespace
}  // namespace analytics::testing
