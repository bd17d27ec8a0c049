// Ingest -> reduce -> GetOverview through the real services and a real
// PostgreSQL: exact totals for the acceptance scenario, idempotent retries,
// out-of-order delivery across batches and random millisecond-edged ranges
// checked against an independent recount of the generated events.
#include <algorithm>
#include <random>

#include "common/time/pg_time.h"
#include "gtest/gtest.h"
#include "tests/support/scenario.h"
#include "tests/support/stack.h"

namespace analytics::testing {
namespace {

constexpr absl::Duration kSessionTimeout = absl::Minutes(30);

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ServiceStack>> stack = ServiceStack::Start();
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = std::move(*stack);
    absl::StatusOr<v1::CreateSiteResponse> site = stack_->CreateSite("shop");
    ASSERT_TRUE(site.ok()) << site.status();
    site_ = *site;
  }

  // Sends every request and expects each event accepted exactly once.
  void IngestAll(const std::vector<v1::IngestRequest>& requests) {
    for (const auto& request : requests) {
      v1::IngestResponse response;
      grpc::Status status =
          stack_->Ingest(site_.write_key(), request, &response);
      ASSERT_TRUE(status.ok()) << status.error_message();
      ASSERT_EQ(response.accepted(), request.events_size());
      ASSERT_EQ(response.duplicates(), 0);
      ASSERT_EQ(response.rejected_size(), 0) << response.rejected(0).reason();
    }
  }

  v1::Overview Overview(absl::Time from, absl::Time to) {
    v1::Overview overview;
    grpc::Status status = stack_->GetOverview(
        site_.read_key(), site_.site().site_id(), from, to, &overview);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return overview;
  }

  void ExpectMatches(const ExpectedOverview& expected,
                     const v1::Overview& actual, const std::string& what) {
    SCOPED_TRACE(what);
    ExpectOverviewMatches(expected, actual);
  }

  std::unique_ptr<ServiceStack> stack_;
  v1::CreateSiteResponse site_;
};

absl::Time RecentHour(int hours_ago) {
  return FloorHour(absl::Now()) - absl::Hours(hours_ago);
}

TEST_F(PipelineTest, FunnelIsExactOverBothHoursAndEachHour) {
  const absl::Time h0 = RecentHour(3);
  IngestAll(ToRequests(PricingFunnel(h0, 120), 100));

  // Accepted but not reduced: visible as pending, not yet in the numbers.
  v1::Overview before = Overview(h0, h0 + absl::Hours(2));
  EXPECT_EQ(before.pending_events(), 600);
  EXPECT_EQ(before.events(), 0);

  absl::StatusOr<int> reduced = stack_->Drain();
  ASSERT_TRUE(reduced.ok()) << reduced.status();
  EXPECT_EQ(*reduced, 600);

  v1::Overview both = Overview(h0, h0 + absl::Hours(2));
  EXPECT_EQ(both.events(), 600);
  EXPECT_EQ(both.pageviews(), 240);
  EXPECT_EQ(both.sessions(), 120);
  EXPECT_EQ(both.visitors(), 120);
  EXPECT_EQ(both.bounce_rate(), 0.0);
  EXPECT_EQ(both.average_session_duration().seconds(), 4);
  EXPECT_EQ(both.average_session_duration().nanos(), 0);
  EXPECT_EQ(both.pending_events(), 0);

  for (int hour = 0; hour < 2; ++hour) {
    SCOPED_TRACE(hour);
    v1::Overview one =
        Overview(h0 + absl::Hours(hour), h0 + absl::Hours(hour + 1));
    EXPECT_EQ(one.events(), 300);
    EXPECT_EQ(one.pageviews(), 120);
    EXPECT_EQ(one.sessions(), 60);
    EXPECT_EQ(one.visitors(), 60);
    EXPECT_EQ(one.bounce_rate(), 0.0);
    EXPECT_EQ(one.average_session_duration().seconds(), 4);
  }

  // Edges inside the hour come from raw events: the first visitor's events
  // are at h0+0..4 s, so [h0+1.5 s, h0+3.5 s) holds its track and pageview.
  v1::Overview slice =
      Overview(h0 + absl::Milliseconds(1500), h0 + absl::Milliseconds(3500));
  EXPECT_EQ(slice.events(), 2);
  EXPECT_EQ(slice.pageviews(), 1);
  EXPECT_EQ(slice.sessions(), 0);
  EXPECT_EQ(slice.visitors(), 1);

  v1::Overview empty = Overview(h0, h0);
  EXPECT_EQ(empty.events(), 0);
  EXPECT_EQ(empty.sessions(), 0);
  EXPECT_EQ(empty.visitors(), 0);
}

TEST_F(PipelineTest, RetriedEventIdsAreStoredAndCountedOnce) {
  const absl::Time h0 = RecentHour(5);
  const auto requests = ToRequests(PricingFunnel(h0, 40), 50);
  IngestAll(requests);
  // A retry before and after reduction: every event is a duplicate.
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round);
    for (const auto& request : requests) {
      v1::IngestResponse response;
      ASSERT_TRUE(stack_->Ingest(site_.write_key(), request, &response).ok());
      EXPECT_EQ(response.accepted(), 0);
      EXPECT_EQ(response.duplicates(), request.events_size());
    }
    ASSERT_TRUE(stack_->Drain().ok());
  }
  EXPECT_EQ(stack_->db().QueryInt("SELECT count(*) FROM events"), 200);
  EXPECT_EQ(stack_->db().QueryInt("SELECT count(*) FROM event_queue"), 0);
  v1::Overview overview = Overview(h0, h0 + absl::Hours(2));
  EXPECT_EQ(overview.events(), 200);
  EXPECT_EQ(overview.sessions(), 40);

  // Duplicates inside one request count once too.
  v1::IngestRequest twice;
  v1::Event event = ToProto(PricingFunnel(h0, 2)[0]);
  event.set_event_id("same-id");
  *twice.add_events() = event;
  *twice.add_events() = event;
  v1::IngestResponse response;
  ASSERT_TRUE(stack_->Ingest(site_.write_key(), twice, &response).ok());
  EXPECT_EQ(response.accepted(), 1);
  EXPECT_EQ(response.duplicates(), 1);
}

TEST_F(PipelineTest, EventsWithoutIdAreNeverDeduplicated) {
  const absl::Time h0 = RecentHour(2);
  v1::IngestRequest request;
  v1::Event event = ToProto(PricingFunnel(h0, 2)[1]);
  event.clear_event_id();
  *request.add_events() = event;
  *request.add_events() = event;
  v1::IngestResponse response;
  ASSERT_TRUE(stack_->Ingest(site_.write_key(), request, &response).ok());
  EXPECT_EQ(response.accepted(), 2);
  ASSERT_TRUE(stack_->Drain().ok());
  EXPECT_EQ(Overview(h0, h0 + absl::Hours(1)).pageviews(), 2);
}

TEST_F(PipelineTest, RandomRangesMatchRecountOfRawEvents) {
  // ~55 hours of traffic crossing at least two UTC midnights, delivered
  // shuffled in odd-sized requests and reduced in small passes between
  // deliveries, so sessions are assembled across batches out of order.
  const absl::Time start = RecentHour(60);
  const absl::Duration span = absl::Hours(55);
  std::vector<ScenarioEvent> events =
      RandomTraffic(start, span, 60, kSessionTimeout, /*seed=*/20261129);
  ASSERT_GT(events.size(), 300u);
  std::mt19937 rng(7);
  std::shuffle(events.begin(), events.end(), rng);
  const auto requests = ToRequests(events, 97);
  for (size_t i = 0; i < requests.size(); ++i) {
    IngestAll({requests[i]});
    if (i % 2 == 1) {
      ReducerReplica replica(stack_->db().url(), 53);
      ASSERT_TRUE(replica.Drain().ok());
    }
  }
  ASSERT_TRUE(stack_->Drain(53).ok());

  ExpectMatches(Recount(events, start, start + span, kSessionTimeout),
                Overview(start, start + span), "everything");
  ExpectMatches(Recount(events, FloorDay(start + absl::Hours(24)),
                        FloorDay(start + absl::Hours(48)), kSessionTimeout),
                Overview(FloorDay(start + absl::Hours(24)),
                         FloorDay(start + absl::Hours(48))),
                "one whole day");

  const int64_t lo = absl::ToUnixMillis(start - absl::Hours(2));
  const int64_t hi = absl::ToUnixMillis(start + span + absl::Hours(2));
  std::uniform_int_distribution<int64_t> millis(lo, hi);
  for (int i = 0; i < 150; ++i) {
    int64_t a = millis(rng), b = millis(rng);
    if (a > b) std::swap(a, b);
    // Every fifth range snaps one edge to an hour to mix aligned edges in.
    absl::Time from = absl::FromUnixMillis(a);
    if (i % 5 == 0) from = FloorHour(from);
    const absl::Time to = absl::FromUnixMillis(b);
    ExpectMatches(Recount(events, from, to, kSessionTimeout),
                  Overview(from, to),
                  absl::StrCat("[", absl::FormatTime(from), ", ",
                               absl::FormatTime(to), ")"));
    if (HasFailure()) break;
  }
}

TEST_F(PipelineTest, SessionsAreTheSameForShuffledAndOrderedDelivery) {
  const absl::Time start = RecentHour(30);
  std::vector<ScenarioEvent> events =
      RandomTraffic(start, absl::Hours(24), 25, kSessionTimeout, /*seed=*/42);
  std::sort(events.begin(), events.end(),
            [](const ScenarioEvent& a, const ScenarioEvent& b) {
              return a.at < b.at;
            });
  absl::StatusOr<v1::CreateSiteResponse> other = stack_->CreateSite("shuffled");
  ASSERT_TRUE(other.ok());

  IngestAll(ToRequests(events, 500));
  ASSERT_TRUE(stack_->Drain().ok());

  std::mt19937 rng(99);
  std::shuffle(events.begin(), events.end(), rng);
  for (const auto& request : ToRequests(events, 7)) {
    v1::IngestResponse response;
    ASSERT_TRUE(stack_->Ingest(other->write_key(), request, &response).ok());
    ASSERT_EQ(response.accepted(), request.events_size());
    ReducerReplica replica(stack_->db().url(), 3);
    ASSERT_TRUE(replica.Drain().ok());
  }

  const std::string sessions_of =
      "SELECT string_agg(concat_ws('|', session_id, started_at, last_seen_at,"
      " pageviews, events, entry_path, exit_path, visitor_id, referrer,"
      " utm_source, device, country), ';'"
      " ORDER BY session_id, started_at) FROM sessions WHERE site_id = $1";
  const std::string ordered =
      stack_->db()
          .Query(sessions_of, site_.site().site_id())[0][0]
          .as<std::string>();
  const std::string shuffled =
      stack_->db()
          .Query(sessions_of, other->site().site_id())[0][0]
          .as<std::string>();
  EXPECT_FALSE(ordered.empty());
  EXPECT_EQ(ordered, shuffled);

  const std::string rollups_of =
      "SELECT string_agg(concat_ws('|', granularity, dimension, key,"
      " bucket_start, events, pageviews, visitors, sessions, bounces,"
      " duration_us), ';' ORDER BY granularity, dimension, key, bucket_start)"
      " FROM rollups WHERE site_id = $1";
  EXPECT_EQ(stack_->db()
                .Query(rollups_of, site_.site().site_id())[0][0]
                .as<std::string>(),
            stack_->db()
                .Query(rollups_of, other->site().site_id())[0][0]
                .as<std::string>());
  EXPECT_EQ(
      stack_->db().QueryInt("SELECT count(*) FROM rollups WHERE bounces < 0"
                            " OR sessions < 0 OR duration_us < 0"),
      0);
}

}  // namespace
}  // namespace analytics::testing

namespace analytics::testing {
namespace {

TEST_F(PipelineTest, BotsAreStoredButLeftOutAndDevicesComeFromUserAgents) {
  const absl::Time h0 = RecentHour(2);
  v1::IngestRequest request;
  v1::Event human = ToProto(PricingFunnel(h0, 2)[1]);
  human.mutable_context()->set_user_agent(
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
      "like Gecko) Chrome/131.0.0.0 Safari/537.36");
  *request.add_events() = human;
  v1::Event crawler = ToProto(PricingFunnel(h0, 4)[6]);
  crawler.set_type(v1::PAGEVIEW);
  crawler.mutable_context()->set_user_agent(
      "Mozilla/5.0 (compatible; Googlebot/2.1; "
      "+http://www.google.com/bot.html)");
  *request.add_events() = crawler;
  IngestAll({request});
  ASSERT_TRUE(stack_->Drain().ok());

  v1::Overview overview = Overview(h0, h0 + absl::Hours(1));
  EXPECT_EQ(overview.events(), 1);
  EXPECT_EQ(overview.pageviews(), 1);
  EXPECT_EQ(overview.sessions(), 1);
  EXPECT_EQ(overview.visitors(), 1);
  // Also in the raw edges of a partial hour.
  v1::Overview edge = Overview(h0 + absl::Milliseconds(1), h0 + absl::Hours(1));
  EXPECT_EQ(edge.events(), 1);
  EXPECT_EQ(edge.visitors(), 1);
  EXPECT_EQ(stack_->db().QueryInt("SELECT count(*) FROM events WHERE bot"), 1);
  pqxx::result row = stack_->db().Query(
      "SELECT device, browser, os FROM events WHERE NOT bot");
  ASSERT_EQ(row.size(), 1u);
  EXPECT_EQ(row[0][0].as<std::string>(), "desktop");
  EXPECT_EQ(row[0][1].as<std::string>(), "Chrome");
  EXPECT_EQ(row[0][2].as<std::string>(), "Windows");
  EXPECT_EQ(stack_->db().QueryInt("SELECT count(*) FROM event_queue"), 0);
  EXPECT_EQ(stack_->db().QueryInt("SELECT count(*) FROM visitors"), 1);
}

}  // namespace
}  // namespace analytics::testing
