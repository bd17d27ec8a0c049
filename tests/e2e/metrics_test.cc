// Prometheus metrics of both binaries, scraped over HTTP and compared with
// what the test sent: events accepted, duplicate and rejected (by field),
// RPCs by method and status code with their latency histogram, events
// reduced and pass sizes, the queue and the connection pool.
#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/support/scenario.h"
#include "tests/support/service_process.h"
#include "tests/support/stack.h"
#include "tests/support/test_database.h"

namespace analytics::testing {
namespace {

// The sample lines of a scrape ("name{labels} value"), without comments.
std::set<std::string> Samples(const std::string& text) {
  std::set<std::string> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!line.empty() && line[0] != '#') out.emplace(line);
  }
  return out;
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TestDatabase>> db = TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
  }

  std::unique_ptr<ServiceProcess> Start(const std::string& binary, int port,
                                        int metrics_port) {
    absl::StatusOr<std::unique_ptr<ServiceProcess>> process =
        ServiceProcess::Spawn(
            binary,
            {"--database_url=" + db_->url(), "--migrate", "--db_pool_size=3",
             absl::StrCat("--listen=127.0.0.1:", port),
             absl::StrCat("--metrics_port=", metrics_port)},
            {absl::StrCat("ANALYTICS_ADMIN_TOKEN=", kAdminToken)});
    EXPECT_TRUE(process.ok()) << process.status();
    if (!process.ok()) return nullptr;
    for (int p : {port, metrics_port}) {
      absl::Status ready = (*process)->WaitForPort(p, absl::Seconds(30));
      EXPECT_TRUE(ready.ok()) << ready << "\n" << (*process)->LogTail();
    }
    return std::move(*process);
  }

  static std::string Scrape(int port) {
    httplib::Client client("127.0.0.1", port);
    httplib::Result result = client.Get("/metrics");
    EXPECT_TRUE(result) << "scrape of port " << port << " failed";
    if (!result) return "";
    EXPECT_EQ(result->status, 200);
    EXPECT_EQ(result->get_header_value("Content-Type"),
              "text/plain; version=0.0.4; charset=utf-8");
    return result->body;
  }

  std::unique_ptr<TestDatabase> db_;
};

TEST_F(MetricsTest, ScrapesCountWhatWasSent) {
  const int ingest_port = FreePort(), ingest_metrics = FreePort();
  std::unique_ptr<ServiceProcess> ingest =
      Start(ANALYTICS_INGEST_BIN, ingest_port, ingest_metrics);
  ASSERT_NE(ingest, nullptr);
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", ingest_port),
                                     grpc::InsecureChannelCredentials());
  auto admin = v1::AdminService::NewStub(channel);
  auto ingest_stub = v1::IngestService::NewStub(channel);

  v1::CreateSiteRequest create;
  create.set_slug("metrics");
  v1::CreateSiteResponse site;
  {
    auto context = AuthorizedContext(kAdminToken);
    ASSERT_TRUE(admin->CreateSite(context.get(), create, &site).ok());
  }
  // 4 valid events, one of them twice in the batch, and one without a
  // visitor id; then one id again, then a bad key.
  const absl::Time at = absl::Now() - absl::Minutes(10);
  v1::IngestRequest first;
  for (int i = 0; i < 4; ++i) {
    ScenarioEvent e;
    e.event_id = absl::StrCat("m", i % 3);  // m0, m1, m2, m0
    e.visitor_id = absl::StrCat("v", i);
    e.session_id = absl::StrCat("s", i);
    e.path.push_back('/');  // not = "/": GCC 12 -Wrestrict (bug 105329)
    e.at = at + absl::Seconds(i);
    *first.add_events() = ToProto(e);
  }
  v1::Event invalid = first.events(1);
  invalid.set_event_id("m9");
  invalid.clear_visitor_id();
  *first.add_events() = invalid;
  v1::IngestRequest again;
  *again.add_events() = first.events(2);
  for (const v1::IngestRequest* request : {&first, &again}) {
    auto context = AuthorizedContext(site.write_key());
    v1::IngestResponse response;
    grpc::Status status =
        ingest_stub->Ingest(context.get(), *request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  {
    auto context = AuthorizedContext("wk_not-a-key");
    v1::IngestResponse response;
    EXPECT_EQ(ingest_stub->Ingest(context.get(), again, &response).error_code(),
              grpc::UNAUTHENTICATED);
  }

  const std::set<std::string> ingested = Samples(Scrape(ingest_metrics));
  for (const char* line : {
           "analytics_events_accepted_total 3",
           "analytics_events_duplicate_total 2",
           "analytics_events_rejected_total{field=\"visitor_id\"} 1",
           "analytics_rpc_requests_total{method=\"/analytics.v1.IngestService/"
           "Ingest\",code=\"OK\"} 2",
           "analytics_rpc_requests_total{method=\"/analytics.v1.IngestService/"
           "Ingest\",code=\"UNAUTHENTICATED\"} 1",
           "analytics_rpc_requests_total{method=\"/analytics.v1.AdminService/"
           "CreateSite\",code=\"OK\"} 1",
           "analytics_rpc_duration_seconds_count{method=\"/analytics.v1."
           "IngestService/Ingest\"} 3",
           "analytics_rpc_duration_seconds_bucket{method=\"/analytics.v1."
           "IngestService/Ingest\",le=\"+Inf\"} 3",
           "analytics_db_pool_size 3",
       }) {
    EXPECT_TRUE(ingested.contains(line)) << "missing: " << line;
  }

  // A reducer drains the three events; its scrape says so.
  const int reducer_port = FreePort(), reducer_metrics = FreePort();
  std::unique_ptr<ServiceProcess> reducer =
      Start(ANALYTICS_REDUCER_BIN, reducer_port, reducer_metrics);
  ASSERT_NE(reducer, nullptr);
  // The queue gauges are refreshed by the worker after a pass, so a scrape
  // can show the reduced counter before the gauges caught up: wait for all.
  const std::vector<std::string> expected = {
      "analytics_events_reduced_total 3",
      "analytics_reduce_pass_events_sum 3",
      "analytics_events_dead_total 0",
      "analytics_queue_pending_events 0",
      "analytics_queue_retrying_events 0",
      "analytics_queue_dead_events 0",
      "analytics_queue_oldest_pending_age_seconds 0",
      "analytics_db_pool_size 3",
  };
  std::set<std::string> reduced;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    reduced = Samples(Scrape(reducer_metrics));
    if (std::all_of(
            expected.begin(), expected.end(),
            [&](const std::string& l) { return reduced.contains(l); })) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  for (const std::string& line : expected) {
    EXPECT_TRUE(reduced.contains(line)) << "missing: " << line;
  }
}

}  // namespace
}  // namespace analytics::testing
