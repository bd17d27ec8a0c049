// The reducer under faults, end to end with real processes: a poison event
// among ten thousand good ones costs exactly max-attempts tries with growing
// gaps and then rests as a dead letter without burning CPU; three replicas
// drain a 100k-event backlog while a supervisor SIGKILLs one at random
// instants, and afterwards the rollups equal a recomputation from raw events;
// the same supervisor kills replicas while clients are still ingesting, and
// ingest neither notices nor loses or doubles an event.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include "common/time/pg_time.h"
#include "google/protobuf/util/time_util.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/support/deployment.h"
#include "tests/support/health.h"
#include "tests/support/scenario.h"
#include "tests/support/stack.h"

namespace analytics::testing {
namespace {

using google::protobuf::util::TimeUtil;

constexpr absl::Duration kSessionTimeout = absl::Minutes(30);

// CPU time (user + system) the process has used so far.
absl::Duration CpuTime(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  // Fields after the parenthesised command name; utime and stime are the
  // 14th and 15th fields of the whole line.
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  int64_t utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  return absl::Seconds(static_cast<double>(utime + stime) /
                       sysconf(_SC_CLK_TCK));
}

// The events as Ingest requests of `min_size` to `max_size` events each
// (sizes drawn from `rng`), in order: uneven batches, so that transactions
// of different lengths meet the reducers.
std::vector<v1::IngestRequest> RandomBatches(
    const std::vector<ScenarioEvent>& events, int min_size, int max_size,
    std::mt19937* rng) {
  std::vector<v1::IngestRequest> requests;
  int room = 0;
  for (const ScenarioEvent& event : events) {
    if (room == 0) {
      requests.emplace_back();
      room = std::uniform_int_distribution<int>(min_size, max_size)(*rng);
    }
    *requests.back().add_events() = ToProto(event);
    --room;
  }
  return requests;
}

class ReductionFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TestDatabase>> db = TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    deployment_ = std::make_unique<Deployment>(
        db_.get(), BinaryPaths{ANALYTICS_INGEST_BIN, ANALYTICS_REDUCER_BIN});
    absl::Status started = deployment_->Start();
    ASSERT_TRUE(started.ok()) << started;
    absl::StatusOr<v1::CreateSiteResponse> site =
        deployment_->CreateSite("faults");
    ASSERT_TRUE(site.ok()) << site.status();
    site_ = *site;
  }

  int64_t site_id() const { return site_.site().site_id(); }

  std::vector<v1::FailedEvent> Failed() {
    v1::ListFailedEventsRequest request;
    request.set_site_id(site_id());
    v1::ListFailedEventsResponse response;
    auto context = AuthorizedContext(kAdminToken);
    EXPECT_TRUE(deployment_->admin()
                    .ListFailedEvents(context.get(), request, &response)
                    .ok());
    return {response.events().begin(), response.events().end()};
  }

  int64_t Queued() { return db_->QueryInt("SELECT count(*) FROM event_queue"); }

  // Arguments of a reduce-only replica, as deployed beside query-only ones.
  static std::vector<std::string> ReplicaArgs() {
    return {"--batch_size=300", "--poll_interval=200ms",
            "--serve_queries=false"};
  }

  // Starts `count` replicas; their indexes for Deployment::reducer() go to
  // `replicas`.
  void StartReplicas(int count, std::vector<int>* replicas) {
    for (int i = 0; i < count; ++i) {
      absl::StatusOr<int> r = deployment_->StartReducer(ReplicaArgs());
      ASSERT_TRUE(r.ok()) << r.status();
      replicas->push_back(*r);
    }
  }

  // The supervisor: sleeps a random 200-1,200 ms; stops if `done()` or once
  // `limit` has passed; else calls `before_kill` (if any), SIGKILLs one of
  // `replicas` at random, expects it to die of that signal, counts it in
  // `kills` and starts a new replica in its place. `kills` is atomic so that
  // other threads may wait for it.
  void KillReplicasAtRandom(std::mt19937* rng, absl::Duration limit,
                            const std::function<bool()>& done,
                            const std::function<void()>& before_kill,
                            std::vector<int>* replicas,
                            std::atomic<int>* kills) {
    const absl::Time give_up = absl::Now() + limit;
    while (absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(
          std::uniform_int_distribution<int>(200, 1200)(*rng)));
      if (done()) break;
      if (before_kill) before_kill();
      const int victim = std::uniform_int_distribution<int>(
          0, static_cast<int>(replicas->size()) - 1)(*rng);
      ServiceProcess& process = deployment_->reducer((*replicas)[victim]);
      process.Signal(SIGKILL);
      absl::StatusOr<int> exit = process.Wait(absl::Seconds(10));
      ASSERT_TRUE(exit.ok()) << exit.status();
      ASSERT_EQ(*exit, 128 + SIGKILL);
      ++*kills;
      absl::StatusOr<int> replacement =
          deployment_->StartReducer(ReplicaArgs());
      ASSERT_TRUE(replacement.ok()) << replacement.status();
      (*replicas)[victim] = *replacement;
    }
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<Deployment> deployment_;
  v1::CreateSiteResponse site_;
};

TEST_F(ReductionFaultsTest,
       PoisonEventAmongTenThousandEndsDeadWithoutSpinning) {
  constexpr int kMaxAttempts = 5;
  absl::StatusOr<int> reducer = deployment_->StartReducer(
      {"--test_fail_event_name=poison", "--retry_base=100ms",
       "--retry_cap=800ms", absl::StrCat("--max_attempts=", kMaxAttempts)});
  ASSERT_TRUE(reducer.ok()) << reducer.status();
  const pid_t reducer_pid = deployment_->reducer(*reducer).pid();

  const absl::Time h0 = FloorHour(absl::Now()) - absl::Hours(3);
  std::vector<ScenarioEvent> events = PricingFunnel(h0, 2000);
  ScenarioEvent poison = events[2];  // a TRACK event
  poison.event_id = "the-poison";
  poison.name = "poison";
  events.insert(events.begin() + 5000, poison);
  ASSERT_EQ(events.size(), 10001u);
  absl::Status ingested =
      deployment_->IngestAll(site_.write_key(), ToRequests(events, 500));
  ASSERT_TRUE(ingested.ok()) << ingested;

  // The poison one: attempts grow with growing gaps, then it is dead. Its
  // states are sampled from the start, also while the good ones are
  // reduced: on a loaded machine that can take longer than all its retries.
  std::vector<int> attempts_seen;
  std::vector<absl::Duration> gaps;
  bool poison_dead = false;
  auto sample = [&] {
    std::vector<v1::FailedEvent> failed = Failed();
    if (failed.empty()) return;  // not tried yet
    ASSERT_EQ(failed.size(), 1u);
    const v1::FailedEvent& f = failed[0];
    EXPECT_EQ(f.name(), "poison");
    if (attempts_seen.empty() || attempts_seen.back() != f.attempts()) {
      attempts_seen.push_back(f.attempts());
      if (f.state() == v1::RETRYING) {
        gaps.push_back(absl::Microseconds(
            TimeUtil::TimestampToMicroseconds(f.next_attempt_at()) -
            TimeUtil::TimestampToMicroseconds(f.last_failed_at())));
      }
    }
    poison_dead = f.state() == v1::DEAD;
  };

  // The good ones are all in the numbers within seconds.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  int64_t reduced = 0;
  while (absl::Now() < deadline && reduced < 10000) {
    absl::StatusOr<v1::Overview> overview = deployment_->Overview(
        site_.read_key(), site_id(), h0, h0 + absl::Hours(2));
    ASSERT_TRUE(overview.ok()) << overview.status();
    reduced = overview->events();
    for (int i = 0; i < 5 && !poison_dead; ++i) {
      ASSERT_NO_FATAL_FAILURE(sample());
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
  ASSERT_EQ(reduced, 10000);

  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  while (!poison_dead && absl::Now() < give_up) {
    ASSERT_NO_FATAL_FAILURE(sample());
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_FALSE(attempts_seen.empty());
  EXPECT_EQ(attempts_seen.back(), kMaxAttempts);
  for (size_t i = 1; i < attempts_seen.size(); ++i) {
    EXPECT_GT(attempts_seen[i], attempts_seen[i - 1]);
  }
  // Nominal gaps 100, 200, 400, 800 ms (+-25%, capped at 800 ms): the
  // first seen gap is well below the last.
  ASSERT_GE(gaps.size(), 2u);
  EXPECT_LT(gaps.front(), gaps.back());
  EXPECT_LE(gaps.back(), absl::Milliseconds(801));

  // Dead and idle: no more tries, (almost) no CPU.
  const absl::Duration cpu_before = CpuTime(reducer_pid);
  absl::SleepFor(absl::Seconds(3));
  const absl::Duration cpu_used = CpuTime(reducer_pid) - cpu_before;
  EXPECT_LT(cpu_used, absl::Milliseconds(300))
      << "reducer used " << cpu_used << " of CPU while idle";
  std::vector<v1::FailedEvent> dead = Failed();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].state(), v1::DEAD);
  EXPECT_EQ(dead[0].attempts(), kMaxAttempts);

  // Re-queued by the operator, it is tried again at once (and, the fault
  // still being injected, fails again with a fresh budget).
  v1::RetryFailedEventsRequest retry;
  retry.set_site_id(site_id());
  retry.add_event_ids(dead[0].event_id());
  v1::RetryFailedEventsResponse retried;
  auto context = AuthorizedContext(kAdminToken);
  ASSERT_TRUE(deployment_->admin()
                  .RetryFailedEvents(context.get(), retry, &retried)
                  .ok());
  EXPECT_EQ(retried.requeued(), 1);
  const absl::Time retried_by = absl::Now() + absl::Seconds(10);
  std::vector<v1::FailedEvent> again;
  while (absl::Now() < retried_by) {
    again = Failed();
    if (!again.empty() && again[0].state() == v1::RETRYING) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].state(), v1::RETRYING);
  EXPECT_EQ(again[0].attempts(), 1);
}

TEST_F(ReductionFaultsTest, ThreeReducersKilledAtRandomLeaveExactRollups) {
  const absl::Time start = FloorHour(absl::Now()) - absl::Hours(50);
  const absl::Duration span = absl::Hours(48);
  std::vector<ScenarioEvent> events =
      RandomTraffic(start, span, 12000, kSessionTimeout, /*seed=*/2026);
  ASSERT_GT(events.size(), 90000u);
  std::mt19937 rng(4);
  std::shuffle(events.begin(), events.end(), rng);
  absl::Status ingested =
      deployment_->IngestAll(site_.write_key(), ToRequests(events, 500));
  ASSERT_TRUE(ingested.ok()) << ingested;
  ASSERT_EQ(db_->QueryInt("SELECT count(*) FROM event_queue"),
            static_cast<int64_t>(events.size()));

  std::vector<int> replicas;
  ASSERT_NO_FATAL_FAILURE(StartReplicas(3, &replicas));
  // Every kill comes after a look at a non-empty queue: mid-work.
  std::atomic<int> kills_mid_work{0};
  ASSERT_NO_FATAL_FAILURE(KillReplicasAtRandom(
      &rng, absl::Minutes(10), [&] { return Queued() == 0; }, nullptr,
      &replicas, &kills_mid_work));
  EXPECT_GE(kills_mid_work.load(), 3)
      << "the backlog drained before the supervisor "
         "got to work; the test proved little";

  absl::StatusOr<v1::Overview> overview = deployment_->WaitUntilReduced(
      site_.read_key(), site_id(), start, start + span, absl::Minutes(5));
  ASSERT_TRUE(overview.ok()) << overview.status();
  // Every acknowledged event is reduced exactly once: nothing dead or
  // retrying (a kill is never the events' fault), totals exact.
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM event_queue"), 0);
  ExpectOverviewMatches(Recount(events, start, start + span, kSessionTimeout),
                        *overview);
  absl::StatusOr<v1::RollupCheckResponse> check =
      deployment_->VerifyRollups(site_id(), start, start + span);
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_EQ(check->rows_different(), 0);
  EXPECT_GT(check->rows_checked(), 300);
  // The processes that were never killed serve on, and say so.
  ExpectServing(deployment_->ingest_port(),
                v1::IngestService::service_full_name());
  ExpectServing(deployment_->query_port(),
                v1::QueryService::service_full_name());
}

// Reduction and ingest at once: 2 clients send RandomTraffic in uneven
// batches of 100-500, pausing between them, while the supervisor SIGKILLs
// one of 3 reduce-only replicas at random instants and replaces it. The
// clients hold their last batches until the supervisor has killed
// kKillsWhileSending replicas, so that many kills land while ingest still
// writes however fast the machine is. The replicas share no state with
// ingest but the database: ingest must not notice the kills, and the
// reduction must end exactly where an undisturbed one would.
TEST_F(ReductionFaultsTest, ReducersKilledWhileIngestWritesLeaveExactRollups) {
  constexpr int kClients = 2;
  constexpr int kKillsWhileSending = 4;
  constexpr absl::Duration kPause = absl::Milliseconds(150);
  const pid_t ingest_pid = deployment_->ingest_process().pid();
  const pid_t query_pid = deployment_->query_process().pid();

  const absl::Time start = FloorHour(absl::Now()) - absl::Hours(26);
  const absl::Duration span = absl::Hours(24);
  std::vector<ScenarioEvent> events =
      RandomTraffic(start, span, 2000, kSessionTimeout, /*seed=*/53);
  std::mt19937 shuffle(59);
  std::shuffle(events.begin(), events.end(), shuffle);
  const std::vector<v1::IngestRequest> requests =
      RandomBatches(events, 100, 500, &shuffle);
  const int64_t sent = static_cast<int64_t>(events.size());
  ASSERT_GT(sent, 10000);
  ASSERT_GT(requests.size(), 20u);

  std::vector<int> replicas;
  ASSERT_NO_FATAL_FAILURE(StartReplicas(3, &replicas));

  // What happened to each batch; written only by the client that sent it.
  struct Outcome {
    std::vector<grpc::Status> failures;
    bool acknowledged = false;
    v1::IngestResponse response;
  };
  std::vector<Outcome> outcomes(requests.size());
  std::atomic<size_t> next{0};
  std::atomic<size_t> acknowledged{0};
  std::atomic<int> kills{0};
  std::atomic<bool> abandon{false};
  const absl::Time load_started = absl::Now();
  std::vector<absl::Time> client_done(kClients);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      auto stub = v1::IngestService::NewStub(grpc::CreateChannel(
          absl::StrCat("127.0.0.1:", deployment_->ingest_port()),
          grpc::InsecureChannelCredentials()));
      while (!abandon) {
        const size_t i = next++;
        if (i >= requests.size()) break;
        if (i + kClients >= requests.size()) {
          // A last batch: wait for the kills (bounded, in case the
          // supervisor failed; the count is asserted below).
          const absl::Time gate = absl::Now() + absl::Seconds(60);
          while (!abandon && kills < kKillsWhileSending && absl::Now() < gate) {
            absl::SleepFor(absl::Milliseconds(20));
          }
        }
        Outcome& outcome = outcomes[i];
        const absl::Time give_up = absl::Now() + absl::Seconds(60);
        while (!abandon && absl::Now() < give_up) {
          auto context = AuthorizedContext(site_.write_key());
          context->set_deadline(
              absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
          grpc::Status status =
              stub->Ingest(context.get(), requests[i], &outcome.response);
          if (status.ok()) {
            outcome.acknowledged = true;
            ++acknowledged;
            break;
          }
          // Resent with the same event ids, so a lost answer costs nothing.
          outcome.failures.push_back(status);
          outcome.response.Clear();
          absl::SleepFor(absl::Milliseconds(20));
        }
        absl::SleepFor(kPause);
      }
      client_done[c] = absl::Now();
    });
  }

  // The supervisor runs until every batch is acknowledged and reduced. At
  // each kill it notes whether ingest is still sending, whether work is
  // queued, and how many queue entries carry a failed attempt (a kill must
  // never charge one).
  std::mt19937 rng(61);
  int kills_while_sending = 0, kills_with_work_queued = 0;
  int64_t charged = 0;
  KillReplicasAtRandom(
      &rng, absl::Seconds(90),
      [&] { return acknowledged == requests.size() && Queued() == 0; },
      [&] {
        if (acknowledged < requests.size()) ++kills_while_sending;
        if (Queued() > 0) ++kills_with_work_queued;
        charged = std::max(
            charged, db_->QueryInt("SELECT count(*) FROM event_queue "
                                   "WHERE attempts > 0 OR state <> 'pending'"));
      },
      &replicas, &kills);
  if (HasFatalFailure()) abandon = true;
  for (std::thread& t : clients) t.join();
  ASSERT_FALSE(HasFatalFailure());
  std::cerr << requests.size() << " batches (" << sent << " events) sent in "
            << *std::max_element(client_done.begin(), client_done.end()) -
                   load_started
            << ", reduced in " << absl::Now() - load_started << "; "
            << kills.load() << " kills, " << kills_while_sending
            << " while ingest was sending, " << kills_with_work_queued
            << " with events queued\n";
  EXPECT_GE(kills_while_sending, kKillsWhileSending);
  EXPECT_EQ(charged, 0);

  // Ingest did not notice: every batch acknowledged at the first attempt,
  // every event in it accepted.
  int failed_attempts = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    const Outcome& o = outcomes[i];
    ASSERT_TRUE(o.acknowledged)
        << "batch " << i << " never acknowledged; last error: "
        << (o.failures.empty() ? "" : o.failures.back().error_message());
    failed_attempts += static_cast<int>(o.failures.size());
    EXPECT_EQ(o.response.rejected_size(), 0) << "batch " << i;
    EXPECT_EQ(o.response.accepted(), requests[i].events_size())
        << "batch " << i;
    EXPECT_EQ(o.response.duplicates(), 0) << "batch " << i;
  }
  EXPECT_EQ(failed_attempts, 0);
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM events WHERE site_id = $1",
                          site_id()),
            sent);
  EXPECT_EQ(db_->QueryInt("SELECT count(DISTINCT client_event_id) FROM events "
                          "WHERE site_id = $1",
                          site_id()),
            sent);

  // Reduced exactly once: nothing queued, retrying or dead, totals exact.
  absl::StatusOr<v1::Overview> overview = deployment_->WaitUntilReduced(
      site_.read_key(), site_id(), start, start + span, absl::Seconds(60));
  ASSERT_TRUE(overview.ok()) << overview.status();
  EXPECT_EQ(Queued(), 0);
  EXPECT_TRUE(Failed().empty());
  EXPECT_EQ(overview->events(), sent);
  ExpectOverviewMatches(Recount(events, start, start + span, kSessionTimeout),
                        *overview);
  absl::StatusOr<v1::RollupCheckResponse> check =
      deployment_->VerifyRollups(site_id(), start, start + span);
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_GT(check->rows_checked(), 0);
  EXPECT_EQ(check->rows_different(), 0);

  // The services that were not killed serve on, as the processes they were.
  using Status = grpc::health::v1::HealthCheckResponse;
  const int ingest_port = deployment_->ingest_port();
  const int query_port = deployment_->query_port();
  EXPECT_EQ(Health(ingest_port, ""), Status::SERVING);
  EXPECT_EQ(Health(ingest_port, v1::IngestService::service_full_name()),
            Status::SERVING);
  EXPECT_EQ(Health(query_port, ""), Status::SERVING);
  EXPECT_EQ(Health(query_port, v1::QueryService::service_full_name()),
            Status::SERVING);
  EXPECT_TRUE(deployment_->ingest_process().running());
  EXPECT_EQ(deployment_->ingest_process().pid(), ingest_pid);
  EXPECT_TRUE(deployment_->query_process().running());
  EXPECT_EQ(deployment_->query_process().pid(), query_pid);
}

}  // namespace
}  // namespace analytics::testing
