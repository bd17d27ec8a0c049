// Several reducers on one database: replicas draining the same backlog at
// the same time must produce exactly the totals of a single reducer, with
// every event reduced once and no pass lost to a deadlock.
#include <algorithm>
#include <random>
#include <thread>

#include "common/time/pg_time.h"
#include "gtest/gtest.h"
#include "tests/support/scenario.h"
#include "tests/support/stack.h"

namespace analytics::testing {
namespace {

constexpr absl::Duration kSessionTimeout = absl::Minutes(30);

TEST(ConcurrencyTest, ThreeReducersGiveTheTotalsOfOne) {
  absl::StatusOr<std::unique_ptr<ServiceStack>> started = ServiceStack::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  ServiceStack& stack = **started;
  absl::StatusOr<v1::CreateSiteResponse> site = stack.CreateSite("busy");
  ASSERT_TRUE(site.ok()) << site.status();

  const absl::Time start = FloorHour(absl::Now()) - absl::Hours(30);
  const absl::Duration span = absl::Hours(26);
  std::vector<ScenarioEvent> events =
      RandomTraffic(start, span, 400, kSessionTimeout, /*seed=*/3);
  // Shuffled, so each replica's batches hold pieces of the same sessions.
  std::mt19937 rng(17);
  std::shuffle(events.begin(), events.end(), rng);
  for (const auto& request : ToRequests(events, 500)) {
    v1::IngestResponse response;
    ASSERT_TRUE(stack.Ingest(site->write_key(), request, &response).ok());
    ASSERT_EQ(response.accepted(), request.events_size());
  }

  constexpr int kReplicas = 3;
  std::vector<std::unique_ptr<ReducerReplica>> replicas;
  for (int i = 0; i < kReplicas; ++i) {
    replicas.push_back(std::make_unique<ReducerReplica>(stack.db().url(), 40));
  }
  std::vector<absl::StatusOr<int>> reduced(kReplicas, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] { reduced[i] = replicas[i]->Drain(); });
  }
  for (auto& t : threads) t.join();

  int64_t total = 0;
  for (int i = 0; i < kReplicas; ++i) {
    ASSERT_TRUE(reduced[i].ok()) << reduced[i].status();
    total += *reduced[i];
    // Each replica did a share of the work.
    EXPECT_GT(*reduced[i], 0) << "replica " << i;
  }
  EXPECT_EQ(total, static_cast<int64_t>(events.size()));
  EXPECT_EQ(stack.db().QueryInt("SELECT count(*) FROM event_queue"), 0);

  const ExpectedOverview expected =
      Recount(events, start, start + span, kSessionTimeout);
  v1::Overview overview;
  ASSERT_TRUE(stack
                  .GetOverview(site->read_key(), site->site().site_id(), start,
                               start + span, &overview)
                  .ok());
  ExpectOverviewMatches(expected, overview);
  EXPECT_EQ(stack.db().QueryInt("SELECT count(*) FROM sessions"),
            expected.sessions);
  // Hour and day rollups agree with each other.
  EXPECT_EQ(stack.db().QueryInt("SELECT sum(sessions) FROM rollups"
                                " WHERE granularity = 0 AND dimension = 0"),
            stack.db().QueryInt("SELECT sum(sessions) FROM rollups"
                                " WHERE granularity = 1 AND dimension = 0"));
}

}  // namespace
}  // namespace analytics::testing
