// Resilience end to end: both binaries as child processes while PostgreSQL
// itself fails under them in the middle of a reduction backlog. The server
// is frozen three times (SIGSTOP of the postmaster and every backend, longer
// than the services' statement timeout, with an Ingest waiting), then
// restarted with an immediate, crash-like shutdown and recovery while clients
// keep ingesting. The reducer must come back on its own every time (same
// process, new connections, LISTEN again), charge nothing to events, and end
// with exact totals; ingest must acknowledge only what is durable, so retries
// with the same event ids count once.
//
// These tests stop and restart the shared test server, which breaks every
// other test's connections: ctest runs them alone (RUN_SERIAL, label
// resilience).
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <atomic>
#include <functional>
#include <iostream>
#include <thread>

#include "analytics/v1/admin.grpc.pb.h"
#include "analytics/v1/ingest.grpc.pb.h"
#include "analytics/v1/query.grpc.pb.h"
#include "common/time/pg_time.h"
#include "google/protobuf/util/time_util.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/support/health.h"
#include "tests/support/postgres_server.h"
#include "tests/support/scenario.h"
#include "tests/support/service_process.h"
#include "tests/support/stack.h"
#include "tests/support/test_database.h"

namespace analytics::testing {
namespace {

using google::protobuf::util::TimeUtil;

constexpr absl::Duration kSessionTimeout = absl::Minutes(30);
// Longer than the services' statement timeout (--db_statement_timeout=2s),
// so statements caught by a freeze time out once the server runs again.
constexpr absl::Duration kFreeze = absl::Milliseconds(2500);
// The reducer's fallback poll. Far longer than the test waits for the last
// events, so only a working LISTEN connection wakes the reducer in time.
constexpr char kPollInterval[] = "--poll_interval=60s";

// What a client may retry: the outcome is either "nothing happened" or
// unknown. Anything else during an outage would make a client drop events.
bool Retryable(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return true;
    default:
      return false;
  }
}

// Failures after which the events may or may not have been stored.
bool OutcomeUnknown(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNKNOWN ||
         code == grpc::StatusCode::DEADLINE_EXCEEDED;
}

class DatabaseOutageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TestDatabase>> db = TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    absl::StatusOr<std::unique_ptr<PostgresServer>> server =
        PostgresServer::Locate(*db_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);

    ingest_port_ = FreePort();
    ASSERT_NO_FATAL_FAILURE(
        Start(ANALYTICS_INGEST_BIN, ingest_port_, {}, &ingest_process_));
    reducer_port_ = FreePort();
    ASSERT_NO_FATAL_FAILURE(Start(ANALYTICS_REDUCER_BIN, reducer_port_,
                                  {"--batch_size=200", kPollInterval},
                                  &reducer_process_));
    auto ingest_channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", ingest_port_),
                            grpc::InsecureChannelCredentials());
    admin_ = v1::AdminService::NewStub(ingest_channel);
    ingest_ = v1::IngestService::NewStub(ingest_channel);
    query_ = v1::QueryService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", reducer_port_),
                            grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    // Whatever happened, never leave the shared server frozen.
    if (server_ != nullptr) (void)server_->Thaw();
  }

  void Start(const std::string& binary, int port,
             std::vector<std::string> extra_args,
             std::unique_ptr<ServiceProcess>* out) {
    std::vector<std::string> args = {"--database_url=" + db_->url(),
                                     "--migrate",
                                     "--db_pool_size=4",
                                     "--db_statement_timeout=2s",
                                     "--log_level=info",
                                     "--health_check_interval=200ms",
                                     absl::StrCat("--listen=127.0.0.1:", port)};
    // Later flags win, so extra_args may override the defaults above.
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    auto process = ServiceProcess::Spawn(
        binary, args, {absl::StrCat("ANALYTICS_ADMIN_TOKEN=", kAdminToken)});
    ASSERT_TRUE(process.ok()) << process.status();
    *out = std::move(*process);
    absl::Status ready = (*out)->WaitForPort(port, absl::Seconds(30));
    ASSERT_TRUE(ready.ok()) << ready;
  }

  std::string Logs() {
    return absl::StrCat("--- reducer-service:\n", reducer_process_->LogTail(),
                        "\n--- ingest-service:\n", ingest_process_->LogTail(),
                        "\n--- server log: ", server_->log_file());
  }

  int64_t Queued() { return db_->QueryInt("SELECT count(*) FROM event_queue"); }

  // What health said while the database was down.
  struct OutageHealth {
    // Whether the service's own name was NOT_SERVING at least once.
    bool ingest_not_serving = false;
    bool reducer_not_serving = false;
    int samples = 0;
  };

  // Reads health every 50 ms until `done()`. The services' names may turn
  // NOT_SERVING (recorded in `seen`); the overall status ("", what the
  // probes ask) must stay SERVING throughout: a database outage must not
  // empty the Service.
  void SampleHealth(const std::function<bool()>& done, OutageHealth* seen) {
    using Status = grpc::health::v1::HealthCheckResponse;
    while (!done()) {
      seen->ingest_not_serving |=
          Health(ingest_port_, "analytics.v1.IngestService") ==
          Status::NOT_SERVING;
      seen->reducer_not_serving |=
          Health(reducer_port_, "analytics.reducer") == Status::NOT_SERVING;
      EXPECT_EQ(Health(ingest_port_, ""), Status::SERVING);
      EXPECT_EQ(Health(reducer_port_, ""), Status::SERVING);
      ++seen->samples;
      absl::SleepFor(absl::Milliseconds(50));
    }
  }

  // Both names SERVING again within 10 s of the database answering, without
  // a restart of either service (and "" still SERVING).
  void ExpectServingAgain() {
    ExpectServing(ingest_port_, "analytics.v1.IngestService");
    ExpectServing(reducer_port_, "analytics.reducer");
    ExpectServing(reducer_port_, v1::QueryService::service_full_name());
  }

  // Sends `request` until it succeeds (same events, same ids every time) and
  // checks that the acknowledgement accounts for each event exactly once.
  // Counts the failed attempts in `failures`.
  void IngestUntilAcknowledged(const std::string& write_key,
                               const v1::IngestRequest& request,
                               int* failures) {
    const absl::Time deadline = absl::Now() + absl::Seconds(90);
    bool outcome_unknown = false;
    while (true) {
      v1::IngestResponse response;
      auto context = AuthorizedContext(write_key);
      grpc::Status status = ingest_->Ingest(context.get(), request, &response);
      if (status.ok()) {
        EXPECT_EQ(response.rejected_size(), 0);
        EXPECT_EQ(response.accepted() + response.duplicates(),
                  request.events_size());
        // Duplicates only when an earlier attempt may have been stored.
        if (!outcome_unknown) {
          EXPECT_EQ(response.duplicates(), 0);
        }
        return;
      }
      ++*failures;
      ASSERT_TRUE(Retryable(status.error_code()))
          << "Ingest failed with non-retryable code " << status.error_code()
          << " during the outage: " << status.error_message() << "\n"
          << Logs();
      outcome_unknown |= OutcomeUnknown(status.error_code());
      ASSERT_LT(absl::Now(), deadline)
          << "Ingest still fails: " << status.error_message() << "\n"
          << Logs();
      absl::SleepFor(absl::Milliseconds(100));
    }
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

  // Polls GetOverview until nothing of the site is pending, tolerating
  // errors while the services reconnect; also samples GetBacklog, whose
  // retrying and dead counts must stay 0 (`charged` gets the largest sum).
  absl::StatusOr<v1::Overview> WaitUntilReduced(const std::string& read_key,
                                                int64_t site_id,
                                                absl::Time from, absl::Time to,
                                                absl::Duration timeout,
                                                int64_t* charged) {
    const absl::Time deadline = absl::Now() + timeout;
    std::string last;
    while (absl::Now() < deadline) {
      v1::GetBacklogRequest backlog_request;
      backlog_request.set_site_id(site_id);
      v1::GetBacklogResponse backlog;
      auto admin_context = AuthorizedContext(kAdminToken);
      if (admin_->GetBacklog(admin_context.get(), backlog_request, &backlog)
              .ok()) {
        for (const v1::Backlog& b : backlog.sites()) {
          *charged = std::max(*charged, b.retrying() + b.dead());
        }
      }
      v1::Overview overview;
      auto context = AuthorizedContext(read_key);
      grpc::Status status = query_->GetOverview(
          context.get(), OverviewRequest(site_id, from, to), &overview);
      if (status.ok() && overview.pending_events() == 0) return overview;
      last = status.ok()
                 ? absl::StrCat(overview.pending_events(), " events pending")
                 : status.error_message();
      absl::SleepFor(absl::Milliseconds(50));
    }
    return absl::DeadlineExceededError(
        absl::StrCat("not reduced in time (", last, ")\n", Logs()));
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<PostgresServer> server_;
  int ingest_port_ = 0;
  int reducer_port_ = 0;
  std::unique_ptr<ServiceProcess> ingest_process_;
  std::unique_ptr<ServiceProcess> reducer_process_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
  std::unique_ptr<v1::IngestService::Stub> ingest_;
  std::unique_ptr<v1::QueryService::Stub> query_;
};

TEST_F(DatabaseOutageTest, ReducerSurvivesFrozenAndRestartedServer) {
  v1::CreateSiteResponse site = CreateSite("outage");
  const int64_t site_id = site.site().site_id();
  const pid_t reducer_pid = reducer_process_->pid();

  const absl::Time start = FloorHour(absl::Now()) - absl::Hours(40);
  const absl::Duration span = absl::Hours(36);
  std::vector<ScenarioEvent> events =
      RandomTraffic(start, span, 2900, kSessionTimeout, /*seed=*/23);
  ASSERT_GT(events.size(), 20000u);
  ASSERT_LT(events.size(), 32000u);
  const std::vector<v1::IngestRequest> requests = ToRequests(events, 500);
  // One request goes in during each freeze, the last ones while the server
  // restarts.
  const size_t kFreezes = 3;
  const size_t kDuringRestart = 8;
  ASSERT_GT(requests.size(), 3 * (kFreezes + kDuringRestart));
  const size_t before_outage = requests.size() - kFreezes - kDuringRestart;
  size_t next = 0;

  // 1. Most of the traffic, as fast as ingest takes it, while the reducer
  // works through it in batches of 200.
  const absl::Time ingest_started = absl::Now();
  int failures = 0;
  for (; next < before_outage; ++next) {
    ASSERT_NO_FATAL_FAILURE(
        IngestUntilAcknowledged(site.write_key(), requests[next], &failures));
  }
  EXPECT_EQ(failures, 0) << "the server was healthy";
  const absl::Duration ingest_time = absl::Now() - ingest_started;

  // 2. Freeze the whole server mid-backlog, several times, each time longer
  // than the services' statement timeout, with an Ingest waiting on it. Each
  // time the reducer must get going again by itself: a statement or COMMIT
  // cancelled by the timeout must not leave it stuck.
  const int64_t queued_at_freeze = Queued();
  int frozen_processes = 0;
  int freeze_failures = 0;
  OutageHealth frozen_health;
  for (size_t round = 0; round < kFreezes; ++round, ++next) {
    const int64_t queued = Queued();
    ASSERT_GT(queued, 0) << "the reducer was done before freeze " << round
                         << "; the test would prove nothing";
    absl::StatusOr<int> frozen = server_->Freeze();
    ASSERT_TRUE(frozen.ok()) << frozen.status();
    frozen_processes = std::max(frozen_processes, *frozen);
    std::thread client([&] {
      IngestUntilAcknowledged(site.write_key(), requests[next],
                              &freeze_failures);
    });
    // Meanwhile health says so under the services' names, never overall.
    const absl::Time thaw_at = absl::Now() + kFreeze;
    SampleHealth([&] { return absl::Now() >= thaw_at; }, &frozen_health);
    EXPECT_TRUE(reducer_process_->running()) << Logs();
    EXPECT_TRUE(ingest_process_->running()) << Logs();
    const absl::Status thawed = server_->Thaw();
    client.join();
    ASSERT_TRUE(thawed.ok()) << thawed;
    ASSERT_FALSE(HasFatalFailure());
    // Progress: the queue shrinks again.
    const int64_t after = Queued();
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (after > 0 && Queued() >= after) {
      ASSERT_LT(absl::Now(), deadline)
          << "the reducer is stuck after freeze " << round << "\n"
          << Logs();
      absl::SleepFor(absl::Milliseconds(20));
    }
  }

  EXPECT_TRUE(frozen_health.ingest_not_serving)
      << "ingest health missed the outage";
  EXPECT_TRUE(frozen_health.reducer_not_serving)
      << "reducer health missed the outage";
  ExpectServingAgain();

  // 3. Restart the server with an immediate shutdown (no checkpoint, crash
  // recovery at start) while work remains, and keep ingesting meanwhile.
  const int64_t queued_at_restart = Queued();
  ASSERT_GT(queued_at_restart, 0) << "the reducer was done before the "
                                     "restart; the test would prove nothing";
  absl::StatusOr<pid_t> old_postmaster = server_->PostmasterPid();
  ASSERT_TRUE(old_postmaster.ok()) << old_postmaster.status();
  absl::Status restarted;
  std::atomic<bool> restart_done{false};
  const int64_t started_before = db_->QueryInt(
      "SELECT (extract(epoch FROM pg_postmaster_start_time()) * 1000000)"
      "::bigint");
  const absl::Time restart_started = absl::Now();
  absl::Time restart_finished;
  // Health is read all through the restart, as during the freezes.
  OutageHealth restart_health;
  std::thread health_reader([&] {
    SampleHealth([&] { return restart_done.load(); }, &restart_health);
  });
  std::thread restarter([&] {
    restarted = server_->Restart("immediate", absl::Seconds(60));
    restart_finished = absl::Now();
    restart_done = true;
  });
  // Start sending once the old server is gone, so the first attempts meet
  // the outage rather than the healthy server.
  while (PostgresServer::IsRunning(*old_postmaster) && !restart_done &&
         absl::Now() - restart_started < absl::Seconds(30)) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  const absl::Time old_server_gone = absl::Now();
  const bool met_outage = !restart_done;
  int outage_failures = 0;
  for (; next < requests.size(); ++next) {
    IngestUntilAcknowledged(site.write_key(), requests[next], &outage_failures);
    if (HasFatalFailure()) break;
  }
  restarter.join();
  health_reader.join();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(restarted.ok()) << restarted;
  const absl::Duration restart_time = restart_finished - restart_started;
  // The database was down from the old postmaster's exit until the new one
  // accepted connections (crash recovery included). A check fails every
  // 200 ms while it is down (--health_check_interval), so the names turn
  // NOT_SERVING within about half a second (the check's own retries
  // included); an outage of 2 s or more cannot slip past the samples.
  const absl::Duration down = restart_finished - old_server_gone;
  std::cout << "[ outage   ] database down " << down << " in the restart; "
            << restart_health.samples << " health samples; ingest was "
            << (restart_health.ingest_not_serving ? "" : "never ")
            << "NOT_SERVING, the reducer "
            << (restart_health.reducer_not_serving ? "" : "never ")
            << "NOT_SERVING" << std::endl;
  if (met_outage && down >= absl::Seconds(2)) {
    EXPECT_TRUE(restart_health.ingest_not_serving)
        << "ingest health missed a " << down << " outage";
    EXPECT_TRUE(restart_health.reducer_not_serving)
        << "reducer health missed a " << down << " outage";
  }
  ExpectServingAgain();
  // The outage was real: a new postmaster runs. Whether a client saw a
  // (retryable) error depends on whether the restart outlasted ingest's own
  // transaction retries; both are correct, so only the restart is asserted.
  EXPECT_GT(db_->QueryInt("SELECT (extract(epoch FROM"
                          " pg_postmaster_start_time()) * 1000000)::bigint"),
            started_before);
  // Nothing was charged to any event by the freeze or the crash.
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM event_queue"
                          " WHERE attempts > 0 OR state <> 'pending'"),
            0);

  // 4. The same reducer process finishes the backlog.
  ASSERT_TRUE(reducer_process_->running()) << Logs();
  ASSERT_EQ(reducer_process_->pid(), reducer_pid);
  const absl::Time recovery_started = absl::Now();
  int64_t charged = 0;
  absl::StatusOr<v1::Overview> all =
      WaitUntilReduced(site.read_key(), site_id, start, start + span,
                       absl::Seconds(120), &charged);
  ASSERT_TRUE(all.ok()) << all.status();
  const absl::Duration recovery_time = absl::Now() - recovery_started;
  // The reducer listens again on exactly one connection, and every other
  // session of the services is a fresh pooled connection with its settings
  // (application name, statement timeout): none was silently reconnected by
  // libpq without them. Polled, since the test's own closed sessions take a
  // moment to leave pg_stat_activity.
  int64_t listeners = 0;
  int64_t unnamed = 0;
  for (const absl::Time until = absl::Now() + absl::Seconds(10);;) {
    pqxx::result sessions = db_->Query(
        "SELECT count(*) FILTER (WHERE query LIKE 'LISTEN%'),"
        "       count(*) FILTER (WHERE application_name = ''"
        "                        AND query NOT LIKE 'LISTEN%')"
        " FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        "   AND backend_type = 'client backend'");
    listeners = sessions[0][0].as<int64_t>();
    unnamed = sessions[0][1].as<int64_t>();
    if ((listeners == 1 && unnamed == 0) || absl::Now() > until) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(listeners, 1) << Logs();
  EXPECT_EQ(unnamed, 0);

  // 5. LISTEN works again: new events are reduced long before the 60 s
  // fallback poll would find them.
  std::vector<ScenarioEvent> late = RandomTraffic(
      start + absl::Hours(10), absl::Hours(2), 3, kSessionTimeout, 99);
  for (ScenarioEvent& e : late) e.event_id = "late-" + e.event_id;
  ASSERT_FALSE(late.empty());
  const absl::Time late_sent = absl::Now();
  for (const v1::IngestRequest& request : ToRequests(late, 500)) {
    ASSERT_NO_FATAL_FAILURE(
        IngestUntilAcknowledged(site.write_key(), request, &failures));
  }
  events.insert(events.end(), late.begin(), late.end());
  all = WaitUntilReduced(site.read_key(), site_id, start, start + span,
                         absl::Seconds(15), &charged);
  ASSERT_TRUE(all.ok()) << "new events were not reduced promptly after the "
                           "restart: is the reducer LISTENing again?\n"
                        << all.status();
  const absl::Duration notify_latency = absl::Now() - late_sent;

  // 6. Exact totals: every acknowledged event exactly once.
  const int64_t total = static_cast<int64_t>(events.size());
  EXPECT_EQ(
      db_->QueryInt("SELECT count(*) FROM events WHERE site_id = $1", site_id),
      total);
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM event_queue"), 0);
  EXPECT_EQ(charged, 0) << "infrastructure failures were charged to events";
  const ExpectedOverview expected =
      Recount(events, start, start + span, kSessionTimeout);
  ASSERT_EQ(expected.events, total);
  ExpectOverviewMatches(expected, *all);
  EXPECT_EQ(db_->QueryInt("SELECT coalesce(sum(events), 0) FROM rollups"
                          " WHERE site_id = $1 AND granularity = 0"
                          " AND dimension = 0",
                          site_id),
            total);
  // A few ranges with edges inside hours.
  for (int h = 0; h < 36; h += 11) {
    const absl::Time from = start + absl::Hours(h) + absl::Milliseconds(777);
    const absl::Time to = from + absl::Hours(6) + absl::Microseconds(4321);
    v1::Overview part;
    auto context = AuthorizedContext(site.read_key());
    ASSERT_TRUE(query_
                    ->GetOverview(context.get(),
                                  OverviewRequest(site_id, from, to), &part)
                    .ok());
    ExpectOverviewMatches(Recount(events, from, to, kSessionTimeout), part);
  }

  v1::RollupCheckRequest check;
  check.set_site_id(site_id);
  *check.mutable_from() =
      TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(start));
  *check.mutable_to() =
      TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(start + span));
  v1::RollupCheckResponse verified;
  auto verify_context = AuthorizedContext(kAdminToken);
  grpc::Status verify =
      admin_->VerifyRollups(verify_context.get(), check, &verified);
  ASSERT_TRUE(verify.ok()) << verify.error_message();
  EXPECT_GT(verified.rows_checked(), 0);
  EXPECT_EQ(verified.rows_different(), 0) << verified.DebugString();

  v1::GetBacklogRequest backlog_request;
  backlog_request.set_site_id(site_id);
  v1::GetBacklogResponse backlog;
  auto backlog_context = AuthorizedContext(kAdminToken);
  ASSERT_TRUE(
      admin_->GetBacklog(backlog_context.get(), backlog_request, &backlog)
          .ok());
  for (const v1::Backlog& b : backlog.sites()) {
    EXPECT_EQ(b.pending(), 0);
    EXPECT_EQ(b.retrying(), 0);
    EXPECT_EQ(b.dead(), 0);
  }

  // 7. Both still shut down cleanly and promptly. Our channels go first:
  // a server's shutdown waits (up to --shutdown_grace) for its client
  // connections to close, and an idle channel of this test would hold it.
  admin_.reset();
  ingest_.reset();
  query_.reset();
  const absl::Time stop_started = absl::Now();
  ingest_process_->Signal(SIGTERM);
  reducer_process_->Signal(SIGTERM);
  absl::StatusOr<int> ingest_exit = ingest_process_->Wait(absl::Seconds(15));
  absl::StatusOr<int> reducer_exit = reducer_process_->Wait(absl::Seconds(15));
  const absl::Duration stop_time = absl::Now() - stop_started;
  ASSERT_TRUE(ingest_exit.ok()) << ingest_exit.status();
  ASSERT_TRUE(reducer_exit.ok()) << reducer_exit.status();
  EXPECT_EQ(*ingest_exit, 0) << Logs();
  EXPECT_EQ(*reducer_exit, 0) << Logs();

  std::cout << "[ outage   ] " << total << " events; first " << before_outage
            << " requests in " << absl::FormatDuration(ingest_time)
            << "; froze " << frozen_processes << " server processes "
            << kFreezes << " times for " << absl::FormatDuration(kFreeze)
            << " (" << freeze_failures << " Ingest attempts failed) from "
            << queued_at_freeze << " queued; restart with " << queued_at_restart
            << " queued took " << absl::FormatDuration(restart_time) << ", "
            << outage_failures << " Ingest attempts failed meanwhile"
            << (met_outage ? "" : " (restart finished before the first)")
            << "; backlog reduced " << absl::FormatDuration(recovery_time)
            << " after the last Ingest; late events reduced in "
            << absl::FormatDuration(notify_latency) << "; both stopped in "
            << absl::FormatDuration(stop_time) << std::endl;
}

}  // namespace
}  // namespace analytics::testing
