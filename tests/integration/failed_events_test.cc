// Failed reduction has a state (the seed review's first bug, fixed for good):
// a poison event is isolated from its batch, retried with growing backoff,
// becomes a dead letter after max attempts, is visible through AdminService
// and comes back with RetryFailedEvents. Also VerifyRollups/RebuildRollups
// finding and repairing a damaged rollup row.
#include <algorithm>

#include "common/time/pg_time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "tests/support/scenario.h"
#include "tests/support/stack.h"

namespace analytics::testing {
namespace {

using ::google::protobuf::util::TimeUtil;
using ::testing::HasSubstr;

class FailedEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ServiceStack>> stack = ServiceStack::Start();
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = std::move(*stack);
    absl::StatusOr<v1::CreateSiteResponse> site = stack_->CreateSite("shop");
    ASSERT_TRUE(site.ok()) << site.status();
    site_ = *site;
  }

  int64_t site_id() const { return site_.site().site_id(); }

  v1::ListFailedEventsResponse ListFailed(v1::FailedEventState state) {
    v1::ListFailedEventsRequest request;
    request.set_site_id(site_id());
    request.set_state(state);
    v1::ListFailedEventsResponse response;
    auto context = AuthorizedContext(kAdminToken);
    grpc::Status status =
        stack_->admin().ListFailedEvents(context.get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  v1::Backlog Backlog() {
    v1::GetBacklogRequest request;
    request.set_site_id(site_id());
    v1::GetBacklogResponse response;
    auto context = AuthorizedContext(kAdminToken);
    EXPECT_TRUE(
        stack_->admin().GetBacklog(context.get(), request, &response).ok());
    return response.sites_size() == 1 ? response.sites(0) : v1::Backlog();
  }

  v1::RollupCheckResponse CheckRollups(absl::Time from, absl::Time to,
                                       bool rebuild) {
    return stack_->CheckRollups(site_id(), from, to, rebuild);
  }

  std::unique_ptr<ServiceStack> stack_;
  v1::CreateSiteResponse site_;
};

TEST_F(FailedEventsTest, PoisonEventBacksOffThenDiesAndCanBeRequeued) {
  const absl::Time h0 = FloorHour(absl::Now()) - absl::Hours(2);
  std::vector<ScenarioEvent> events = PricingFunnel(h0, 40);
  ScenarioEvent poison = events[2];
  poison.event_id = "poison-1";
  poison.name = "poison";
  events.insert(events.begin() + 77, poison);
  for (const auto& request : ToRequests(events, 500)) {
    v1::IngestResponse response;
    ASSERT_TRUE(stack_->Ingest(site_.write_key(), request, &response).ok());
    ASSERT_EQ(response.accepted(), 201);
  }

  const reducer::BackoffPolicy backoff{.base = absl::Milliseconds(200),
                                       .cap = absl::Milliseconds(800),
                                       .max_attempts = 4};
  ReducerReplica replica(stack_->db().url(), 500,
                         reducer::PlanOptions{.fail_event_name = "poison"},
                         backoff);
  // First pass: the 200 good events commit, the poison one is charged.
  absl::StatusOr<reducer::PassResult> pass = replica.worker().RunPass();
  ASSERT_TRUE(pass.ok()) << pass.status();
  EXPECT_EQ(pass->reduced, 200);
  EXPECT_EQ(pass->failed, 1);
  v1::Overview overview;
  ASSERT_TRUE(stack_
                  ->GetOverview(site_.read_key(), site_id(), h0,
                                h0 + absl::Hours(2), &overview)
                  .ok());
  EXPECT_EQ(overview.events(), 200);
  EXPECT_EQ(overview.pending_events(), 1);

  // Retries: one attempt per backoff, gaps growing (base * 2^(n-1) +-25%,
  // capped), then dead.
  std::vector<absl::Duration> gaps;
  for (int attempt = 1; attempt <= 4; ++attempt) {
    SCOPED_TRACE(attempt);
    v1::ListFailedEventsResponse failed =
        ListFailed(v1::FAILED_EVENT_STATE_UNSPECIFIED);
    ASSERT_EQ(failed.events_size(), 1);
    const v1::FailedEvent& f = failed.events(0);
    EXPECT_EQ(f.attempts(), attempt);
    EXPECT_EQ(f.name(), "poison");
    EXPECT_THAT(f.last_error(), HasSubstr("fault injection"));
    if (attempt == 4) {
      EXPECT_EQ(f.state(), v1::DEAD);
      break;
    }
    EXPECT_EQ(f.state(), v1::RETRYING);
    const absl::Duration gap = absl::Microseconds(
        TimeUtil::TimestampToMicroseconds(f.next_attempt_at()) -
        TimeUtil::TimestampToMicroseconds(f.last_failed_at()));
    const absl::Duration nominal =
        std::min(backoff.cap, backoff.base * (1 << (attempt - 1)));
    EXPECT_GE(gap, nominal * 0.75 - absl::Milliseconds(1));
    EXPECT_LE(gap,
              std::min(backoff.cap, nominal * 1.25) + absl::Milliseconds(1));
    gaps.push_back(gap);
    // Not before its time: a pass now claims nothing.
    pass = replica.worker().RunPass();
    ASSERT_TRUE(pass.ok());
    EXPECT_TRUE(pass->claimed.empty());
    absl::SleepFor(gap + absl::Milliseconds(50));
    pass = replica.worker().RunPass();
    ASSERT_TRUE(pass.ok());
    EXPECT_EQ(pass->failed, 1);
  }
  // Dead letters are never claimed again.
  pass = replica.worker().RunPass();
  ASSERT_TRUE(pass.ok());
  EXPECT_TRUE(pass->claimed.empty());
  EXPECT_EQ(ListFailed(v1::RETRYING).events_size(), 0);
  EXPECT_EQ(ListFailed(v1::DEAD).events_size(), 1);
  v1::Backlog backlog = Backlog();
  EXPECT_EQ(backlog.pending(), 0);
  EXPECT_EQ(backlog.retrying(), 0);
  EXPECT_EQ(backlog.dead(), 1);

  // The operator re-queues it; with the fault gone it is reduced.
  v1::RetryFailedEventsRequest retry;
  retry.set_site_id(site_id());
  retry.set_all(true);
  v1::RetryFailedEventsResponse retried;
  auto context = AuthorizedContext(kAdminToken);
  ASSERT_TRUE(
      stack_->admin().RetryFailedEvents(context.get(), retry, &retried).ok());
  EXPECT_EQ(retried.requeued(), 1);
  EXPECT_EQ(Backlog().pending(), 1);
  ReducerReplica healthy(stack_->db().url(), 500);
  absl::StatusOr<int> reduced = healthy.Drain();
  ASSERT_TRUE(reduced.ok());
  EXPECT_EQ(*reduced, 1);
  ASSERT_TRUE(stack_
                  ->GetOverview(site_.read_key(), site_id(), h0,
                                h0 + absl::Hours(2), &overview)
                  .ok());
  EXPECT_EQ(overview.events(), 201);
  EXPECT_EQ(overview.pending_events(), 0);
  EXPECT_EQ(ListFailed(v1::FAILED_EVENT_STATE_UNSPECIFIED).events_size(), 0);
}

TEST_F(FailedEventsTest, RetryNeedsIdsOrAll) {
  v1::RetryFailedEventsRequest retry;
  retry.set_site_id(site_id());
  v1::RetryFailedEventsResponse retried;
  auto context = AuthorizedContext(kAdminToken);
  EXPECT_EQ(stack_->admin()
                .RetryFailedEvents(context.get(), retry, &retried)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  retry.add_event_ids(12345);  // not a failed event: ignored
  auto context2 = AuthorizedContext(kAdminToken);
  grpc::Status status =
      stack_->admin().RetryFailedEvents(context2.get(), retry, &retried);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(retried.requeued(), 0);
}

TEST_F(FailedEventsTest, VerifyFindsDamageAndRebuildRepairsIt) {
  const absl::Time start = FloorHour(absl::Now()) - absl::Hours(40);
  const absl::Duration span = absl::Hours(30);
  std::vector<ScenarioEvent> events =
      RandomTraffic(start, span, 80, absl::Minutes(30), /*seed=*/8);
  for (const auto& request : ToRequests(events, 300)) {
    v1::IngestResponse response;
    ASSERT_TRUE(stack_->Ingest(site_.write_key(), request, &response).ok());
  }
  ASSERT_TRUE(stack_->Drain(64).ok());

  // What the reducer built incrementally equals a recomputation.
  v1::RollupCheckResponse clean = CheckRollups(start, start + span, false);
  EXPECT_EQ(clean.rows_different(), 0);
  EXPECT_GT(clean.rows_checked(), 50);
  EXPECT_EQ(TimeUtil::TimestampToMicroseconds(clean.from()),
            absl::ToUnixMicros(FloorDay(start)));

  // Damage one hour row.
  const absl::Time hour = FloorHour(events.front().at);
  stack_->db().Query(
      "UPDATE rollups SET events = events + 5, bounces = bounces + 1"
      " WHERE site_id = $1 AND granularity = 0 AND dimension = 0"
      " AND bucket_start = $2",
      site_id(), ToPgTimestamp(hour));
  v1::RollupCheckResponse damaged = CheckRollups(start, start + span, false);
  ASSERT_EQ(damaged.rows_different(), 1);
  const v1::RollupDifference& d = damaged.differences(0);
  EXPECT_EQ(d.granularity(), 0);
  EXPECT_EQ(d.dimension(), 0);
  EXPECT_EQ(TimeUtil::TimestampToMicroseconds(d.bucket_start()),
            absl::ToUnixMicros(hour));
  EXPECT_EQ(d.actual().events(), d.expected().events() + 5);
  EXPECT_EQ(d.actual().bounces(), d.expected().bounces() + 1);
  EXPECT_FALSE(damaged.rewritten());

  v1::RollupCheckResponse rebuilt = CheckRollups(start, start + span, true);
  EXPECT_EQ(rebuilt.rows_different(), 1);
  EXPECT_TRUE(rebuilt.rewritten());
  EXPECT_EQ(CheckRollups(start, start + span, false).rows_different(), 0);
  v1::Overview overview;
  ASSERT_TRUE(stack_
                  ->GetOverview(site_.read_key(), site_id(), start,
                                start + span, &overview)
                  .ok());
  ExpectOverviewMatches(Recount(events, start, start + span, absl::Minutes(30)),
                        overview);

  // Later passes still count first visits right in rebuilt buckets.
  std::vector<ScenarioEvent> late = PricingFunnel(hour, 2);
  for (auto& e : late) e.event_id = "late-" + e.event_id;
  v1::IngestResponse response;
  ASSERT_TRUE(
      stack_->Ingest(site_.write_key(), ToRequests(late, 100)[0], &response)
          .ok());
  ASSERT_TRUE(stack_->Drain().ok());
  EXPECT_EQ(CheckRollups(start, start + span, false).rows_different(), 0);
}

}  // namespace
}  // namespace analytics::testing
