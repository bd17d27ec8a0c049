// End to end: both binaries as child processes on a fresh database, driven
// only through gRPC, as a deployment runs them: migrations at start-up,
// NOTIFY-driven reduction, health, the acceptance funnel, and SIGTERM (idle
// and in the middle of reducing a backlog; ingest in the middle of load).
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <atomic>
#include <map>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/auth/keys.h"
#include "common/time/pg_time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/support/deployment.h"
#include "tests/support/health.h"
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
  // JSON log lines for the secrets check below, next to the text logs of
  // ingest and the query process.
  absl::StatusOr<int> reducer =
      deployment_->StartReducer({"--log_format=json"});
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

  // Keys issued by rotation, each used where keys are checked: the new
  // write key on ingest (the funnel's first event again: a duplicate of the
  // site's), the new and the old read key, the admin token and a made-up
  // read key on the query process and on the JSON-logging reducer (which
  // serves QueryService too).
  v1::RotateKeyRequest rotate;
  rotate.set_site_id(site_id);
  rotate.mutable_grace_period()->set_seconds(3600);
  v1::RotateKeyResponse new_write;
  v1::RotateKeyResponse new_read;
  auto rotate_write = AuthorizedContext(kAdminToken);
  ASSERT_TRUE(deployment_->admin()
                  .RotateWriteKey(rotate_write.get(), rotate, &new_write)
                  .ok());
  auto rotate_read = AuthorizedContext(kAdminToken);
  ASSERT_TRUE(deployment_->admin()
                  .RotateReadKey(rotate_read.get(), rotate, &new_read)
                  .ok());
  ASSERT_TRUE(absl::StartsWith(new_write.key(), "wk_")) << new_write.key();
  ASSERT_TRUE(absl::StartsWith(new_read.key(), "rk_")) << new_read.key();
  ASSERT_NE(new_write.key(), site->write_key());
  ASSERT_NE(new_read.key(), site->read_key());
  v1::IngestResponse again;
  auto new_write_context = AuthorizedContext(new_write.key());
  ASSERT_TRUE(deployment_->ingest()
                  .Ingest(new_write_context.get(), one_event, &again)
                  .ok());
  EXPECT_EQ(again.accepted(), 0);
  EXPECT_EQ(again.duplicates(), 1);
  const std::string bogus_read = "rk_not-a-key-0123456789abcdef";
  for (int port :
       {deployment_->query_port(), deployment_->reducer_port(*reducer)}) {
    auto query = v1::QueryService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
    for (const std::string& key :
         {new_read.key(), site->read_key(), std::string(kAdminToken)}) {
      auto context = AuthorizedContext(key);
      v1::Overview overview;
      ASSERT_TRUE(
          query
              ->GetOverview(context.get(),
                            OverviewRequest(site_id, h0, h0 + absl::Hours(2)),
                            &overview)
              .ok())
          << "port " << port << ", key " << key.substr(0, 3);
      EXPECT_EQ(overview.events(), 600);
    }
    auto context = AuthorizedContext(bogus_read);
    v1::Overview overview;
    EXPECT_EQ(
        query
            ->GetOverview(context.get(),
                          OverviewRequest(site_id, h0, h0 + absl::Hours(2)),
                          &overview)
            .error_code(),
        grpc::StatusCode::UNAUTHENTICATED);
  }

  // Idle SIGTERM: clean exit.
  EXPECT_EQ(Terminate(deployment_->ingest_process(), absl::Seconds(15)), 0);
  EXPECT_EQ(Terminate(deployment_->reducer(*reducer), absl::Seconds(15)), 0);
  EXPECT_EQ(Terminate(deployment_->query_process(), absl::Seconds(15)), 0);

  // No secret of the run in any log line of any process: keys issued at
  // creation and by rotation, the keys refused, the admin token.
  std::string logs;
  for (ServiceProcess* p :
       {&deployment_->ingest_process(), &deployment_->query_process(),
        &deployment_->reducer(*reducer)}) {
    logs += p->LogTail(std::string::npos);
  }
  EXPECT_NE(logs.find("created site"), std::string::npos);
  EXPECT_NE(logs.find("UNAUTHENTICATED"), std::string::npos);  // access line
  EXPECT_NE(logs.find("rpc /analytics.v1.AdminService/RotateWriteKey OK "),
            std::string::npos);
  EXPECT_NE(logs.find("rpc /analytics.v1.AdminService/RotateReadKey OK "),
            std::string::npos);
  // The reducer's log is JSON, and it logged the calls above: 3 answered
  // and 1 refused GetOverview, each on one line that is one JSON object.
  const std::string reducer_log =
      deployment_->reducer(*reducer).LogTail(std::string::npos);
  int ok_lines = 0;
  int refused_lines = 0;
  for (absl::string_view line : absl::StrSplit(reducer_log, '\n')) {
    const bool ok = absl::StrContains(
        line, "rpc /analytics.v1.QueryService/GetOverview OK ");
    const bool refused = absl::StrContains(
        line, "rpc /analytics.v1.QueryService/GetOverview UNAUTHENTICATED ");
    if (!ok && !refused) continue;
    ok_lines += ok;
    refused_lines += refused;
    EXPECT_TRUE(absl::StartsWith(line, "{") && absl::EndsWith(line, "}"))
        << line;
  }
  EXPECT_EQ(ok_lines, 3) << reducer_log;
  EXPECT_EQ(refused_lines, 1) << reducer_log;
  for (const std::string& secret :
       {site->write_key(), site->read_key(), new_write.key(), new_read.key(),
        bogus, bogus_read, std::string(kAdminToken)}) {
    ASSERT_GT(secret.size(), 10u);
    EXPECT_EQ(logs.find(secret), std::string::npos)
        << "a secret is in a log: " << secret.substr(0, 4) << "...";
  }
}

// Where the bytes `needle_hex` (in hex) occur in the database: "table.column"
// for every column of every table (partitions included, any type) whose
// value holds them, bytea by its bytes, every other type by its text form.
// `columns`, when set, receives how many columns there are of each type.
std::set<std::string> ColumnsHolding(
    TestDatabase& db, const std::string& needle_hex,
    std::map<std::string, int>* columns = nullptr) {
  pqxx::connection connection(db.url());
  pqxx::nontransaction tx(connection);
  const pqxx::result all = tx.exec(
      "SELECT n.nspname, c.relname, a.attname, t.typname"
      " FROM pg_attribute a"
      " JOIN pg_class c ON c.oid = a.attrelid"
      " JOIN pg_namespace n ON n.oid = c.relnamespace"
      " JOIN pg_type t ON t.oid = a.atttypid"
      " WHERE c.relkind IN ('r', 'm') AND a.attnum > 0"
      " AND NOT a.attisdropped"
      " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
      " AND n.nspname NOT LIKE 'pg_toast%'"
      " ORDER BY 1, 2, 3");
  std::set<std::string> holding;
  for (const auto& row : all) {
    const std::string table = tx.quote_name(row[0].as<std::string>()) + "." +
                              tx.quote_name(row[1].as<std::string>());
    const std::string column = tx.quote_name(row[2].as<std::string>());
    const std::string type = row[3].as<std::string>();
    if (columns != nullptr) ++(*columns)[type];
    const std::string value =
        type == "bytea"
            ? column
            : absl::StrCat("convert_to(", column, "::text, 'UTF8')");
    if (tx.exec_params1(absl::StrCat("SELECT EXISTS (SELECT 1 FROM ", table,
                                     " WHERE position(decode($1, 'hex') IN ",
                                     value, ") > 0)"),
                        needle_hex)[0]
            .as<bool>()) {
      holding.insert(absl::StrCat(row[1].as<std::string>(), ".",
                                  row[2].as<std::string>()));
    }
  }
  return holding;
}

// Only hashes of keys are stored: after keys were issued (two sites created,
// their keys rotated with and without a grace period, every key used), no
// column of any table holds a key or the admin token. The scan itself is
// shown to find what is there: each key's SHA-256 in site_keys.key_hash
// (bytea), a slug in sites.slug and sites.name (text), an IDENTIFY's
// property value in its events partition and in visitors.traits (jsonb).
TEST_F(ServicePairTest, NoTableHoldsAKeyOrTheAdminTokenInPlainText) {
  absl::StatusOr<int> reducer = deployment_->StartReducer({});
  ASSERT_TRUE(reducer.ok()) << reducer.status();
  std::vector<std::string> keys;
  int64_t first_site = 0;
  const absl::Time h0 = FloorHour(absl::Now()) - absl::Hours(2);
  for (const std::string slug : {"hashes-only-a", "hashes-only-b"}) {
    absl::StatusOr<v1::CreateSiteResponse> site = deployment_->CreateSite(slug);
    ASSERT_TRUE(site.ok()) << site.status();
    const int64_t site_id = site->site().site_id();
    if (first_site == 0) first_site = site_id;
    keys.push_back(site->write_key());
    keys.push_back(site->read_key());
    v1::RotateKeyRequest rotate;
    rotate.set_site_id(site_id);
    // Site a keeps its old keys for an hour, site b's end at once.
    rotate.mutable_grace_period()->set_seconds(slug == "hashes-only-a" ? 3600
                                                                       : 0);
    v1::RotateKeyResponse write;
    v1::RotateKeyResponse read;
    auto c1 = AuthorizedContext(kAdminToken);
    ASSERT_TRUE(
        deployment_->admin().RotateWriteKey(c1.get(), rotate, &write).ok());
    auto c2 = AuthorizedContext(kAdminToken);
    ASSERT_TRUE(
        deployment_->admin().RotateReadKey(c2.get(), rotate, &read).ok());
    keys.push_back(write.key());
    keys.push_back(read.key());

    std::vector<v1::IngestRequest> requests =
        ToRequests(PricingFunnel(h0, 10), 50);
    (*requests[0].mutable_events(0)->mutable_properties())["plan"]
        .set_string_value(absl::StrCat("jsonb-control-", site_id));
    ASSERT_TRUE(deployment_->IngestAll(write.key(), requests).ok());
    absl::StatusOr<v1::Overview> overview = deployment_->WaitUntilReduced(
        read.key(), site_id, h0, h0 + absl::Hours(2), absl::Seconds(60));
    ASSERT_TRUE(overview.ok()) << overview.status();
    EXPECT_EQ(overview->events(), 50);
  }
  ASSERT_EQ(keys.size(), 8u);
  ASSERT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), 8u);

  // The scan finds what is stored, in bytea, text and jsonb columns.
  std::map<std::string, int> columns;
  EXPECT_EQ(
      ColumnsHolding(*db_, absl::BytesToHexString("hashes-only-b"), &columns),
      (std::set<std::string>{"sites.name", "sites.slug"}));
  EXPECT_GE(columns["bytea"], 1);
  EXPECT_GE(columns["text"], 10);
  EXPECT_GE(columns["jsonb"], 1);
  for (const std::string& key : keys) {
    EXPECT_EQ(ColumnsHolding(*db_, HashKey(key)),
              (std::set<std::string>{"site_keys.key_hash"}))
        << key.substr(0, 3);
  }
  const std::set<std::string> control = ColumnsHolding(
      *db_, absl::BytesToHexString(absl::StrCat("jsonb-control-", first_site)));
  // The event's month partition, and the visitor's traits (the first
  // funnel event is an IDENTIFY).
  ASSERT_EQ(control.size(), 2u) << absl::StrJoin(control, ", ");
  EXPECT_TRUE(absl::StartsWith(*control.begin(), "events_"))
      << *control.begin();
  EXPECT_TRUE(absl::EndsWith(*control.begin(), ".properties"))
      << *control.begin();
  EXPECT_EQ(*control.rbegin(), "visitors.traits");

  // No key and no admin token anywhere, in plain text.
  for (const std::string& secret : keys) {
    EXPECT_EQ(ColumnsHolding(*db_, absl::BytesToHexString(secret)),
              std::set<std::string>())
        << "a key is stored: " << secret.substr(0, 4) << "...";
  }
  EXPECT_EQ(ColumnsHolding(*db_, absl::BytesToHexString(kAdminToken)),
            std::set<std::string>());
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
  // Ingest and the query-only reducer never noticed.
  ExpectServing(deployment_->ingest_port(),
                v1::IngestService::service_full_name());
  ExpectServing(deployment_->query_port(),
                v1::QueryService::service_full_name());
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
  // The ingest started after the SIGTERM, and the query-only reducer that
  // served all along, report SERVING.
  ExpectServing(deployment_->ingest_port(),
                v1::IngestService::service_full_name());
  ExpectServing(deployment_->query_port(),
                v1::QueryService::service_full_name());
}

}  // namespace
}  // namespace analytics::testing
