// End to end: both binaries as child processes on a fresh database, driven
// only through gRPC, as a deployment runs them: migrations at start-up,
// NOTIFY-driven reduction, health, the acceptance funnel, and SIGTERM (idle
// and in the middle of reducing a backlog; ingest in the middle of load).
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <atomic>
#include <thread>
#include <vector>

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
    // Every line there is, so the secrets check below reads a full log.
    deployment_->set_log_level("debug");
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

  // A key that is not one: refused, and (below) never logged either.
  const std::string bogus = "wk_not-a-key-0123456789abcdef";
  v1::IngestRequest one_event = ToRequests(PricingFunnel(h0, 1), 1)[0];
  v1::IngestResponse refused;
  auto bogus_context = AuthorizedContext(bogus);
  EXPECT_EQ(deployment_->ingest()
                .Ingest(bogus_context.get(), one_event, &refused)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  // Idle SIGTERM: clean exit.
  EXPECT_EQ(Terminate(deployment_->ingest_process(), absl::Seconds(15)), 0);
  EXPECT_EQ(Terminate(deployment_->reducer(*reducer), absl::Seconds(15)), 0);
  EXPECT_EQ(Terminate(deployment_->query_process(), absl::Seconds(15)), 0);

  // No secret of the run in any log line of any process: keys issued,
  // the key refused, the admin token.
  std::string logs;
  for (ServiceProcess* p :
       {&deployment_->ingest_process(), &deployment_->query_process(),
        &deployment_->reducer(*reducer)}) {
    logs += p->LogTail(std::string::npos);
  }
  EXPECT_NE(logs.find("created site"), std::string::npos);
  EXPECT_NE(logs.find("UNAUTHENTICATED"), std::string::npos);  // access line
  for (const std::string& secret :
       {site->write_key(), site->read_key(), bogus, std::string(kAdminToken)}) {
    EXPECT_EQ(logs.find(secret), std::string::npos)
        << "a secret is in a log: " << secret.substr(0, 4) << "...";
  }
}

// A query-only replica with --database_read_url reads through that URL (a
// replica in production; here the same database under another connection
// string) and gives the same numbers; its connections say so.
TEST_F(ServicePairTest, QueryReplicaReadsThroughTheReadUrl) {
  absl::StatusOr<int> reducer = deployment_->StartReducer({});
  ASSERT_TRUE(reducer.ok()) << reducer.status();
  absl::StatusOr<v1::CreateSiteResponse> site =
      deployment_->CreateSite("read-url");
  ASSERT_TRUE(site.ok()) << site.status();
  const absl::Time h0 = FloorHour(absl::Now()) - absl::Hours(2);
  ASSERT_TRUE(
      deployment_
          ->IngestAll(site->write_key(), ToRequests(PricingFunnel(h0, 20), 100))
          .ok());
  absl::StatusOr<v1::Overview> primary =
      deployment_->WaitUntilReduced(site->read_key(), site->site().site_id(),
                                    h0, h0 + absl::Hours(2), absl::Seconds(60));
  ASSERT_TRUE(primary.ok()) << primary.status();

  const int port = FreePort();
  absl::StatusOr<std::unique_ptr<ServiceProcess>> replica =
      ServiceProcess::Spawn(
          ANALYTICS_REDUCER_BIN,
          {"--database_url=" + db_->url(),
           "--database_read_url=" + db_->url() + " application_name=unused",
           "--reduce=false", "--db_pool_size=2",
           absl::StrCat("--listen=127.0.0.1:", port)},
          {absl::StrCat("ANALYTICS_ADMIN_TOKEN=", kAdminToken)});
  ASSERT_TRUE(replica.ok()) << replica.status();
  ASSERT_TRUE((*replica)->WaitForPort(port, absl::Seconds(30)).ok());
  auto stub = v1::QueryService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  auto context = AuthorizedContext(site->read_key());
  v1::Overview read;
  grpc::Status status = stub->GetOverview(
      context.get(),
      OverviewRequest(site->site().site_id(), h0, h0 + absl::Hours(2)), &read);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(read.events(), primary->events());
  EXPECT_EQ(read.events(), 100);
  EXPECT_EQ(read.visitors(), 20);
  // The read went through the read pool's own connection.
  EXPECT_GE(db_->QueryInt("SELECT count(*) FROM pg_stat_activity WHERE "
                          "application_name = 'reducer-service-read' AND "
                          "datname = current_database()"),
            1);
  (*replica)->Signal(SIGTERM);
  absl::StatusOr<int> exit = (*replica)->Wait(absl::Seconds(15));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(*exit, 0);
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

// Ingest under load from concurrent clients, SIGTERM in the middle: the
// process drains and exits 0 within its grace period, every batch it
// acknowledged is stored exactly once, and after a restart the batches whose
// outcome the clients never learned can be resent with the same event ids
// without counting anything twice.
TEST_F(ServicePairTest, SigtermDuringIngestLoadLosesNoAcknowledgedEvent) {
  absl::StatusOr<v1::CreateSiteResponse> site =
      deployment_->CreateSite("ingest-sigterm");
  ASSERT_TRUE(site.ok()) << site.status();
  const int64_t site_id = site->site().site_id();
  constexpr int kClients = 4;
  constexpr int kBatch = 50;
  const absl::Time base = FloorHour(absl::Now()) - absl::Hours(2);

  struct Sent {
    v1::IngestRequest request;
    bool acknowledged = false;
  };
  std::vector<std::vector<Sent>> sent(kClients);
  std::atomic<bool> stop{false};
  std::atomic<int> acknowledged{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      // Own channel per client: the server sees concurrent connections.
      auto stub = v1::IngestService::NewStub(grpc::CreateChannel(
          absl::StrCat("127.0.0.1:", deployment_->ingest_port()),
          grpc::InsecureChannelCredentials()));
      for (int b = 0; !stop; ++b) {
        Sent s;
        for (int i = 0; i < kBatch; ++i) {
          ScenarioEvent e;
          e.event_id = absl::StrCat("c", c, "-b", b, "-", i);
          e.at = base + absl::Milliseconds(b * kBatch + i);
          e.visitor_id = absl::StrCat("v", c, "-", b % 50);
          e.session_id = absl::StrCat("s", c, "-", b % 50);
          e.path = "/load";
          *s.request.add_events() = ToProto(e);
        }
        auto context = AuthorizedContext(site->write_key());
        v1::IngestResponse response;
        grpc::Status status = stub->Ingest(context.get(), s.request, &response);
        s.acknowledged = status.ok();
        if (status.ok()) {
          EXPECT_EQ(response.accepted(), kBatch);
          ++acknowledged;
        }
        sent[c].push_back(std::move(s));
        if (!status.ok()) absl::SleepFor(absl::Milliseconds(20));
      }
    });
  }
  // Load first, then SIGTERM while batches are in flight.
  const absl::Time wait_until = absl::Now() + absl::Seconds(20);
  while (acknowledged < 40 && absl::Now() < wait_until) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_GE(acknowledged, 40) << "ingest never got going";
  const absl::Time asked = absl::Now();
  deployment_->ingest_process().Signal(SIGTERM);
  absl::StatusOr<int> exit =
      deployment_->ingest_process().Wait(absl::Seconds(15));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(*exit, 0);
  EXPECT_LT(absl::Now() - asked, absl::Seconds(10));  // 8 s grace + margin
  stop = true;
  for (auto& t : clients) t.join();

  // Every acknowledged event is stored, once.
  int64_t acked_events = 0, unknown_batches = 0;
  std::vector<v1::IngestRequest> resend;
  for (const auto& list : sent) {
    for (const Sent& s : list) {
      if (s.acknowledged) {
        acked_events += kBatch;
        const std::string& first = s.request.events(0).event_id();
        EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM events WHERE "
                                "site_id = $1 AND client_event_id = $2",
                                site_id, first),
                  1)
            << first;
      } else {
        ++unknown_batches;
      }
      resend.push_back(s.request);  // everything again: retries are safe
    }
  }
  const int64_t total = static_cast<int64_t>(resend.size()) * kBatch;
  EXPECT_GE(
      db_->QueryInt("SELECT count(*) FROM events WHERE site_id = $1", site_id),
      acked_events);
  EXPECT_EQ(db_->QueryInt("SELECT count(*) - count(DISTINCT client_event_id) "
                          "FROM events WHERE site_id = $1",
                          site_id),
            0);
  EXPECT_GT(unknown_batches, 0) << "SIGTERM came after the load ended";

  // Restart and resend every batch with the same ids: each event exactly
  // once, and all of them reduced.
  ASSERT_TRUE(deployment_->RestartIngest().ok());
  ASSERT_TRUE(deployment_->IngestAll(site->write_key(), resend).ok());
  EXPECT_EQ(
      db_->QueryInt("SELECT count(*) FROM events WHERE site_id = $1", site_id),
      total);
  EXPECT_EQ(db_->QueryInt("SELECT count(DISTINCT client_event_id) FROM "
                          "events WHERE site_id = $1",
                          site_id),
            total);
  absl::StatusOr<int> reducer = deployment_->StartReducer({});
  ASSERT_TRUE(reducer.ok()) << reducer.status();
  absl::StatusOr<v1::Overview> overview =
      deployment_->WaitUntilReduced(site->read_key(), site_id, base,
                                    base + absl::Hours(3), absl::Seconds(120));
  ASSERT_TRUE(overview.ok()) << overview.status();
  EXPECT_EQ(overview->events(), total);
  EXPECT_EQ(overview->pageviews(), total);
}

}  // namespace
}  // namespace analytics::testing
