// The reducer under faults, end to end with real processes: a poison event
// among ten thousand good ones costs exactly max-attempts tries with growing
// gaps and then rests as a dead letter without burning CPU; three replicas
// drain a 100k-event backlog while a supervisor SIGKILLs one at random
// instants, and afterwards the rollups equal a recomputation from raw events.
#include <signal.h>

#include <fstream>
#include <random>
#include <sstream>

#include "common/time/pg_time.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "tests/support/deployment.h"
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

  // The good ones are all in the numbers within seconds.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  int64_t reduced = 0;
  while (absl::Now() < deadline && reduced < 10000) {
    absl::StatusOr<v1::Overview> overview = deployment_->Overview(
        site_.read_key(), site_id(), h0, h0 + absl::Hours(2));
    ASSERT_TRUE(overview.ok()) << overview.status();
    reduced = overview->events();
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_EQ(reduced, 10000);

  // The poison one: attempts grow with growing gaps, then it is dead.
  std::vector<int> attempts_seen;
  std::vector<absl::Duration> gaps;
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  while (absl::Now() < give_up) {
    std::vector<v1::FailedEvent> failed = Failed();
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
    if (f.state() == v1::DEAD) break;
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

  // Reduce-only replicas, as deployed beside query-only ones.
  const std::vector<std::string> replica_args = {
      "--batch_size=300", "--poll_interval=200ms", "--serve_queries=false"};
  std::vector<int> replicas;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<int> r = deployment_->StartReducer(replica_args);
    ASSERT_TRUE(r.ok()) << r.status();
    replicas.push_back(*r);
  }
  // The supervisor: kill one replica at a random instant, start a new one.
  int kills_mid_work = 0;
  const absl::Time give_up = absl::Now() + absl::Minutes(10);
  while (absl::Now() < give_up) {
    absl::SleepFor(
        absl::Milliseconds(std::uniform_int_distribution<int>(200, 1200)(rng)));
    const int64_t pending = db_->QueryInt("SELECT count(*) FROM event_queue");
    if (pending == 0) break;
    const int victim = std::uniform_int_distribution<int>(0, 2)(rng);
    ServiceProcess& process = deployment_->reducer(replicas[victim]);
    process.Signal(SIGKILL);
    absl::StatusOr<int> exit = process.Wait(absl::Seconds(10));
    ASSERT_TRUE(exit.ok());
    ASSERT_EQ(*exit, 128 + SIGKILL);
    ++kills_mid_work;
    absl::StatusOr<int> replacement = deployment_->StartReducer(replica_args);
    ASSERT_TRUE(replacement.ok()) << replacement.status();
    replicas[victim] = *replacement;
  }
  EXPECT_GE(kills_mid_work, 3) << "the backlog drained before the supervisor "
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
}

}  // namespace
}  // namespace analytics::testing
