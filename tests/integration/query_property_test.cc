// Property test of the query API: random traffic for several sites, then
// random millisecond-edged ranges, time zones (half- and quarter-hour
// offsets included) and intervals; every metric of every bucket, and of the
// comparison period, must equal a brute-force recount of the generated
// events.
#include <algorithm>
#include <random>

#include "common/time/pg_time.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "tests/support/scenario.h"
#include "tests/support/stack.h"

namespace analytics::testing {
namespace {

using google::protobuf::util::TimeUtil;

constexpr absl::Duration kSessionTimeout = absl::Minutes(30);

absl::Time FromProto(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(ts));
}

void ExpectMetrics(const ExpectedOverview& expected, const v1::Metrics& m) {
  EXPECT_EQ(m.events(), expected.events);
  EXPECT_EQ(m.pageviews(), expected.pageviews);
  EXPECT_EQ(m.sessions(), expected.sessions);
  EXPECT_EQ(m.visitors(), expected.visitors);
  EXPECT_DOUBLE_EQ(
      m.bounce_rate(),
      expected.sessions == 0
          ? 0.0
          : static_cast<double>(expected.bounces) / expected.sessions);
  EXPECT_EQ(
      TimeUtil::DurationToMicroseconds(m.average_session_duration()),
      expected.sessions == 0 ? 0 : expected.duration_us / expected.sessions);
}

TEST(QueryPropertyTest, TimeseriesAndComparisonMatchRecountEverywhere) {
  absl::StatusOr<std::unique_ptr<ServiceStack>> started = ServiceStack::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  ServiceStack& stack = **started;

  const absl::Time start = FloorHour(absl::Now()) - absl::Hours(80);
  const absl::Duration span = absl::Hours(76);
  struct SiteData {
    v1::CreateSiteResponse site;
    std::vector<ScenarioEvent> events;
  };
  std::vector<SiteData> sites;
  std::mt19937 rng(1129);
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<v1::CreateSiteResponse> site =
        stack.CreateSite(absl::StrCat("prop-", i));
    ASSERT_TRUE(site.ok()) << site.status();
    std::vector<ScenarioEvent> events =
        RandomTraffic(start, span, 40 + 30 * i, kSessionTimeout, 100 + i);
    // Late and out of order: shuffled, in small requests.
    std::shuffle(events.begin(), events.end(), rng);
    for (const auto& request : ToRequests(events, 61)) {
      v1::IngestResponse response;
      ASSERT_TRUE(stack.Ingest(site->write_key(), request, &response).ok());
      ASSERT_EQ(response.accepted(), request.events_size());
    }
    sites.push_back({*site, std::move(events)});
  }
  ASSERT_TRUE(stack.Drain(97).ok());

  const char* kZones[] = {
      "UTC",           "Asia/Kolkata",     "Asia/Kathmandu",
      "Europe/Berlin", "America/New_York", "Australia/Adelaide"};
  const int64_t lo = absl::ToUnixMillis(start - absl::Hours(3));
  const int64_t hi = absl::ToUnixMillis(start + span + absl::Hours(3));
  std::uniform_int_distribution<int64_t> millis(lo, hi);
  int buckets_checked = 0;
  for (int round = 0; round < 300 && !::testing::Test::HasFailure(); ++round) {
    const SiteData& data = sites[round % sites.size()];
    int64_t a = millis(rng), b = millis(rng);
    if (a > b) std::swap(a, b);
    const absl::Time from = absl::FromUnixMillis(a);
    const absl::Time to = absl::FromUnixMillis(b);
    const std::string zone = kZones[round % 6];
    // An interval that keeps the series reasonably short.
    const absl::Duration length = to - from;
    const v1::Interval interval = length < absl::Hours(30) ? v1::HOUR
                                  : round % 3 == 0         ? v1::WEEK
                                  : round % 3 == 1         ? v1::MONTH
                                                           : v1::DAY;
    SCOPED_TRACE(absl::StrCat(
        "round ", round, " ", zone, " ", v1::Interval_Name(interval), " [",
        absl::FormatTime(from), ", ", absl::FormatTime(to), ")"));

    v1::GetTimeseriesRequest request;
    request.set_site_id(data.site.site().site_id());
    *request.mutable_from() = TimeUtil::MillisecondsToTimestamp(a);
    *request.mutable_to() = TimeUtil::MillisecondsToTimestamp(b);
    request.set_interval(interval);
    request.set_time_zone(zone);
    v1::Timeseries series;
    auto context = AuthorizedContext(data.site.read_key());
    grpc::Status status =
        stack.query().GetTimeseries(context.get(), request, &series);
    ASSERT_TRUE(status.ok()) << status.error_message();
    // The points tile [from, to) exactly.
    absl::Time cursor = from;
    for (const v1::TimeseriesPoint& point : series.points()) {
      const absl::Time p_from = FromProto(point.from());
      const absl::Time p_to = FromProto(point.to());
      EXPECT_EQ(p_from, cursor);
      EXPECT_LT(p_from, p_to);
      EXPECT_LE(FromProto(point.bucket_start()), p_from);
      ExpectMetrics(Recount(data.events, p_from, p_to, kSessionTimeout),
                    point.metrics());
      cursor = p_to;
      ++buckets_checked;
    }
    EXPECT_EQ(cursor, to);

    // The overview of the same range with its previous period.
    v1::GetOverviewRequest overview_request =
        OverviewRequest(data.site.site().site_id(), from, to);
    overview_request.set_compare_previous(true);
    v1::Overview overview;
    auto context2 = AuthorizedContext(data.site.read_key());
    ASSERT_TRUE(stack.query()
                    .GetOverview(context2.get(), overview_request, &overview)
                    .ok());
    const ExpectedOverview now =
        Recount(data.events, from, to, kSessionTimeout);
    ExpectOverviewMatches(now, overview);
    const ExpectedOverview before =
        Recount(data.events, from - (to - from), from, kSessionTimeout);
    ExpectMetrics(before, overview.previous());
    EXPECT_EQ(overview.change().has_events(), before.events != 0);
    if (before.events != 0) {
      EXPECT_DOUBLE_EQ(overview.change().events(),
                       static_cast<double>(now.events - before.events) /
                           static_cast<double>(before.events));
    }
  }
  EXPECT_GT(buckets_checked, 1000);
}

TEST(QueryPropertyTest, TimeseriesRejectsBadIntervalAndZone) {
  absl::StatusOr<std::unique_ptr<ServiceStack>> started = ServiceStack::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  ServiceStack& stack = **started;
  absl::StatusOr<v1::CreateSiteResponse> site = stack.CreateSite("zones");
  ASSERT_TRUE(site.ok());
  const absl::Time now = absl::Now();
  v1::GetTimeseriesRequest request;
  request.set_site_id(site->site().site_id());
  *request.mutable_from() = TimeUtil::MicrosecondsToTimestamp(
      absl::ToUnixMicros(now - absl::Hours(5)));
  *request.mutable_to() =
      TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(now));
  v1::Timeseries series;
  auto c1 = AuthorizedContext(site->read_key());
  grpc::Status no_interval =
      stack.query().GetTimeseries(c1.get(), request, &series);
  EXPECT_EQ(no_interval.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(no_interval.error_message().find("interval"), std::string::npos);

  request.set_interval(v1::HOUR);
  request.set_time_zone("Mars/Olympus_Mons");
  auto c2 = AuthorizedContext(site->read_key());
  grpc::Status bad_zone =
      stack.query().GetTimeseries(c2.get(), request, &series);
  EXPECT_EQ(bad_zone.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad_zone.error_message().find("time_zone"), std::string::npos);

  // Empty zone: the site's (UTC by default); five or six hour buckets.
  request.clear_time_zone();
  auto c3 = AuthorizedContext(site->read_key());
  ASSERT_TRUE(stack.query().GetTimeseries(c3.get(), request, &series).ok());
  EXPECT_EQ(series.time_zone(), "UTC");
  EXPECT_GE(series.points_size(), 5);
  EXPECT_LE(series.points_size(), 6);
  for (const auto& point : series.points()) {
    EXPECT_EQ(point.metrics().events(), 0);
  }
}

}  // namespace
}  // namespace analytics::testing
