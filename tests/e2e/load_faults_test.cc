// Faults under load, end to end: both binaries as child processes on a fresh
// database, clients on loopback gRPC only (issue 7 §2). ingest-service is
// SIGKILLed at random instants while client threads send; clients cancel
// Ingest and query calls or let them time out while they run; query
// deadlines are shorter than the work (the statement must stop in
// PostgreSQL too, also when the wait for a pooled connection used up part
// of the deadline, and the wait itself must stop when it used up all); a
// connection pool of one is held busy under a burst of calls; and hostile
// requests arrive (500 malformed events in one batch, a message over the
// transport limit). After each fault: every acknowledged event is stored and
// counted exactly once, resending with the same event ids counts nothing twice,
// and the processes that were not killed keep serving (same pid) and report
// SERVING. Randomness is only in timing, from fixed seeds.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <functional>
#include <iostream>
#include <memory>
#include <pqxx/pqxx>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/time/pg_time.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/support/deployment.h"
#include "tests/support/health.h"
#include "tests/support/scenario.h"
#include "tests/support/stack.h"

namespace analytics::testing {
namespace {

using google::protobuf::util::MessageDifferencer;
using google::protobuf::util::TimeUtil;

constexpr absl::Duration kSessionTimeout = absl::Minutes(30);

// A channel with a connection of its own (so the server sees concurrent
// connections) that reconnects within 100-500 ms once the server is back,
// instead of gRPC's default backoff that grows to minutes.
std::shared_ptr<grpc::Channel> OwnChannel(int port) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials(), args);
}

// `authorization: Bearer <token>` and a deadline `timeout` from now.
std::unique_ptr<grpc::ClientContext> ContextWithin(const std::string& token,
                                                   absl::Duration timeout) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return context;
}

google::protobuf::Timestamp Proto(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

// The codes after which a client does not know whether its batch was
// stored, or knows it was not: it resends the same event ids.
bool OutcomeUnseen(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::ABORTED:
      return true;
    default:
      return false;
  }
}

// A transaction of the test's own holding a table lock, so that the
// services' statements on that table wait (in PostgreSQL, holding their
// pooled connection) until Release().
class TableLock {
 public:
  // `lock` is the whole LOCK TABLE statement.
  TableLock(const std::string& url, const char* lock)
      : connection_(url), tx_(std::make_unique<pqxx::work>(connection_)) {
    tx_->exec(lock);
  }
  ~TableLock() { Release(); }
  void Release() {
    if (tx_ != nullptr) {
      tx_->abort();
      tx_.reset();
    }
  }

 private:
  pqxx::connection connection_;
  std::unique_ptr<pqxx::work> tx_;
};

class LoadFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TestDatabase>> db = TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    deployment_ = std::make_unique<Deployment>(
        db_.get(), BinaryPaths{ANALYTICS_INGEST_BIN, ANALYTICS_REDUCER_BIN});
  }

  // Starts ingest and the query-only reducer with `extra_args` and creates
  // the site.
  void StartServices(std::vector<std::string> extra_args = {}) {
    deployment_->set_extra_args(std::move(extra_args));
    absl::Status started = deployment_->Start();
    ASSERT_TRUE(started.ok()) << started;
    absl::StatusOr<v1::CreateSiteResponse> site =
        deployment_->CreateSite("load-faults");
    ASSERT_TRUE(site.ok()) << site.status();
    site_ = *site;
    ingest_ =
        v1::IngestService::NewStub(OwnChannel(deployment_->ingest_port()));
    query_ = v1::QueryService::NewStub(OwnChannel(deployment_->query_port()));
  }

  int64_t site_id() const { return site_.site().site_id(); }

  int64_t StoredEvents() {
    return db_->QueryInt("SELECT count(*) FROM events WHERE site_id = $1",
                         site_id());
  }
  int64_t DistinctStoredIds() {
    return db_->QueryInt(
        "SELECT count(DISTINCT client_event_id) FROM events WHERE site_id = $1",
        site_id());
  }
  int64_t StoredWithPrefix(const std::string& prefix) {
    return db_->QueryInt(
        "SELECT count(*) FROM events WHERE site_id = $1 AND "
        "starts_with(client_event_id, $2)",
        site_id(), prefix);
  }
  // Backends of `application` (pg_stat_activity.application_name) in this
  // test's database that wait for a lock, or that run a statement.
  int64_t LockWaiters(const std::string& application) {
    return db_->QueryInt(
        "SELECT count(DISTINCT a.pid) FROM pg_locks l JOIN pg_stat_activity a "
        "USING (pid) WHERE NOT l.granted AND a.datname = $1 AND "
        "a.application_name = $2",
        db_->name(), application);
  }
  int64_t ActiveStatements(const std::string& application) {
    return db_->QueryInt(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND "
        "application_name = $2 AND state = 'active'",
        db_->name(), application);
  }
  // Polls until `condition` holds; false after `timeout`.
  template <typename Condition>
  static bool WaitFor(Condition condition, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (!condition()) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return true;
  }

  // One Ingest with a deadline `timeout` away.
  grpc::Status Ingest(const v1::IngestRequest& request,
                      v1::IngestResponse* response,
                      absl::Duration timeout = absl::Seconds(30)) {
    auto context = ContextWithin(site_.write_key(), timeout);
    return ingest_->Ingest(context.get(), request, response);
  }

  // `count` pageviews with ids "<prefix><i>", at whole seconds from `at`.
  static v1::IngestRequest Pageviews(const std::string& prefix, int count,
                                     absl::Time at) {
    v1::IngestRequest request;
    for (int i = 0; i < count; ++i) {
      ScenarioEvent e;
      e.event_id = absl::StrCat(prefix, i);
      e.at = at + absl::Seconds(i);
      e.visitor_id = absl::StrCat("v-", prefix);
      e.session_id = absl::StrCat("s-", prefix);
      e.path = "/load";
      *request.add_events() = ToProto(e);
    }
    return request;
  }

  // After a fault: the processes that were not killed, ingest and the
  // query-only reducer, report SERVING overall and under their names.
  void ExpectIngestAndQueryServing() {
    ExpectServing(deployment_->ingest_port(),
                  v1::IngestService::service_full_name());
    ExpectServing(deployment_->query_port(),
                  v1::QueryService::service_full_name());
  }

  // What the query process's access lines (--log_level=debug) say about
  // each call of QueryService.`method`, in order: its code and how long the
  // server took, as the server itself saw it.
  struct Access {
    std::string code;
    double ms = 0;
  };
  std::vector<Access> QueryAccess(const std::string& method) {
    const std::string key =
        absl::StrCat("rpc /analytics.v1.QueryService/", method, " ");
    std::vector<Access> calls;
    for (absl::string_view line : absl::StrSplit(
             deployment_->query_process().LogTail(std::string::npos), '\n')) {
      const size_t at = line.find(key);
      if (at == absl::string_view::npos) continue;
      // "<code> <ms> ms"
      const std::vector<absl::string_view> words =
          absl::StrSplit(line.substr(at + key.size()), ' ');
      Access& call = calls.emplace_back();
      call.code = std::string(words[0]);
      if (words.size() < 2 || !absl::SimpleAtod(words[1], &call.ms)) {
        ADD_FAILURE() << "unreadable access line: " << line;
      }
    }
    return calls;
  }

  std::string Logs() {
    return absl::StrCat(
        "--- ingest:\n", deployment_->ingest_process().LogTail(3000),
        "\n--- query:\n", deployment_->query_process().LogTail(3000));
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<Deployment> deployment_;
  v1::CreateSiteResponse site_;
  std::unique_ptr<v1::IngestService::Stub> ingest_;
  std::unique_ptr<v1::QueryService::Stub> query_;
};

// 4 clients send RandomTraffic in batches of 100 as fast as they can; a
// supervisor SIGKILLs ingest-service 5 times at random instants (200-1000 ms
// apart) and starts it again on the same port. A batch whose outcome a
// client did not see is resent with the same event ids until acknowledged.
// A reducer replica reduces all the while.
TEST_F(LoadFaultsTest, IngestSigkilledAtRandomUnderLoadStoresEveryEventOnce) {
  ASSERT_NO_FATAL_FAILURE(StartServices());
  constexpr int kClients = 4;
  constexpr int kBatch = 100;
  constexpr int kKills = 5;
  absl::StatusOr<int> reducer = deployment_->StartReducer(
      {"--batch_size=500", "--poll_interval=200ms", "--serve_queries=false"});
  ASSERT_TRUE(reducer.ok()) << reducer.status();
  const pid_t reducer_pid = deployment_->reducer(*reducer).pid();
  const pid_t query_pid = deployment_->query_process().pid();

  const absl::Time start = FloorHour(absl::Now()) - absl::Hours(26);
  const absl::Duration span = absl::Hours(24);
  std::vector<ScenarioEvent> events =
      RandomTraffic(start, span, 3000, kSessionTimeout, /*seed=*/41);
  std::mt19937 shuffle(43);
  std::shuffle(events.begin(), events.end(), shuffle);
  const std::vector<v1::IngestRequest> requests = ToRequests(events, kBatch);

  // What happened to each batch; written only by the client that sent it.
  struct Outcome {
    std::vector<grpc::Status> failures;
    bool acknowledged = false;
    v1::IngestResponse response;
  };
  std::vector<Outcome> outcomes(requests.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> abandon{false};
  const absl::Time load_started = absl::Now();
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&] {
      auto stub =
          v1::IngestService::NewStub(OwnChannel(deployment_->ingest_port()));
      while (!abandon) {
        const size_t i = next++;
        if (i >= requests.size()) break;
        Outcome& outcome = outcomes[i];
        const absl::Time give_up = absl::Now() + absl::Seconds(60);
        while (!abandon && absl::Now() < give_up) {
          auto context = ContextWithin(site_.write_key(), absl::Seconds(5));
          grpc::Status status =
              stub->Ingest(context.get(), requests[i], &outcome.response);
          if (status.ok()) {
            outcome.acknowledged = true;
            break;
          }
          outcome.failures.push_back(status);
          outcome.response.Clear();
          absl::SleepFor(absl::Milliseconds(20));
        }
      }
    });
  }

  // The supervisor.
  std::mt19937 rng(7);
  int kills_under_load = 0;
  std::vector<absl::Duration> restart_times;
  for (int k = 0; k < kKills; ++k) {
    const int pause_ms = std::uniform_int_distribution<int>(200, 1000)(rng);
    absl::SleepFor(absl::Milliseconds(pause_ms));
    if (next < requests.size()) ++kills_under_load;
    ServiceProcess& victim = deployment_->ingest_process();
    victim.Signal(SIGKILL);
    absl::StatusOr<int> exit = victim.Wait(absl::Seconds(10));
    EXPECT_TRUE(exit.ok()) << exit.status();
    if (exit.ok()) {
      EXPECT_EQ(*exit, 128 + SIGKILL);
    }
    const absl::Time restarting = absl::Now();
    absl::Status restarted = deployment_->RestartIngest();
    EXPECT_TRUE(restarted.ok()) << restarted;
    if (!restarted.ok()) {
      abandon = true;
      break;
    }
    restart_times.push_back(absl::Now() - restarting);
  }
  for (auto& t : clients) t.join();
  const absl::Duration load_took = absl::Now() - load_started;
  std::cerr << requests.size() << " batches (" << events.size()
            << " events) in " << load_took << "; restarts took";
  for (absl::Duration d : restart_times) std::cerr << " " << d;
  std::cerr << "\n";
  ASSERT_FALSE(abandon) << Logs();
  EXPECT_EQ(kills_under_load, kKills)
      << "the load ended before the supervisor was done; the test proved "
         "less";

  // Every batch acknowledged, in full, once: a resend whose first attempt
  // was stored before the kill is all duplicates, any other all accepted.
  int failed_attempts = 0, stored_by_lost_attempt = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    const Outcome& o = outcomes[i];
    const int size = requests[i].events_size();
    ASSERT_TRUE(o.acknowledged)
        << "batch " << i << " never acknowledged; last error: "
        << (o.failures.empty() ? "" : o.failures.back().error_message()) << "\n"
        << Logs();
    for (const grpc::Status& f : o.failures) {
      EXPECT_TRUE(OutcomeUnseen(f.error_code()))
          << "batch " << i << ": code " << f.error_code() << " "
          << f.error_message();
    }
    failed_attempts += static_cast<int>(o.failures.size());
    EXPECT_EQ(o.response.rejected_size(), 0) << "batch " << i;
    EXPECT_EQ(o.response.accepted() + o.response.duplicates(), size)
        << "batch " << i;
    EXPECT_TRUE(o.response.duplicates() == 0 || o.response.accepted() == 0)
        << "batch " << i << " partly stored: " << o.response.accepted()
        << " accepted, " << o.response.duplicates() << " duplicates";
    if (o.response.duplicates() > 0) {
      EXPECT_FALSE(o.failures.empty())
          << "batch " << i << " had duplicates on its first attempt";
      ++stored_by_lost_attempt;
    }
  }
  std::cerr << failed_attempts << " failed attempts; " << stored_by_lost_attempt
            << " batches were stored by an attempt whose answer was lost\n";
  EXPECT_GT(failed_attempts, 0);
  const int64_t sent = static_cast<int64_t>(events.size());
  EXPECT_EQ(StoredEvents(), sent);
  EXPECT_EQ(DistinctStoredIds(), sent);

  // Once more, everything, with the same ids: nothing is new.
  int64_t resent_accepted = 0, resent_duplicates = 0;
  for (const v1::IngestRequest& request : requests) {
    v1::IngestResponse response;
    grpc::Status status = Ingest(request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    resent_accepted += response.accepted();
    resent_duplicates += response.duplicates();
  }
  EXPECT_EQ(resent_accepted, 0);
  EXPECT_EQ(resent_duplicates, sent);
  EXPECT_EQ(StoredEvents(), sent);

  // The reducer, never restarted, reduces exactly what was sent.
  absl::StatusOr<v1::Overview> overview = deployment_->WaitUntilReduced(
      site_.read_key(), site_id(), start, start + span, absl::Seconds(120));
  ASSERT_TRUE(overview.ok()) << overview.status();
  EXPECT_EQ(overview->events(), sent);
  ExpectOverviewMatches(Recount(events, start, start + span, kSessionTimeout),
                        *overview);
  absl::StatusOr<v1::RollupCheckResponse> check =
      deployment_->VerifyRollups(site_id(), start, start + span);
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_GT(check->rows_checked(), 0);
  EXPECT_EQ(check->rows_different(), 0);
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM event_queue"), 0);
  EXPECT_TRUE(deployment_->reducer(*reducer).running());
  EXPECT_EQ(deployment_->reducer(*reducer).pid(), reducer_pid);
  EXPECT_TRUE(deployment_->query_process().running());
  EXPECT_EQ(deployment_->query_process().pid(), query_pid);
  // Health agrees: the ingest started last, the query-only reducer and the
  // reduce-only replica (its only name is analytics.reducer).
  ExpectIngestAndQueryServing();
  ExpectServing(deployment_->reducer_port(*reducer), "analytics.reducer");
}

// Clients that go away in the middle of a call: Ingest and GetOverview calls
// cancelled from another thread after a random 0-20 ms, or sent with a
// deadline of 1-5 ms; then one Ingest cancelled, and one timed out, while
// its statement waits in PostgreSQL (a lock the test holds), and a
// GetOverview cancelled the same way. Every batch is stored all or nothing,
// the resend with the same ids stores exactly the rest, and both processes
// keep serving.
TEST_F(LoadFaultsTest, ClientsThatDisconnectMidRequestLeaveEveryEventOnce) {
  ASSERT_NO_FATAL_FAILURE(StartServices());
  const pid_t ingest_pid = deployment_->ingest_process().pid();
  const pid_t query_pid = deployment_->query_process().pid();
  constexpr int kClients = 4;
  constexpr int kCalls = 30;
  constexpr int kBatch = 20;
  const absl::Time base = FloorHour(absl::Now()) - absl::Hours(4);
  const absl::Time end = base + absl::Hours(4);

  // 1. At random instants. Even calls are cancelled by another thread, odd
  // ones have a deadline of a few milliseconds.
  struct Call {
    std::string prefix;
    v1::IngestRequest request;
    grpc::Status status;
  };
  std::vector<std::vector<Call>> calls(kClients);
  std::atomic<int> ingest_ok{0}, query_ok{0}, query_interrupted{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      std::mt19937 rng(100 + c);
      auto ingest =
          v1::IngestService::NewStub(OwnChannel(deployment_->ingest_port()));
      auto query =
          v1::QueryService::NewStub(OwnChannel(deployment_->query_port()));
      // Runs `rpc` on a context that is cancelled after a random delay
      // (`cancel`) or that has a deadline of 1-5 ms.
      auto interrupted = [&rng](const std::string& token, bool cancel,
                                auto rpc) {
        const int delay_us = std::uniform_int_distribution<int>(0, 20000)(rng);
        const int deadline_ms = std::uniform_int_distribution<int>(1, 5)(rng);
        auto context =
            ContextWithin(token, cancel ? absl::Seconds(30)
                                        : absl::Milliseconds(deadline_ms));
        std::thread canceller;
        if (cancel) {
          canceller = std::thread([&context, delay_us] {
            absl::SleepFor(absl::Microseconds(delay_us));
            context->TryCancel();
          });
        }
        grpc::Status status = rpc(context.get());
        if (canceller.joinable()) canceller.join();
        return status;
      };
      for (int b = 0; b < kCalls; ++b) {
        Call call;
        call.prefix = absl::StrCat("c", c, "-b", b, "-");
        call.request = Pageviews(call.prefix, kBatch,
                                 base + absl::Minutes(c * kCalls + b));
        const bool cancel = b % 2 == 0;
        v1::IngestResponse response;
        call.status = interrupted(
            site_.write_key(), cancel, [&](grpc::ClientContext* context) {
              return ingest->Ingest(context, call.request, &response);
            });
        if (call.status.ok()) {
          ++ingest_ok;
          EXPECT_EQ(response.accepted(), kBatch) << call.prefix;
        } else {
          EXPECT_EQ(call.status.error_code(),
                    cancel ? grpc::StatusCode::CANCELLED
                           : grpc::StatusCode::DEADLINE_EXCEEDED)
              << call.prefix << ": " << call.status.error_message();
        }
        calls[c].push_back(std::move(call));

        v1::Overview overview;
        const grpc::Status read = interrupted(
            site_.read_key(), !cancel, [&](grpc::ClientContext* context) {
              return query->GetOverview(
                  context, OverviewRequest(site_id(), base, end), &overview);
            });
        if (read.ok()) {
          ++query_ok;
        } else {
          ++query_interrupted;
          EXPECT_EQ(read.error_code(),
                    !cancel ? grpc::StatusCode::CANCELLED
                            : grpc::StatusCode::DEADLINE_EXCEEDED)
              << read.error_message();
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  const int total_calls = kClients * kCalls;
  std::cerr << ingest_ok << " of " << total_calls
            << " interrupted Ingest calls completed; " << query_ok << " of "
            << total_calls << " GetOverview calls\n";
  EXPECT_LT(ingest_ok, total_calls) << "no Ingest call was interrupted";
  EXPECT_GT(query_interrupted, 0) << "no GetOverview call was interrupted";

  // Whatever the server still had in hand finishes; then every batch is
  // stored in full or not at all, and each acknowledged one in full.
  ASSERT_TRUE(WaitFor(
      [&] {
        const int64_t before = StoredEvents();
        absl::SleepFor(absl::Milliseconds(500));
        return ActiveStatements("ingest-service") == 0 &&
               StoredEvents() == before;
      },
      absl::Seconds(20)));
  int stored_batches = 0;
  for (const auto& list : calls) {
    for (const Call& call : list) {
      const int64_t stored = StoredWithPrefix(call.prefix);
      EXPECT_TRUE(stored == 0 || stored == kBatch)
          << call.prefix << ": " << stored << " of " << kBatch << " stored";
      if (call.status.ok()) {
        EXPECT_EQ(stored, kBatch) << call.prefix;
      }
      // Resent with the same ids: exactly the rest is stored.
      v1::IngestResponse response;
      grpc::Status status = Ingest(call.request, &response);
      ASSERT_TRUE(status.ok()) << status.error_message();
      EXPECT_EQ(response.duplicates(), stored) << call.prefix;
      EXPECT_EQ(response.accepted(), kBatch - stored) << call.prefix;
      if (stored == kBatch) ++stored_batches;
    }
  }
  std::cerr << stored_batches << " batches were stored before the resend\n";
  EXPECT_EQ(StoredEvents(), total_calls * kBatch);
  EXPECT_EQ(DistinctStoredIds(), total_calls * kBatch);

  // 2. Interrupted while the statement runs: the statement waits for a lock
  // the test holds. The server finishes the write it started, so the
  // batch is stored in full after all, and the resend is all duplicates.
  for (const bool cancel : {true, false}) {
    const std::string prefix = cancel ? "held-cancelled-" : "held-timed-out-";
    const v1::IngestRequest held = Pageviews(
        prefix, kBatch, base + absl::Minutes(total_calls + (cancel ? 0 : 1)));
    auto lock = std::make_unique<TableLock>(
        db_->url(), "LOCK TABLE event_client_ids IN EXCLUSIVE MODE");
    auto context = ContextWithin(site_.write_key(),
                                 cancel ? absl::Seconds(30) : absl::Seconds(1));
    grpc::Status status;
    absl::Time returned;
    std::thread call([&] {
      v1::IngestResponse response;
      status = ingest_->Ingest(context.get(), held, &response);
      returned = absl::Now();
    });
    const bool waiting =
        WaitFor([&] { return LockWaiters("ingest-service") == 1; },
                absl::Milliseconds(900));
    EXPECT_TRUE(waiting) << "the Ingest statement never waited for the lock";
    const absl::Time cancelled_at = absl::Now();
    if (cancel) context->TryCancel();
    call.join();
    EXPECT_EQ(status.error_code(), cancel ? grpc::StatusCode::CANCELLED
                                          : grpc::StatusCode::DEADLINE_EXCEEDED)
        << status.error_message();
    if (cancel) {
      EXPECT_LT(returned - cancelled_at, absl::Milliseconds(500));
    }
    absl::SleepFor(absl::Milliseconds(300));
    EXPECT_EQ(StoredWithPrefix(prefix), 0);
    lock.reset();
    EXPECT_TRUE(WaitFor([&] { return StoredWithPrefix(prefix) == kBatch; },
                        absl::Seconds(10)))
        << prefix << ": the write the server had started was not finished";
    v1::IngestResponse response;
    ASSERT_TRUE(Ingest(held, &response).ok());
    EXPECT_EQ(response.accepted(), 0) << prefix;
    EXPECT_EQ(response.duplicates(), kBatch) << prefix;
  }
  const int64_t total = (total_calls + 2) * kBatch;
  EXPECT_EQ(StoredEvents(), total);
  EXPECT_EQ(DistinctStoredIds(), total);

  // A GetOverview cancelled while its statement waits for a lock.
  {
    auto lock = std::make_unique<TableLock>(
        db_->url(), "LOCK TABLE rollups IN ACCESS EXCLUSIVE MODE");
    auto context = ContextWithin(site_.read_key(), absl::Seconds(30));
    grpc::Status status;
    std::thread call([&] {
      v1::Overview overview;
      status = query_->GetOverview(
          context.get(), OverviewRequest(site_id(), base, end), &overview);
    });
    EXPECT_TRUE(WaitFor([&] { return LockWaiters("reducer-service") == 1; },
                        absl::Seconds(10)))
        << "the GetOverview statement never waited for the lock";
    const absl::Time cancelled_at = absl::Now();
    context->TryCancel();
    call.join();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);
    EXPECT_LT(absl::Now() - cancelled_at, absl::Milliseconds(500));
    // The cancel reaches PostgreSQL too (common/db/cancellation.h).
    EXPECT_TRUE(WaitFor(
        [&] {
          return LockWaiters("reducer-service") == 0 &&
                 ActiveStatements("reducer-service") == 0;
        },
        absl::Seconds(1)))
        << "1 s after the cancel the GetOverview statement still waits";
    lock.reset();
  }

  // Both processes serve on: a normal Ingest and the exact numbers.
  v1::IngestResponse after;
  ASSERT_TRUE(
      Ingest(Pageviews("after-", kBatch, base + absl::Minutes(200)), &after)
          .ok());
  EXPECT_EQ(after.accepted(), kBatch);
  absl::StatusOr<int> reducer = deployment_->StartReducer({});
  ASSERT_TRUE(reducer.ok()) << reducer.status();
  absl::StatusOr<v1::Overview> overview = deployment_->WaitUntilReduced(
      site_.read_key(), site_id(), base, end, absl::Seconds(60));
  ASSERT_TRUE(overview.ok()) << overview.status();
  const int64_t batches = total_calls + 3;
  EXPECT_EQ(overview->events(), batches * kBatch);
  EXPECT_EQ(overview->pageviews(), batches * kBatch);
  EXPECT_EQ(overview->sessions(), batches);
  EXPECT_EQ(overview->visitors(), batches);
  EXPECT_TRUE(deployment_->ingest_process().running());
  EXPECT_EQ(deployment_->ingest_process().pid(), ingest_pid);
  EXPECT_TRUE(deployment_->query_process().running());
  EXPECT_EQ(deployment_->query_process().pid(), query_pid);
  ExpectIngestAndQueryServing();
}

// Query deadlines shorter than the work. Over two weeks of RandomTraffic,
// GetBreakdown and GetTimeseries with deadlines of 1-5 ms end
// DEADLINE_EXCEEDED or with the exact answer; then, with the rollups and
// sessions tables locked by the test, a call with a 1.5 s deadline waits in
// PostgreSQL and its statement stops there at the deadline (the deadline
// became its statement timeout: the pool's own is 30 s) while the lock is
// still held.
TEST_F(LoadFaultsTest, QueryDeadlineShorterThanTheWorkStopsTheStatement) {
  ASSERT_NO_FATAL_FAILURE(StartServices());
  const pid_t query_pid = deployment_->query_process().pid();
  const absl::Time start = FloorHour(absl::Now()) - absl::Hours(24 * 15);
  const absl::Duration span = absl::Hours(24 * 14);
  const std::vector<ScenarioEvent> events =
      RandomTraffic(start, span, 1500, kSessionTimeout, /*seed=*/61);
  ASSERT_TRUE(
      deployment_->IngestAll(site_.write_key(), ToRequests(events, 500)).ok());
  absl::StatusOr<int> reducer = deployment_->StartReducer({});
  ASSERT_TRUE(reducer.ok()) << reducer.status();
  ASSERT_TRUE(deployment_
                  ->WaitUntilReduced(site_.read_key(), site_id(), start,
                                     start + span, absl::Seconds(120))
                  .ok());
  // Only the query process talks to the database from here on.
  deployment_->reducer(*reducer).Signal(SIGTERM);
  ASSERT_TRUE(deployment_->reducer(*reducer).Wait(absl::Seconds(15)).ok());

  v1::GetBreakdownRequest breakdown_request;
  breakdown_request.set_site_id(site_id());
  *breakdown_request.mutable_from() = Proto(start);
  *breakdown_request.mutable_to() = Proto(start + span);
  breakdown_request.set_dimension(v1::DIMENSION_ENTRY_PAGE);
  breakdown_request.set_sort_by(v1::BREAKDOWN_METRIC_SESSIONS);
  breakdown_request.set_limit(1000);
  v1::GetTimeseriesRequest series_request;
  series_request.set_site_id(site_id());
  *series_request.mutable_from() = Proto(start);
  *series_request.mutable_to() = Proto(start + span);
  series_request.set_interval(v1::HOUR);
  series_request.set_time_zone("UTC");
  // Either call with a deadline `timeout` away; the answer without as_of.
  auto breakdown = [&](absl::Duration timeout, v1::Breakdown* out) {
    auto context = ContextWithin(site_.read_key(), timeout);
    grpc::Status status =
        query_->GetBreakdown(context.get(), breakdown_request, out);
    out->clear_as_of();
    return status;
  };
  auto series = [&](absl::Duration timeout, v1::Timeseries* out) {
    auto context = ContextWithin(site_.read_key(), timeout);
    grpc::Status status =
        query_->GetTimeseries(context.get(), series_request, out);
    out->clear_as_of();
    return status;
  };

  // The exact answers, against the oracle.
  v1::Breakdown expected_breakdown;
  const absl::Time asked = absl::Now();
  ASSERT_TRUE(breakdown(absl::Seconds(30), &expected_breakdown).ok());
  const absl::Duration breakdown_took = absl::Now() - asked;
  std::vector<ExpectedBreakdownRow> rows =
      RecountBreakdown(events, start, start + span, v1::DIMENSION_ENTRY_PAGE,
                       v1::BREAKDOWN_METRIC_SESSIONS, kSessionTimeout);
  ASSERT_LE(rows.size(), 1000u);
  ASSERT_EQ(expected_breakdown.rows_size(), static_cast<int>(rows.size()));
  for (size_t i = 0; i < rows.size(); ++i) {
    const v1::BreakdownRow& row = expected_breakdown.rows(static_cast<int>(i));
    EXPECT_EQ(row.key(), rows[i].key);
    EXPECT_EQ(row.events(), rows[i].events) << rows[i].key;
    EXPECT_EQ(row.pageviews(), rows[i].pageviews) << rows[i].key;
    EXPECT_EQ(row.visitors(), rows[i].visitors) << rows[i].key;
    EXPECT_EQ(row.sessions(), rows[i].sessions) << rows[i].key;
  }
  v1::Timeseries expected_series;
  ASSERT_TRUE(series(absl::Seconds(30), &expected_series).ok());
  ASSERT_EQ(expected_series.points_size(), 24 * 14);
  int64_t series_events = 0;
  for (const v1::TimeseriesPoint& point : expected_series.points()) {
    const ExpectedOverview hour = Recount(
        events,
        absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(point.from())),
        absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(point.to())),
        kSessionTimeout);
    EXPECT_EQ(point.metrics().events(), hour.events);
    EXPECT_EQ(point.metrics().sessions(), hour.sessions);
    EXPECT_EQ(point.metrics().visitors(), hour.visitors);
    series_events += point.metrics().events();
  }
  EXPECT_EQ(series_events, static_cast<int64_t>(events.size()));
  std::cerr << events.size() << " events; the breakdown took " << breakdown_took
            << "\n";

  // Deadlines of 1-5 ms: DEADLINE_EXCEEDED or the exact answer, and the
  // same call right after with time to spare is exact.
  int exceeded = 0;
  for (int k = 0; k < 20; ++k) {
    const absl::Duration tight = absl::Milliseconds(1 + k % 5);
    grpc::Status status;
    if (k % 2 == 0) {
      v1::Breakdown got;
      status = breakdown(tight, &got);
      if (status.ok()) {
        EXPECT_TRUE(MessageDifferencer::Equals(got, expected_breakdown));
      }
      v1::Breakdown again;
      const grpc::Status again_status = breakdown(absl::Seconds(30), &again);
      ASSERT_TRUE(again_status.ok())
          << again_status.error_code() << ": " << again_status.error_message();
      EXPECT_TRUE(MessageDifferencer::Equals(again, expected_breakdown));
    } else {
      v1::Timeseries got;
      status = series(tight, &got);
      if (status.ok()) {
        EXPECT_TRUE(MessageDifferencer::Equals(got, expected_series));
      }
      v1::Timeseries again;
      const grpc::Status again_status = series(absl::Seconds(30), &again);
      ASSERT_TRUE(again_status.ok())
          << again_status.error_code() << ": " << again_status.error_message();
      EXPECT_TRUE(MessageDifferencer::Equals(again, expected_series));
    }
    if (!status.ok()) {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
          << status.error_message();
      ++exceeded;
    }
  }
  EXPECT_GT(exceeded, 0) << "every call beat a deadline of 1-5 ms";

  // The statement stops in PostgreSQL at the caller's deadline, although
  // the lock it waits for is still held.
  for (const bool is_breakdown : {true, false}) {
    TableLock lock(db_->url(),
                   "LOCK TABLE rollups, sessions IN ACCESS EXCLUSIVE MODE");
    grpc::Status status;
    absl::Duration took;
    std::thread call([&] {
      const absl::Time sent = absl::Now();
      if (is_breakdown) {
        v1::Breakdown got;
        status = breakdown(absl::Milliseconds(1500), &got);
      } else {
        v1::Timeseries got;
        status = series(absl::Milliseconds(1500), &got);
      }
      took = absl::Now() - sent;
    });
    EXPECT_TRUE(WaitFor([&] { return LockWaiters("reducer-service") == 1; },
                        absl::Seconds(1)))
        << "the statement never waited for the lock";
    call.join();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
        << status.error_message();
    EXPECT_GE(took, absl::Milliseconds(1500));
    EXPECT_LT(took, absl::Seconds(3));
    const absl::Time ended = absl::Now();
    EXPECT_TRUE(WaitFor(
        [&] {
          return LockWaiters("reducer-service") == 0 &&
                 ActiveStatements("reducer-service") == 0;
        },
        absl::Seconds(2)))
        << "the statement still runs in PostgreSQL after the deadline";
    std::cerr << (is_breakdown ? "GetBreakdown" : "GetTimeseries")
              << ": statement gone " << absl::Now() - ended
              << " after the client's DEADLINE_EXCEEDED\n";
    lock.Release();
    // And right after, the same call with time to spare is exact.
    if (is_breakdown) {
      v1::Breakdown again;
      const grpc::Status again_status = breakdown(absl::Seconds(30), &again);
      ASSERT_TRUE(again_status.ok())
          << again_status.error_code() << ": " << again_status.error_message();
      EXPECT_TRUE(MessageDifferencer::Equals(again, expected_breakdown));
    } else {
      v1::Timeseries again;
      const grpc::Status again_status = series(absl::Seconds(30), &again);
      ASSERT_TRUE(again_status.ok())
          << again_status.error_code() << ": " << again_status.error_message();
      EXPECT_TRUE(MessageDifferencer::Equals(again, expected_series));
    }
  }
  EXPECT_TRUE(deployment_->query_process().running());
  EXPECT_EQ(deployment_->query_process().pid(), query_pid);
  ExpectIngestAndQueryServing();
}

// A pool of one connection per process (--db_pool_size=1), held by a call
// whose statement waits for a lock the test holds, for 8 s. The pool makes
// a caller wait up to its acquire timeout (5 s) and then answers
// RESOURCE_EXHAUSTED "all 1 database connections are busy": all 16
// GetOverview calls of a burst get that, and of 16 Ingest calls the 3 that
// found a free group-commit slot (4 committers, one held by the waiting
// call) get it, while the 13 queued behind those slots are stored once the
// lock goes. Then 32 Ingest and 32 GetOverview calls at once on the free
// pool of one.
TEST_F(LoadFaultsTest, ExhaustedPoolOfOneAnswersResourceExhaustedAndRecovers) {
  ASSERT_NO_FATAL_FAILURE(
      StartServices({"--db_pool_size=1", "--key_cache_ttl=10m"}));
  const pid_t ingest_pid = deployment_->ingest_process().pid();
  const pid_t query_pid = deployment_->query_process().pid();
  constexpr int kBatch = 10;
  constexpr int kBurst = 16;
  const std::string kBusy = "all 1 database connections are busy";
  const absl::Time base = FloorHour(absl::Now()) - absl::Hours(3);
  const absl::Time end = base + absl::Hours(3);
  int batches = 0;
  auto next_batch = [&](const std::string& prefix) {
    return Pageviews(prefix, kBatch, base + absl::Minutes(batches++));
  };

  // Keys cached and the connections open: 10 events, reduced.
  v1::IngestResponse warm;
  ASSERT_TRUE(Ingest(next_batch("warm-"), &warm).ok());
  ASSERT_EQ(warm.accepted(), kBatch);
  {
    absl::StatusOr<int> reducer = deployment_->StartReducer({});
    ASSERT_TRUE(reducer.ok()) << reducer.status();
    absl::StatusOr<v1::Overview> reduced = deployment_->WaitUntilReduced(
        site_.read_key(), site_id(), base, end, absl::Seconds(60));
    ASSERT_TRUE(reduced.ok()) << reduced.status();
    ASSERT_EQ(reduced->events(), kBatch);
    deployment_->reducer(*reducer).Signal(SIGTERM);
    ASSERT_TRUE(deployment_->reducer(*reducer).Wait(absl::Seconds(15)).ok());
  }

  // 1. Each pool's only connection held by a call waiting for a lock.
  auto ingest_lock = std::make_unique<TableLock>(
      db_->url(), "LOCK TABLE event_client_ids IN EXCLUSIVE MODE");
  auto query_lock = std::make_unique<TableLock>(
      db_->url(), "LOCK TABLE rollups IN ACCESS EXCLUSIVE MODE");
  struct Result {
    v1::IngestRequest request;
    grpc::Status status;
    absl::Duration took;
    absl::Time finished;
    v1::IngestResponse ingested;
    v1::Overview overview;
  };
  Result ingest_holder, query_holder;
  ingest_holder.request = next_batch("holder-");
  std::vector<std::thread> threads;
  threads.emplace_back([&] {
    ingest_holder.status =
        Ingest(ingest_holder.request, &ingest_holder.ingested);
  });
  threads.emplace_back([&] {
    auto context = ContextWithin(site_.read_key(), absl::Seconds(30));
    query_holder.status = query_->GetOverview(
        context.get(), OverviewRequest(site_id(), base, end),
        &query_holder.overview);
  });
  const bool held = WaitFor(
      [&] {
        return LockWaiters("ingest-service") == 1 &&
               LockWaiters("reducer-service") == 1;
      },
      absl::Seconds(10));
  EXPECT_TRUE(held) << "the holders never waited for their locks";

  // The burst, each call on its own connection, while the pools are held.
  std::vector<Result> ingests(kBurst), overviews(kBurst);
  for (int i = 0; i < kBurst; ++i) {
    ingests[i].request = next_batch(absl::StrCat("burst-", i, "-"));
  }
  const absl::Time burst = absl::Now();
  if (held) {
    for (int i = 0; i < kBurst; ++i) {
      threads.emplace_back([&, i] {
        auto stub =
            v1::IngestService::NewStub(OwnChannel(deployment_->ingest_port()));
        auto context = ContextWithin(site_.write_key(), absl::Seconds(30));
        const absl::Time sent = absl::Now();
        ingests[i].status = stub->Ingest(context.get(), ingests[i].request,
                                         &ingests[i].ingested);
        ingests[i].finished = absl::Now();
        ingests[i].took = ingests[i].finished - sent;
      });
      threads.emplace_back([&, i] {
        auto stub =
            v1::QueryService::NewStub(OwnChannel(deployment_->query_port()));
        auto context = ContextWithin(site_.read_key(), absl::Seconds(30));
        const absl::Time sent = absl::Now();
        overviews[i].status = stub->GetOverview(
            context.get(), OverviewRequest(site_id(), base, end),
            &overviews[i].overview);
        overviews[i].took = absl::Now() - sent;
      });
    }
    absl::SleepFor(burst + absl::Seconds(8) - absl::Now());
  }
  const absl::Time released = absl::Now();
  ingest_lock.reset();
  query_lock.reset();
  for (auto& t : threads) t.join();
  ASSERT_TRUE(held);

  // The holders: answered once the locks went (the overview from the
  // snapshot taken before, so only the warm-up events).
  ASSERT_TRUE(ingest_holder.status.ok())
      << ingest_holder.status.error_message();
  EXPECT_EQ(ingest_holder.ingested.accepted(), kBatch);
  ASSERT_TRUE(query_holder.status.ok()) << query_holder.status.error_message();
  EXPECT_EQ(query_holder.overview.events(), kBatch);
  // Every GetOverview waited for the connection the acquire timeout long,
  // then was refused.
  for (const Result& r : overviews) {
    EXPECT_EQ(r.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_EQ(r.status.error_message(), kBusy);
    EXPECT_GE(r.took, absl::Seconds(5));
    EXPECT_LT(r.took, absl::Seconds(8));
  }
  // Ingest: the 3 that took a free commit slot were refused the same way
  // and stored nothing; the 13 behind them were stored once the lock went.
  int refused = 0;
  for (const Result& r : ingests) {
    if (r.status.ok()) {
      EXPECT_EQ(r.ingested.accepted(), kBatch);
      EXPECT_GE(r.finished, released);
      continue;
    }
    ++refused;
    EXPECT_EQ(r.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_EQ(r.status.error_message(), kBusy);
    EXPECT_GE(r.took, absl::Seconds(5));
    EXPECT_LT(r.took, absl::Seconds(8));
  }
  EXPECT_EQ(refused, 3);
  // Nothing of a refused batch is stored; the resend stores it in full.
  for (int i = 0; i < kBurst; ++i) {
    if (ingests[i].status.ok()) continue;
    EXPECT_EQ(StoredWithPrefix(absl::StrCat("burst-", i, "-")), 0) << i;
    v1::IngestResponse response;
    ASSERT_TRUE(Ingest(ingests[i].request, &response).ok());
    EXPECT_EQ(response.accepted(), kBatch);
  }
  EXPECT_EQ(StoredEvents(), batches * kBatch);
  EXPECT_EQ(DistinctStoredIds(), batches * kBatch);

  // 2. 32 Ingest and 32 GetOverview calls at once on the free pool of one:
  // each OK or refused in a way worth retrying; the refused batches are
  // resent with the same ids until acknowledged.
  constexpr int kCrowd = 32;
  std::vector<Result> crowd(kCrowd);
  for (int i = 0; i < kCrowd; ++i) {
    crowd[i].request = next_batch(absl::StrCat("crowd-", i, "-"));
  }
  std::atomic<int> ingest_retries{0}, overview_refusals{0};
  threads.clear();
  for (int i = 0; i < kCrowd; ++i) {
    threads.emplace_back([&, i] {
      auto stub =
          v1::IngestService::NewStub(OwnChannel(deployment_->ingest_port()));
      const absl::Time give_up = absl::Now() + absl::Seconds(60);
      bool failed_before = false;
      while (absl::Now() < give_up) {
        auto context = ContextWithin(site_.write_key(), absl::Seconds(10));
        crowd[i].ingested.Clear();
        crowd[i].status =
            stub->Ingest(context.get(), crowd[i].request, &crowd[i].ingested);
        if (crowd[i].status.ok()) break;
        const grpc::StatusCode code = crowd[i].status.error_code();
        EXPECT_TRUE(code == grpc::StatusCode::UNAVAILABLE ||
                    code == grpc::StatusCode::RESOURCE_EXHAUSTED ||
                    code == grpc::StatusCode::DEADLINE_EXCEEDED)
            << crowd[i].status.error_message();
        failed_before = true;
        ++ingest_retries;
        absl::SleepFor(absl::Milliseconds(100));
      }
      EXPECT_TRUE(crowd[i].status.ok()) << crowd[i].status.error_message();
      EXPECT_EQ(crowd[i].ingested.accepted() + crowd[i].ingested.duplicates(),
                kBatch);
      if (!failed_before) {
        EXPECT_EQ(crowd[i].ingested.accepted(), kBatch);
      }
    });
    threads.emplace_back([&] {
      auto stub =
          v1::QueryService::NewStub(OwnChannel(deployment_->query_port()));
      auto context = ContextWithin(site_.read_key(), absl::Seconds(10));
      v1::Overview overview;
      const grpc::Status status = stub->GetOverview(
          context.get(), OverviewRequest(site_id(), base, end), &overview);
      if (!status.ok()) {
        ++overview_refusals;
        const grpc::StatusCode code = status.error_code();
        EXPECT_TRUE(code == grpc::StatusCode::UNAVAILABLE ||
                    code == grpc::StatusCode::RESOURCE_EXHAUSTED ||
                    code == grpc::StatusCode::DEADLINE_EXCEEDED)
            << status.error_message();
      }
    });
  }
  for (auto& t : threads) t.join();
  std::cerr << "crowd: " << ingest_retries << " Ingest retries, "
            << overview_refusals << " GetOverview refusals\n";
  EXPECT_EQ(StoredEvents(), batches * kBatch);
  EXPECT_EQ(DistinctStoredIds(), batches * kBatch);

  // Everything succeeds again, and is counted once.
  v1::IngestResponse last;
  ASSERT_TRUE(Ingest(next_batch("last-"), &last).ok());
  EXPECT_EQ(last.accepted(), kBatch);
  absl::StatusOr<int> reducer = deployment_->StartReducer({});
  ASSERT_TRUE(reducer.ok()) << reducer.status();
  absl::StatusOr<v1::Overview> overview = deployment_->WaitUntilReduced(
      site_.read_key(), site_id(), base, end, absl::Seconds(60));
  ASSERT_TRUE(overview.ok()) << overview.status();
  EXPECT_EQ(overview->events(), batches * kBatch);
  EXPECT_EQ(overview->pageviews(), batches * kBatch);
  EXPECT_EQ(overview->sessions(), batches);
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM event_queue"), 0);
  EXPECT_TRUE(deployment_->ingest_process().running());
  EXPECT_EQ(deployment_->ingest_process().pid(), ingest_pid);
  EXPECT_TRUE(deployment_->query_process().running());
  EXPECT_EQ(deployment_->query_process().pid(), query_pid);
  // While the connection was held, the health checks of a pool of one
  // found it busy too; once it is free both report SERVING again.
  ExpectIngestAndQueryServing();
}

// A query's deadline covers its wait for a connection too. Pool of one: a
// GetBreakdown (entry pages: reads sessions) holds the connection, waiting
// for the sessions table the test has locked. Meanwhile each report query
// (GetOverview, GetTimeseries, GetBreakdown, GetEventPropertyBreakdown,
// GetDashboardSummary) with a 500 ms deadline, far shorter than the pool's
// acquire timeout (5 s), ends DEADLINE_EXCEEDED at its deadline, as the
// server answers it too (not RESOURCE_EXHAUSTED after 5 s). Then a
// GetOverview with a 3 s deadline waits for the connection. After 2 s the
// sessions lock goes, the holder finishes, the GetOverview gets the connection
// and its statement waits for the rollups table, also locked by the test. The
// client gets DEADLINE_EXCEEDED at 3 s, and the statement must be gone from
// PostgreSQL by then too (within 1 s), although the rollups stay locked.
TEST_F(LoadFaultsTest, QueryDeadlineCountsTheWaitForAConnection) {
  // Access lines, for what the server answered a call whose client had
  // already given up.
  deployment_->set_log_level("debug");
  ASSERT_NO_FATAL_FAILURE(
      StartServices({"--db_pool_size=1", "--key_cache_ttl=10m"}));
  const pid_t query_pid = deployment_->query_process().pid();
  const absl::Time base = FloorHour(absl::Now()) - absl::Hours(3);
  const absl::Time end = base + absl::Hours(3);
  v1::IngestResponse ingested;
  ASSERT_TRUE(Ingest(Pageviews("p-", 10, base), &ingested).ok());
  absl::StatusOr<int> reducer = deployment_->StartReducer({});
  ASSERT_TRUE(reducer.ok()) << reducer.status();
  ASSERT_TRUE(deployment_
                  ->WaitUntilReduced(site_.read_key(), site_id(), base, end,
                                     absl::Seconds(60))
                  .ok());
  deployment_->reducer(*reducer).Signal(SIGTERM);
  ASSERT_TRUE(deployment_->reducer(*reducer).Wait(absl::Seconds(15)).ok());

  auto sessions_lock = std::make_unique<TableLock>(
      db_->url(), "LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE");
  TableLock rollups_lock(db_->url(),
                         "LOCK TABLE rollups IN ACCESS EXCLUSIVE MODE");
  grpc::Status holder_status, late_status;
  absl::Duration late_took;
  std::thread holder([&] {
    v1::GetBreakdownRequest request;
    request.set_site_id(site_id());
    *request.mutable_from() = Proto(base);
    *request.mutable_to() = Proto(end);
    request.set_dimension(v1::DIMENSION_ENTRY_PAGE);
    auto context = ContextWithin(site_.read_key(), absl::Seconds(30));
    v1::Breakdown breakdown;
    holder_status = query_->GetBreakdown(context.get(), request, &breakdown);
  });
  const bool holding = WaitFor(
      [&] { return LockWaiters("reducer-service") == 1; }, absl::Seconds(10));
  EXPECT_TRUE(holding) << "the holder never waited for the sessions lock";

  // Report queries with a 500 ms deadline while the connection is held. The
  // client's own deadline ends its call at 500 ms whatever the server does,
  // so the server's access line must show that the server stopped waiting
  // too: DEADLINE_EXCEEDED, logged within 2 s (a wait for the pool's
  // acquire timeout would answer RESOURCE_EXHAUSTED after 5 s).
  // Every report query of QueryService, each on its own request.
  v1::GetTimeseriesRequest series;
  series.set_site_id(site_id());
  *series.mutable_from() = Proto(base);
  *series.mutable_to() = Proto(end);
  series.set_interval(v1::HOUR);
  series.set_time_zone("UTC");
  v1::GetBreakdownRequest pages;
  pages.set_site_id(site_id());
  *pages.mutable_from() = Proto(base);
  *pages.mutable_to() = Proto(end);
  pages.set_dimension(v1::DIMENSION_PAGE);
  v1::GetEventPropertyBreakdownRequest property;
  property.set_site_id(site_id());
  *property.mutable_from() = Proto(base);
  *property.mutable_to() = Proto(end);
  property.set_event_name("signup");
  property.set_property_key("plan");
  v1::GetDashboardSummaryRequest dashboard;
  dashboard.set_site_id(site_id());
  *dashboard.mutable_from() = Proto(base);
  *dashboard.mutable_to() = Proto(end);
  dashboard.set_interval(v1::HOUR);
  dashboard.set_time_zone("UTC");
  const std::vector<
      std::pair<std::string, std::function<grpc::Status(grpc::ClientContext*)>>>
      reports = {
          {"GetOverview",
           [&](grpc::ClientContext* context) {
             v1::Overview out;
             return query_->GetOverview(
                 context, OverviewRequest(site_id(), base, end), &out);
           }},
          {"GetTimeseries",
           [&](grpc::ClientContext* context) {
             v1::Timeseries out;
             return query_->GetTimeseries(context, series, &out);
           }},
          {"GetBreakdown",
           [&](grpc::ClientContext* context) {
             v1::Breakdown out;
             return query_->GetBreakdown(context, pages, &out);
           }},
          {"GetEventPropertyBreakdown",
           [&](grpc::ClientContext* context) {
             v1::EventPropertyBreakdown out;
             return query_->GetEventPropertyBreakdown(context, property, &out);
           }},
          {"GetDashboardSummary",
           [&](grpc::ClientContext* context) {
             v1::DashboardSummary out;
             return query_->GetDashboardSummary(context, dashboard, &out);
           }},
      };
  for (const auto& [method, call] : reports) {
    const size_t logged = QueryAccess(method).size();
    auto context = ContextWithin(site_.read_key(), absl::Milliseconds(500));
    const absl::Time asked = absl::Now();
    const grpc::Status status = call(context.get());
    const absl::Duration took = absl::Now() - asked;
    EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
        << method << ": " << status.error_message();
    EXPECT_GE(took, absl::Milliseconds(500)) << method;
    EXPECT_LT(took, absl::Seconds(2)) << method;
    std::vector<Access> calls;
    const bool answered = WaitFor(
        [&] {
          calls = QueryAccess(method);
          return calls.size() > logged;
        },
        asked + absl::Seconds(2) - absl::Now());
    ASSERT_TRUE(answered) << method << ": the server still waits 2 s after "
                          << "the call was sent\n"
                          << Logs();
    ASSERT_EQ(calls.size(), logged + 1) << method;
    EXPECT_EQ(calls.back().code, "DEADLINE_EXCEEDED") << method;
    // It waited for the connection (the deadline reached the server a
    // moment after the client set it), and stopped well before 5 s.
    EXPECT_GE(calls.back().ms, 400) << method;
    EXPECT_LT(calls.back().ms, 2000) << method;
    std::cerr << method << " with a 500 ms deadline on the busy pool: "
              << "client " << took << ", server " << calls.back().code
              << " after " << calls.back().ms << " ms\n";
  }
  EXPECT_EQ(LockWaiters("reducer-service"), 1)
      << "the holder no longer waits for the sessions lock";

  const absl::Time sent = absl::Now();
  std::thread late([&] {
    auto stub =
        v1::QueryService::NewStub(OwnChannel(deployment_->query_port()));
    auto context = ContextWithin(site_.read_key(), absl::Seconds(3));
    v1::Overview overview;
    late_status = stub->GetOverview(
        context.get(), OverviewRequest(site_id(), base, end), &overview);
    late_took = absl::Now() - sent;
  });
  absl::SleepFor(sent + absl::Seconds(2) - absl::Now());
  sessions_lock.reset();
  holder.join();
  EXPECT_TRUE(holder_status.ok()) << holder_status.error_message();
  // The late call's statement now waits for the rollups.
  EXPECT_TRUE(WaitFor([&] { return LockWaiters("reducer-service") == 1; },
                      absl::Milliseconds(900)))
      << "the late call's statement never waited for the rollups lock";
  late.join();
  EXPECT_EQ(late_status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
      << late_status.error_message();
  EXPECT_GE(late_took, absl::Seconds(3));
  const absl::Time client_gave_up = absl::Now();
  const bool gone = WaitFor(
      [&] {
        return LockWaiters("reducer-service") == 0 &&
               ActiveStatements("reducer-service") == 0;
      },
      absl::Seconds(1));
  std::cerr << "the late statement ran on "
            << (gone ? absl::Now() - client_gave_up : absl::Seconds(1))
            << (gone ? "" : " or more") << " after its caller's deadline\n";
  EXPECT_TRUE(gone) << "the statement outlived its caller's deadline";
  rollups_lock.Release();
  absl::StatusOr<v1::Overview> overview =
      deployment_->Overview(site_.read_key(), site_id(), base, end);
  ASSERT_TRUE(overview.ok()) << overview.status();
  EXPECT_EQ(overview->events(), 10);
  EXPECT_TRUE(deployment_->query_process().running());
  EXPECT_EQ(deployment_->query_process().pid(), query_pid);
  ExpectIngestAndQueryServing();
}

// A PostgreSQL backend stopped with SIGSTOP until Continue() or
// destruction, so a failing test never leaves one stopped (the database
// could not be dropped).
class StoppedBackend {
 public:
  explicit StoppedBackend(pid_t pid) : pid_(pid) {
    if (kill(pid_, SIGSTOP) != 0) error_ = std::strerror(errno);
  }
  ~StoppedBackend() { Continue(); }
  // Empty if the backend is stopped.
  const std::string& error() const { return error_; }
  void Continue() {
    if (pid_ != 0 && error_.empty()) kill(pid_, SIGCONT);
    pid_ = 0;
  }

 private:
  pid_t pid_;
  std::string error_;
};

// A reducing replica's own pool exhausted. A reduce-only reducer with a
// pool of one connection (--db_pool_size=1) whose connection is lent to its
// health check and never comes back: the test stops (SIGSTOP) the
// PostgreSQL backend behind it while the worker is idle, so the next check
// hangs holding it. RandomTraffic is ingested meanwhile (ingest has its own
// pool); every pass waits the pool's acquire timeout (5 s) and is refused
// RESOURCE_EXHAUSTED. None of that may be charged to an event. Once the
// backend continues, the same process reduces the backlog exactly and its
// health is SERVING again.
TEST_F(LoadFaultsTest, ExhaustedPoolOfAReducingReplicaChargesNoEvent) {
  ASSERT_NO_FATAL_FAILURE(
      StartServices({"--db_pool_size=1", "--key_cache_ttl=10m"}));
  const absl::Time base = FloorHour(absl::Now()) - absl::Hours(8);
  const absl::Time end = base + absl::Hours(8);
  // Warm-up: keys cached, the query reducer's only connection open (so any
  // later backend of reducer-service is the replica's).
  std::vector<ScenarioEvent> events;
  for (int i = 0; i < 10; ++i) {
    ScenarioEvent& e = events.emplace_back();
    e.event_id = absl::StrCat("warm-", i);
    e.at = base + absl::Seconds(i);
    e.visitor_id = "v-warm";
    e.session_id = "s-warm";
    e.path = "/load";
  }
  ASSERT_TRUE(
      deployment_->IngestAll(site_.write_key(), ToRequests(events, 10)).ok());
  ASSERT_TRUE(
      deployment_->Overview(site_.read_key(), site_id(), base, end).ok());
  const int64_t replica_started_us = db_->QueryInt(
      "SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint");
  const int health_port = FreePort();
  absl::StatusOr<int> reducer = deployment_->StartReducer(
      {"--serve_queries=false", "--batch_size=200", "--poll_interval=60s",
       "--retention_interval=1h", "--health_check_interval=200ms",
       absl::StrCat("--health_port=", health_port)});
  ASSERT_TRUE(reducer.ok()) << reducer.status();
  ServiceProcess& replica = deployment_->reducer(*reducer);
  const pid_t replica_pid = replica.pid();
  ASSERT_TRUE(replica.WaitForPort(health_port, absl::Seconds(10)).ok());
  using HealthStatus = grpc::health::v1::HealthCheckResponse;
  auto health = [&] { return Health(health_port, "analytics.reducer"); };
  ASSERT_TRUE(deployment_
                  ->WaitUntilReduced(site_.read_key(), site_id(), base, end,
                                     absl::Seconds(60))
                  .ok());
  EXPECT_TRUE(WaitFor([&] { return health() == HealthStatus::SERVING; },
                      absl::Seconds(10)));
  // The worker has gone back to its 60 s poll after the warm-up pass; only
  // the health check (every 200 ms) uses the connection now.
  absl::SleepFor(absl::Milliseconds(500));
  const std::string kReplicaBackend =
      "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND "
      "application_name = 'reducer-service' AND "
      "backend_start > to_timestamp($2 / 1e6)";
  ASSERT_EQ(db_->Query(kReplicaBackend, db_->name(), replica_started_us).size(),
            1u)
      << "the replica's pool of one has one connection";
  const pid_t backend = static_cast<pid_t>(
      db_->QueryInt(kReplicaBackend, db_->name(), replica_started_us));

  // 1. The connection stuck: the next health check takes it and hangs.
  StoppedBackend stopped(backend);
  ASSERT_EQ(stopped.error(), "") << "cannot stop backend " << backend;
  EXPECT_TRUE(WaitFor([&] { return health() == HealthStatus::NOT_SERVING; },
                      absl::Seconds(10)))
      << "the replica's health check still succeeds";

  // 2. A backlog arrives; every pass is refused a connection.
  const std::vector<ScenarioEvent> backlog = RandomTraffic(
      base + absl::Minutes(30), absl::Hours(7), 300, kSessionTimeout,
      /*seed=*/71);
  ASSERT_TRUE(
      deployment_->IngestAll(site_.write_key(), ToRequests(backlog, 200)).ok());
  const int64_t sent = static_cast<int64_t>(backlog.size());
  ASSERT_GT(sent, 1000);
  events.insert(events.end(), backlog.begin(), backlog.end());
  const std::string kRefused =
      "reduction pass failed (RESOURCE_EXHAUSTED: all 1 database connections "
      "are busy)";
  auto refused_passes = [&] {
    const std::string log = replica.LogTail(1 << 20);
    int n = 0;
    for (size_t at = log.find(kRefused); at != std::string::npos;
         at = log.find(kRefused, at + 1)) {
      ++n;
    }
    return n;
  };
  int64_t charged = 0;
  int64_t queued_min = sent + 1;
  const bool refused = WaitFor(
      [&] {
        // Sampled all along: nothing reduced, nothing charged.
        charged = std::max(
            charged, db_->QueryInt("SELECT count(*) FROM event_queue WHERE "
                                   "attempts > 0 OR state <> 'pending'"));
        queued_min = std::min(
            queued_min, db_->QueryInt("SELECT count(*) FROM event_queue"));
        return refused_passes() >= 2;
      },
      absl::Seconds(30));
  EXPECT_TRUE(refused) << "passes were not refused a connection:\n"
                       << replica.LogTail();
  std::cerr << sent << " events queued, " << refused_passes()
            << " passes refused a connection\n";
  EXPECT_EQ(charged, 0) << "a pass without a connection was charged";
  EXPECT_EQ(queued_min, sent);
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM event_queue WHERE "
                          "attempts > 0 OR state <> 'pending'"),
            0);
  EXPECT_EQ(health(), HealthStatus::NOT_SERVING);
  EXPECT_TRUE(replica.running());

  // 3. The connection comes back: the same process drains the backlog.
  stopped.Continue();
  absl::StatusOr<v1::Overview> overview = deployment_->WaitUntilReduced(
      site_.read_key(), site_id(), base, end, absl::Seconds(60));
  ASSERT_TRUE(overview.ok()) << overview.status() << "\n" << replica.LogTail();
  ExpectOverviewMatches(Recount(events, base, end, kSessionTimeout), *overview);
  EXPECT_EQ(overview->events(), sent + 10);
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM event_queue"), 0);
  EXPECT_TRUE(WaitFor([&] { return health() == HealthStatus::SERVING; },
                      absl::Seconds(10)))
      << "the replica's health did not recover";
  // No pass was taken for one that failed because of its events.
  EXPECT_FALSE(absl::StrContains(replica.LogTail(1 << 20), "isolating"));
  EXPECT_TRUE(replica.running());
  EXPECT_EQ(replica.pid(), replica_pid);
  EXPECT_EQ(Health(health_port, ""), HealthStatus::SERVING);
  ExpectIngestAndQueryServing();
}

// Hostile batches: 500 events (--max_events_per_request), every one
// malformed in one of 19 ways; requests of 2 MB, 9.5 MB and 1 MiB + 1 byte
// (over --max_request_bytes, which is also gRPC's receive limit). Nothing of
// them is stored, a request of exactly 1 MiB gets its per-event answer, and
// ingest-service serves on.
TEST_F(LoadFaultsTest, HostileBatchesStoreNothingAndIngestServesOn) {
  ASSERT_NO_FATAL_FAILURE(StartServices());
  const pid_t ingest_pid = deployment_->ingest_process().pid();
  const absl::Time now = absl::Now();
  const std::string big(2049, 'x');

  // Each kind of malformed event and the field its rejection names.
  struct Kind {
    std::string field;
    std::function<void(v1::Event&)> spoil;
  };
  const std::vector<Kind> kinds = {
      {"type", [](v1::Event& e) { e.set_type(v1::EVENT_TYPE_UNSPECIFIED); }},
      {"type", [](v1::Event& e) { e.set_type(static_cast<v1::EventType>(7)); }},
      {"visitor_id", [](v1::Event& e) { e.clear_visitor_id(); }},
      {"session_id", [](v1::Event& e) { e.clear_session_id(); }},
      {"name", [](v1::Event& e) { e.set_type(v1::TRACK); }},
      {"occurred_at",
       [](v1::Event& e) { e.mutable_occurred_at()->set_nanos(-1); }},
      {"occurred_at",
       [&](v1::Event& e) {
         *e.mutable_occurred_at() = Proto(now + absl::Minutes(10));
       }},
      {"occurred_at",
       [&](v1::Event& e) {
         *e.mutable_occurred_at() = Proto(now - absl::Hours(24 * 401));
       }},
      {"path", [&](v1::Event& e) { e.set_path(big); }},
      {"path", [](v1::Event& e) { e.set_path(std::string("/a\0b", 4)); }},
      {"name",
       [](v1::Event& e) {
         e.set_type(v1::TRACK);
         e.set_name(std::string(201, 'n'));
       }},
      {"visitor_id",
       [](v1::Event& e) { e.set_visitor_id(std::string(201, 'v')); }},
      {"properties",
       [](v1::Event& e) {
         for (int p = 0; p < 33; ++p) {
           (*e.mutable_properties())[absl::StrCat("p", p)].set_bool_value(true);
         }
       }},
      {"properties.k",
       [&](v1::Event& e) {
         (*e.mutable_properties())["k"].set_string_value(big);
       }},
      {"properties.k",
       [](v1::Event& e) {
         (*e.mutable_properties())["k"].set_number_value(std::nan(""));
       }},
      {"properties.k", [](v1::Event& e) { (*e.mutable_properties())["k"]; }},
      {"properties",
       [](v1::Event& e) {
         (*e.mutable_properties())[""].set_bool_value(true);
       }},
      {"context.utm_source",
       [&](v1::Event& e) { e.mutable_context()->set_utm_source(big); }},
      {"event_id", [](v1::Event& e) { e.set_event_id(std::string(201, 'i')); }},
  };
  v1::IngestRequest hostile;
  for (int i = 0; i < 500; ++i) {
    v1::Event& e = *hostile.add_events();
    e.set_event_id(absl::StrCat("hostile-", i));
    e.set_type(v1::PAGEVIEW);
    e.set_visitor_id("v");
    e.set_session_id("s");
    e.set_path("/ok");
    *e.mutable_occurred_at() = Proto(now - absl::Minutes(1));
    kinds[i % kinds.size()].spoil(e);
  }
  ASSERT_LT(hostile.ByteSizeLong(), size_t{1} << 20);
  v1::IngestResponse response;
  grpc::Status status = Ingest(hostile, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.accepted(), 0);
  EXPECT_EQ(response.duplicates(), 0);
  ASSERT_EQ(response.rejected_size(), 500);
  for (int i = 0; i < 500; ++i) {
    const v1::Rejection& r = response.rejected(i);
    const std::string& field = kinds[i % kinds.size()].field;
    EXPECT_EQ(r.index(), i);
    EXPECT_EQ(r.field(), field) << "event " << i << ": " << r.reason();
    EXPECT_TRUE(absl::StartsWith(r.reason(), absl::StrCat(field, " ")))
        << r.reason();
    EXPECT_GT(r.reason().size(), field.size() + 1) << r.reason();
  }
  EXPECT_EQ(response.rejected(8).reason(),
            "path is 2049 bytes; the limit is 2048 bytes");
  EXPECT_EQ(response.rejected(12).reason(),
            "properties has 33 entries; the limit is 32");
  EXPECT_EQ(StoredEvents(), 0);

  // Over --max_request_bytes (1 MiB): gRPC refuses each before it is parsed
  // (RESOURCE_EXHAUSTED, its own message with the received size), so
  // Ingest's check on the parsed request ("request is N bytes; ...") never
  // runs. 2 MB lies between the 1 MiB limit and gRPC's default of 8 MiB;
  // 9.5 MB is over both.
  const auto expect_refused_before_parsing = [&](const v1::IngestRequest& r) {
    v1::IngestResponse refused;
    const grpc::Status s = Ingest(r, &refused);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << s.error_message();
    EXPECT_TRUE(absl::StrContains(
        s.error_message(),
        absl::StrCat("larger than max (", r.ByteSizeLong(), " vs. 1048576)")))
        << s.error_message();
    EXPECT_FALSE(absl::StrContains(s.error_message(), "request is"))
        << s.error_message();
  };
  v1::IngestRequest large;
  for (int i = 0; i < 500; ++i) {
    v1::Event& e = *large.add_events();
    e.set_event_id(absl::StrCat("large-", i));
    e.set_type(v1::PAGEVIEW);
    e.set_visitor_id("v");
    e.set_session_id("s");
    e.set_path(std::string(2048, 'p'));
    e.set_title(std::string(2048, 't'));
  }
  ASSERT_GT(large.ByteSizeLong(), size_t{2000000});
  ASSERT_LT(large.ByteSizeLong(), size_t{8} << 20);
  expect_refused_before_parsing(large);

  v1::IngestRequest huge;
  for (int i = 0; i < 500; ++i) {
    v1::Event& e = *huge.add_events();
    e.set_event_id(absl::StrCat("huge-", i));
    e.set_type(v1::PAGEVIEW);
    e.set_visitor_id("v");
    e.set_session_id("s");
    e.set_title(std::string(19000, 't'));
  }
  ASSERT_GT(huge.ByteSizeLong(), size_t{8} << 20);
  expect_refused_before_parsing(huge);

  // At the limit, to the byte: valid pageviews (path 2,048 bytes, title
  // 1,000) while a whole one more still leaves room, then one whose path and
  // title take up the rest exactly. The first event has a 201-byte
  // visitor_id, so the answer is per event: 1 rejected, the rest accepted.
  constexpr size_t kLimit = size_t{1} << 20;
  v1::IngestRequest at_limit;
  const auto add_pageview = [&](size_t path_bytes, size_t title_bytes) {
    v1::Event& e = *at_limit.add_events();
    e.set_event_id(absl::StrCat("limit-", at_limit.events_size() - 1));
    e.set_type(v1::PAGEVIEW);
    e.set_visitor_id("v");
    e.set_session_id("s");
    e.set_path("/" + std::string(path_bytes - 1, 'p'));
    e.set_title(std::string(title_bytes, 't'));
    *e.mutable_occurred_at() = Proto(now - absl::Minutes(1));
    return &e;
  };
  add_pageview(2048, 1000)->set_visitor_id(std::string(201, 'v'));
  const size_t whole = at_limit.ByteSizeLong();
  // Leaves 500 bytes to a whole one more: room that a path of up to 2,048
  // bytes and a title of up to 2,047 can fill.
  while (kLimit - at_limit.ByteSizeLong() >= whole + 500) {
    add_pageview(2048, 1000);
  }
  v1::Event* last = add_pageview(1, 0);
  for (int step = 0; step < 4 && at_limit.ByteSizeLong() != kLimit; ++step) {
    // The text that fills the rest (a length prefix may grow meanwhile,
    // hence the steps), in the path first.
    const int64_t text = static_cast<int64_t>(last->path().size() +
                                              last->title().size() + kLimit) -
                         static_cast<int64_t>(at_limit.ByteSizeLong());
    ASSERT_GE(text, 1);
    const int64_t path = std::min<int64_t>(text, 2048);
    last->set_path("/" + std::string(path - 1, 'p'));
    last->set_title(std::string(text - path, 't'));
  }
  ASSERT_EQ(at_limit.ByteSizeLong(), kLimit);
  ASSERT_LE(last->title().size(), size_t{2048});
  ASSERT_LE(at_limit.events_size(), 500);
  const int at_limit_events = at_limit.events_size();

  // One byte more (in the first event's visitor_id, whose length prefix
  // stays 2 bytes): refused before parsing like the others.
  v1::IngestRequest over_by_one = at_limit;
  over_by_one.mutable_events(0)->mutable_visitor_id()->push_back('v');
  ASSERT_EQ(over_by_one.ByteSizeLong(), kLimit + 1);
  expect_refused_before_parsing(over_by_one);
  EXPECT_EQ(StoredEvents(), 0);
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM event_queue"), 0);

  status = Ingest(at_limit, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.accepted(), at_limit_events - 1);
  EXPECT_EQ(response.duplicates(), 0);
  ASSERT_EQ(response.rejected_size(), 1);
  EXPECT_EQ(response.rejected(0).index(), 0);
  EXPECT_EQ(response.rejected(0).field(), "visitor_id");
  EXPECT_EQ(StoredEvents(), at_limit_events - 1);

  // ingest-service serves on, in the same process.
  v1::IngestResponse fine;
  ASSERT_TRUE(
      Ingest(Pageviews("fine-", 5, now - absl::Minutes(1)), &fine).ok());
  EXPECT_EQ(fine.accepted(), 5);
  EXPECT_EQ(StoredEvents(), at_limit_events - 1 + 5);
  EXPECT_TRUE(deployment_->ingest_process().running());
  EXPECT_EQ(deployment_->ingest_process().pid(), ingest_pid);
}

// A client process killed in the middle of a GetOverview whose statement
// waits for a lock the test holds: no cancel is sent, the client's TCP
// connection just closes. gRPC reports the call as cancelled, and within 1 s
// the statement no longer waits or runs in PostgreSQL (before statement
// cancellation it waited until the client's 60 s deadline); the query
// process serves on, same pid.
TEST_F(LoadFaultsTest, ClientKilledMidCallStopsItsStatement) {
  ASSERT_NO_FATAL_FAILURE(StartServices());
  const pid_t query_pid = deployment_->query_process().pid();
  const absl::Time to = absl::Now();
  const absl::Time from = to - absl::Hours(24);
  auto lock = std::make_unique<TableLock>(
      db_->url(), "LOCK TABLE rollups IN ACCESS EXCLUSIVE MODE");
  absl::StatusOr<std::unique_ptr<ServiceProcess>> client =
      ServiceProcess::Spawn(
          ANALYTICS_CTL_BIN,
          {absl::StrCat("--target=127.0.0.1:", deployment_->query_port()),
           "--timeout=60s", "overview", "--read-key=" + site_.read_key(),
           absl::StrCat("--site=", site_id()),
           "--from=" +
               absl::FormatTime(absl::RFC3339_full, from, absl::UTCTimeZone()),
           "--to=" +
               absl::FormatTime(absl::RFC3339_full, to, absl::UTCTimeZone())});
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE(WaitFor([&] { return LockWaiters("reducer-service") == 1; },
                      absl::Seconds(10)))
      << "the GetOverview statement never waited for the lock\n"
      << (*client)->LogTail();
  absl::SleepFor(absl::Milliseconds(300));
  ASSERT_EQ(LockWaiters("reducer-service"), 1);

  (*client)->Signal(SIGKILL);
  const absl::Time killed_at = absl::Now();
  absl::StatusOr<int> exit_code = (*client)->Wait(absl::Seconds(5));
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 128 + SIGKILL);
  const bool stopped = WaitFor(
      [&] {
        return LockWaiters("reducer-service") == 0 &&
               ActiveStatements("reducer-service") == 0;
      },
      absl::Seconds(5));
  const absl::Duration stopped_after = absl::Now() - killed_at;
  EXPECT_TRUE(stopped) << "the killed client's statement still runs";
  EXPECT_LT(stopped_after, absl::Seconds(1));

  lock.reset();
  v1::Overview overview;
  auto context = ContextWithin(site_.read_key(), absl::Seconds(10));
  grpc::Status after = query_->GetOverview(
      context.get(), OverviewRequest(site_id(), from, to), &overview);
  EXPECT_TRUE(after.ok()) << after.error_message();
  EXPECT_EQ(overview.events(), 0);
  EXPECT_EQ(deployment_->query_process().pid(), query_pid);
  EXPECT_TRUE(deployment_->query_process().running());
}

}  // namespace
}  // namespace analytics::testing
