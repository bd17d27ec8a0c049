// Fair claiming: a site with a large backlog must not hold back another
// site's fresh events. Site A's backlog is older than anything site B sends,
// so a strictly oldest-first claim would reduce B only after all of A; the
// fair claim (reducer-service/src/sql/claim_events.sql) gives every site
// with ready work a share of each pass and fills the rest from the backlog.
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/scenario.h"
#include "tests/support/stack.h"

namespace analytics::testing {
namespace {

constexpr int kBacklog = 20000;
constexpr int kBatch = 100;

// Queues `count` pageviews for `site_id` directly, as insert_events.sql
// stores them (event row and queue entry together), but enqueued an hour
// ago, so they are older than anything ingested during the test.
void InsertBacklog(TestDatabase& db, int64_t site_id, int count) {
  db.Query(
      "WITH stored AS ("
      "  INSERT INTO events (site_id, type, name, occurred_at, received_at,"
      "                      visitor_id, session_id, path)"
      "  SELECT $1, 1, '', now() - interval '10 hours' + g * interval '1 s',"
      "         now() - interval '1 hour', 'backlog-v' || (g % 200),"
      "         'backlog-s' || (g % 200), '/backlog'"
      "  FROM generate_series(1, $2::integer) AS g"
      "  RETURNING site_id, id, occurred_at)"
      "INSERT INTO event_queue (site_id, event_id, occurred_at, enqueued_at, "
      "next_attempt_at)"
      " SELECT site_id, id, occurred_at, now() - interval '1 hour',"
      " now() - interval '1 hour'"
      " FROM stored",
      site_id, count);
}

std::vector<ScenarioEvent> FreshEvents(const std::string& prefix, int count) {
  std::vector<ScenarioEvent> events;
  const absl::Time now = absl::Now();
  for (int i = 0; i < count; ++i) {
    ScenarioEvent e;
    e.event_id = absl::StrCat(prefix, "-", i);
    e.at = now - absl::Seconds(count - i);
    e.visitor_id = prefix + "-visitor";
    e.session_id = prefix + "-session";
    e.path = "/fresh";
    events.push_back(e);
  }
  return events;
}

class FairnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ServiceStack>> stack = ServiceStack::Start();
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = std::move(*stack);
    absl::StatusOr<v1::CreateSiteResponse> a = stack_->CreateSite("backlogged");
    ASSERT_TRUE(a.ok()) << a.status();
    a_ = *a;
    absl::StatusOr<v1::CreateSiteResponse> b = stack_->CreateSite("fresh");
    ASSERT_TRUE(b.ok()) << b.status();
    b_ = *b;
  }

  void IngestFresh(const std::string& prefix, int count) {
    for (const auto& request : ToRequests(FreshEvents(prefix, count), 500)) {
      v1::IngestResponse response;
      grpc::Status status = stack_->Ingest(b_.write_key(), request, &response);
      ASSERT_TRUE(status.ok()) << status.error_message();
      ASSERT_EQ(response.accepted(), request.events_size());
    }
  }

  int64_t Queued(const v1::CreateSiteResponse& site) {
    return stack_->db().QueryInt(
        "SELECT count(*) FROM event_queue WHERE site_id = $1",
        site.site().site_id());
  }

  // Events of `site` counted in its hourly overview rollups.
  int64_t Reduced(const v1::CreateSiteResponse& site) {
    return stack_->db().QueryInt(
        "SELECT coalesce(sum(events), 0) FROM rollups"
        " WHERE site_id = $1 AND granularity = 0 AND dimension = 0",
        site.site().site_id());
  }

  // Runs one pass of `replica`, which must claim a full batch and fail
  // nothing.
  void FullPass(ReducerReplica& replica) {
    absl::StatusOr<reducer::PassResult> pass = replica.worker().RunPass();
    ASSERT_TRUE(pass.ok()) << pass.status();
    EXPECT_EQ(pass->claimed.size(), static_cast<size_t>(kBatch));
    EXPECT_EQ(pass->reduced, kBatch);
    EXPECT_EQ(pass->failed, 0);
  }

  std::unique_ptr<ServiceStack> stack_;
  v1::CreateSiteResponse a_;
  v1::CreateSiteResponse b_;
};

TEST_F(FairnessTest, BacklogDoesNotDelayAnotherSitesFreshEvents) {
  InsertBacklog(stack_->db(), a_.site().site_id(), kBacklog);
  ASSERT_EQ(Queued(a_), kBacklog);
  IngestFresh("first", 10);
  ASSERT_EQ(Queued(b_), 10);

  ReducerReplica replica(stack_->db().url(), kBatch);
  int passes = 0;
  int64_t a_before = Queued(a_);
  while (Queued(b_) > 0 && passes < 2) {
    FullPass(replica);
    ++passes;
    // A keeps progressing: each pass gives the backlog what B leaves.
    const int64_t a_after = Queued(a_);
    EXPECT_LT(a_after, a_before) << "pass " << passes;
    a_before = a_after;
  }
  EXPECT_EQ(Queued(b_), 0) << "B still queued after " << passes << " passes";
  EXPECT_EQ(Reduced(b_), 10);
  // Full batches, so A got everything B did not need.
  EXPECT_EQ(Queued(a_), kBacklog - (passes * kBatch - 10));

  // Later fresh events of B are not delayed either, with A still backlogged.
  IngestFresh("second", 10);
  passes = 0;
  while (Queued(b_) > 0 && passes < 2) {
    FullPass(replica);
    ++passes;
  }
  EXPECT_EQ(Queued(b_), 0) << "B still queued after " << passes << " passes";
  EXPECT_EQ(Reduced(b_), 20);
  EXPECT_GT(Queued(a_), 0);

  // Fairness loses nothing: the backlog drains completely.
  absl::StatusOr<int> rest = stack_->Drain(500);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(stack_->db().QueryInt("SELECT count(*) FROM event_queue"), 0);
  EXPECT_EQ(Reduced(a_), kBacklog);
  EXPECT_EQ(Reduced(b_), 20);
}

}  // namespace
}  // namespace analytics::testing
