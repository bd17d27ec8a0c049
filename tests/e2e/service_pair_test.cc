// End to end: both binaries as child processes on a fresh database, driven
// only through gRPC, as a deployment would run them. Covers migrations at
// start-up, NOTIFY-driven reduction, health, SIGTERM shutdown, and a reducer
// killed with SIGKILL at random instants while reducing.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <random>

#include "analytics/v1/admin.grpc.pb.h"
#include "analytics/v1/ingest.grpc.pb.h"
#include "analytics/v1/query.grpc.pb.h"
#include "common/time/pg_time.h"
#include "google/protobuf/util/time_util.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/support/scenario.h"
#include "tests/support/service_process.h"
#include "tests/support/stack.h"
#include "tests/support/test_database.h"

namespace analytics::testing {
namespace {

using google::protobuf::util::TimeUtil;

constexpr absl::Duration kSessionTimeout = absl::Minutes(30);

class ServicePairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TestDatabase>> db = TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    ingest_port_ = FreePort();
    StartIngest();
    ASSERT_NO_FATAL_FAILURE(StartReducer());
    auto ingest_channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", ingest_port_),
                            grpc::InsecureChannelCredentials());
    admin_ = v1::AdminService::NewStub(ingest_channel);
    ingest_ = v1::IngestService::NewStub(ingest_channel);
  }

  std::vector<std::string> CommonArgs() {
    return {"--database_url=" + db_->url(), "--log_level=warn",
            "--db_pool_size=4"};
  }
  std::vector<std::string> Env() {
    return {absl::StrCat("ANALYTICS_ADMIN_TOKEN=", kAdminToken)};
  }

  void StartIngest() {
    std::vector<std::string> args = CommonArgs();
    args.push_back("--migrate");
    args.push_back(absl::StrCat("--listen=127.0.0.1:", ingest_port_));
    auto process = ServiceProcess::Spawn(ANALYTICS_INGEST_BIN, args, Env());
    ASSERT_TRUE(process.ok()) << process.status();
    ingest_process_ = std::move(*process);
    absl::Status ready =
        ingest_process_->WaitForPort(ingest_port_, absl::Seconds(30));
    ASSERT_TRUE(ready.ok()) << ready;
  }

  void StartReducer(int batch_size = 500) {
    reducer_port_ = FreePort();
    std::vector<std::string> args = CommonArgs();
    args.push_back("--migrate");
    args.push_back(absl::StrCat("--listen=127.0.0.1:", reducer_port_));
    args.push_back(absl::StrCat("--batch_size=", batch_size));
    args.push_back("--poll_interval=200ms");
    auto process = ServiceProcess::Spawn(ANALYTICS_REDUCER_BIN, args, Env());
    ASSERT_TRUE(process.ok()) << process.status();
    reducer_process_ = std::move(*process);
    absl::Status ready =
        reducer_process_->WaitForPort(reducer_port_, absl::Seconds(30));
    ASSERT_TRUE(ready.ok()) << ready;
    query_ = v1::QueryService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", reducer_port_),
                            grpc::InsecureChannelCredentials()));
  }

  v1::CreateSiteResponse CreateSite(const std::string& slug) {
    v1::CreateSiteRequest request;
    request.set_slug(slug);
    request.set_name(slug);
    v1::CreateSiteResponse response;
    auto context = AuthorizedContext(kAdminToken);
    grpc::Status status = admin_->CreateSite(context.get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  void IngestAll(const std::string& write_key,
                 const std::vector<v1::IngestRequest>& requests) {
    for (const auto& request : requests) {
      v1::IngestResponse response;
      auto context = AuthorizedContext(write_key);
      grpc::Status status = ingest_->Ingest(context.get(), request, &response);
      ASSERT_TRUE(status.ok()) << status.error_message();
      ASSERT_EQ(response.accepted(), request.events_size());
    }
  }

  absl::StatusOr<v1::Overview> Overview(const std::string& read_key,
                                        int64_t site_id, absl::Time from,
                                        absl::Time to) {
    v1::Overview overview;
    auto context = AuthorizedContext(read_key);
    grpc::Status status = query_->GetOverview(
        context.get(), OverviewRequest(site_id, from, to), &overview);
    if (!status.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          status.error_message());
    }
    return overview;
  }

  // Polls until nothing of the site is pending; the reducer reacts to
  // NOTIFY, so this normally returns within a pass or two.
  absl::StatusOr<v1::Overview> WaitUntilReduced(const std::string& read_key,
                                                int64_t site_id,
                                                absl::Time from, absl::Time to,
                                                absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (true) {
      absl::StatusOr<v1::Overview> overview =
          Overview(read_key, site_id, from, to);
      if (!overview.ok() || overview->pending_events() == 0) return overview;
      if (absl::Now() > deadline) {
        return absl::DeadlineExceededError(
            absl::StrCat(overview->pending_events(), " events still pending:\n",
                         reducer_process_->LogTail()));
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
  }

  std::unique_ptr<TestDatabase> db_;
  int ingest_port_ = 0;
  int reducer_port_ = 0;
  std::unique_ptr<ServiceProcess> ingest_process_;
  std::unique_ptr<ServiceProcess> reducer_process_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
  std::unique_ptr<v1::IngestService::Stub> ingest_;
  std::unique_ptr<v1::QueryService::Stub> query_;
};

TEST_F(ServicePairTest, FunnelThroughBothBinariesIsExact) {
  // Both servers answer the standard health check.
  for (int port : {ingest_port_, reducer_port_}) {
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

  v1::CreateSiteResponse site = CreateSite("funnel");
  const absl::Time h0 = FloorHour(absl::Now()) - absl::Hours(2);
  ASSERT_NO_FATAL_FAILURE(
      IngestAll(site.write_key(), ToRequests(PricingFunnel(h0, 120), 100)));

  absl::StatusOr<v1::Overview> both =
      WaitUntilReduced(site.read_key(), site.site().site_id(), h0,
                       h0 + absl::Hours(2), absl::Seconds(60));
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
        Overview(site.read_key(), site.site().site_id(), h0 + absl::Hours(hour),
                 h0 + absl::Hours(hour + 1));
    ASSERT_TRUE(one.ok()) << one.status();
    EXPECT_EQ(one->events(), 300);
    EXPECT_EQ(one->pageviews(), 120);
    EXPECT_EQ(one->sessions(), 60);
    EXPECT_EQ(one->visitors(), 60);
  }

  // SIGTERM: both exit cleanly and promptly.
  ingest_process_->Signal(SIGTERM);
  reducer_process_->Signal(SIGTERM);
  absl::StatusOr<int> ingest_exit = ingest_process_->Wait(absl::Seconds(15));
  absl::StatusOr<int> reducer_exit = reducer_process_->Wait(absl::Seconds(15));
  ASSERT_TRUE(ingest_exit.ok()) << ingest_exit.status();
  ASSERT_TRUE(reducer_exit.ok()) << reducer_exit.status();
  EXPECT_EQ(*ingest_exit, 0) << ingest_process_->LogTail();
  EXPECT_EQ(*reducer_exit, 0) << reducer_process_->LogTail();
}

TEST_F(ServicePairTest, ReducerKilledMidBatchLeavesExactTotals) {
  v1::CreateSiteResponse site = CreateSite("killed");
  const int64_t site_id = site.site().site_id();
  // Stop the running reducer so the backlog builds up first.
  reducer_process_->Signal(SIGKILL);
  ASSERT_TRUE(reducer_process_->Wait(absl::Seconds(10)).ok());

  const absl::Time start = FloorHour(absl::Now()) - absl::Hours(40);
  const absl::Duration span = absl::Hours(36);
  std::vector<ScenarioEvent> events =
      RandomTraffic(start, span, 1500, kSessionTimeout, /*seed=*/5);
  ASSERT_GT(events.size(), 5000u);
  ASSERT_NO_FATAL_FAILURE(IngestAll(site.write_key(), ToRequests(events, 500)));
  const int64_t total = static_cast<int64_t>(events.size());
  ASSERT_EQ(db_->QueryInt("SELECT count(*) FROM event_queue"), total);

  // Kill the reducer at random instants while it works through the backlog
  // in small batches; each kill must land while work remains.
  std::mt19937 rng(11);
  int kills = 0;
  for (int round = 0; round < 4; ++round) {
    ASSERT_NO_FATAL_FAILURE(StartReducer(/*batch_size=*/50));
    absl::SleepFor(
        absl::Milliseconds(std::uniform_int_distribution<int>(150, 600)(rng)));
    const int64_t pending = db_->QueryInt("SELECT count(*) FROM event_queue");
    reducer_process_->Signal(SIGKILL);
    absl::StatusOr<int> exit = reducer_process_->Wait(absl::Seconds(10));
    ASSERT_TRUE(exit.ok());
    EXPECT_EQ(*exit, 128 + SIGKILL);
    if (pending > 0) ++kills;
  }
  const int64_t left = db_->QueryInt("SELECT count(*) FROM event_queue");
  EXPECT_GT(kills, 0);
  EXPECT_GT(left, 0) << "the reducer finished before any kill; the test "
                        "proved nothing";
  EXPECT_LT(left, total) << "the reducer never got anything done";

  ASSERT_NO_FATAL_FAILURE(StartReducer());
  absl::StatusOr<v1::Overview> all = WaitUntilReduced(
      site.read_key(), site_id, start, start + span, absl::Seconds(120));
  ASSERT_TRUE(all.ok()) << all.status();
  const ExpectedOverview expected =
      Recount(events, start, start + span, kSessionTimeout);
  ExpectOverviewMatches(expected, *all);
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM sessions WHERE site_id = $1",
                          site_id),
            expected.sessions);
  EXPECT_EQ(db_->QueryInt("SELECT coalesce(sum(events), 0) FROM rollups"
                          " WHERE site_id = $1 AND granularity = 0"
                          " AND dimension = 0",
                          site_id),
            total);
  // A few hours with edges inside them.
  for (int h = 0; h < 36; h += 7) {
    const absl::Time from = start + absl::Hours(h) + absl::Milliseconds(1234);
    const absl::Time to = from + absl::Hours(5) + absl::Milliseconds(321);
    absl::StatusOr<v1::Overview> part =
        Overview(site.read_key(), site_id, from, to);
    ASSERT_TRUE(part.ok());
    const ExpectedOverview want = Recount(events, from, to, kSessionTimeout);
    EXPECT_EQ(part->events(), want.events);
    EXPECT_EQ(part->sessions(), want.sessions);
    EXPECT_EQ(part->visitors(), want.visitors);
  }
}

}  // namespace
}  // namespace analytics::testing
