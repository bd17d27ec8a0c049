// The documented regimes of distinct counts (README "Distinct counts",
// migration 0006): exact up to 2560 distinct ids across whole days, hours
// and raw edges, and within 2% at a million visitors. The million is seeded
// as day rollup rows whose sketches PostgreSQL builds from generated ids
// (reducing a million events would take minutes); the edge events go
// through Ingest and the reducer, so GetOverview and GetBreakdown merge
// seeded sketches, reducer-written sketches and raw edges as in production.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/time/pg_time.h"
#include "common/time/proto_time.h"
#include "gtest/gtest.h"
#include "tests/support/scenario.h"
#include "tests/support/stack.h"

namespace analytics::testing {
namespace {

class DistinctCountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ServiceStack>> stack = ServiceStack::Start();
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = std::move(*stack);
    absl::StatusOr<v1::CreateSiteResponse> site = stack_->CreateSite("many");
    ASSERT_TRUE(site.ok()) << site.status();
    site_ = *site;
  }

  int64_t site_id() const { return site_.site().site_id(); }

  // Ingests `events` (in requests of 500) and reduces them.
  void IngestAndReduce(const std::vector<ScenarioEvent>& events) {
    for (const v1::IngestRequest& request : ToRequests(events, 500)) {
      v1::IngestResponse response;
      grpc::Status status =
          stack_->Ingest(site_.write_key(), request, &response);
      ASSERT_TRUE(status.ok()) << status.error_message();
      ASSERT_EQ(response.accepted(), request.events_size());
    }
    absl::StatusOr<int> reduced = stack_->Drain();
    ASSERT_TRUE(reduced.ok()) << reduced.status();
    ASSERT_EQ(*reduced, static_cast<int>(events.size()));
  }

  v1::Overview Overview(absl::Time from, absl::Time to) {
    v1::Overview overview;
    grpc::Status status =
        stack_->GetOverview(site_.read_key(), site_id(), from, to, &overview);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return overview;
  }

  v1::Breakdown Pages(absl::Time from, absl::Time to) {
    v1::GetBreakdownRequest request;
    request.set_site_id(site_id());
    *request.mutable_from() = ToProtoTimestamp(from);
    *request.mutable_to() = ToProtoTimestamp(to);
    request.set_dimension(v1::DIMENSION_PAGE);
    v1::Breakdown response;
    auto context = AuthorizedContext(site_.read_key());
    grpc::Status status =
        stack_->query().GetBreakdown(context.get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  v1::RollupCheckResponse CheckRollups(absl::Time from, absl::Time to,
                                       bool rebuild) {
    return stack_->CheckRollups(site_id(), from, to, rebuild);
  }

  std::unique_ptr<ServiceStack> stack_;
  v1::CreateSiteResponse site_;
};

ScenarioEvent Pageview(std::string visitor, absl::Time at) {
  ScenarioEvent e;
  e.type = v1::PAGEVIEW;
  e.session_id = absl::StrCat("s-", visitor);
  e.visitor_id = std::move(visitor);
  // Not `= "/"`: GCC 12 misreports that assignment (-Wrestrict, bug 105329).
  e.path.push_back('/');
  e.at = at;
  return e;
}

// 2560 visitors, each active on two days and in a partial hour: every range
// that holds all of them (days only, days and hours, with raw edges on both
// sides) counts exactly 2560.
TEST_F(DistinctCountTest, ExactUpTo2560AcrossDaysHoursAndEdges) {
  constexpr int kVisitors = static_cast<int>(kExactDistinctLimit);
  const absl::Time day = FloorDay(absl::Now()) - absl::Hours(24 * 5);
  std::vector<ScenarioEvent> events;
  for (int i = 0; i < kVisitors; ++i) {
    const std::string v = absl::StrCat("visitor-", i);
    // Day 1 (in a whole hour), day 2 at 10:00-10:42, and half of them again
    // on day 3 at 00:10-00:52 (a partial hour of the ranges below).
    events.push_back(Pageview(v, day + absl::Hours(3) + absl::Seconds(i)));
    events.push_back(
        Pageview(v, day + absl::Hours(24 + 10) + absl::Seconds(i)));
    if (i % 2 == 0) {
      events.push_back(Pageview(
          v, day + absl::Hours(48) + absl::Minutes(10) + absl::Seconds(i)));
    }
  }
  ASSERT_NO_FATAL_FAILURE(IngestAndReduce(events));

  struct Case {
    const char* what;
    absl::Time from;
    absl::Time to;
    int64_t visitors;
  };
  const Case cases[] = {
      {"two whole days", day, day + absl::Hours(48), kVisitors},
      {"days and a raw edge", day, day + absl::Hours(48) + absl::Minutes(31),
       kVisitors},
      {"edges on both sides", day + absl::Minutes(90),
       day + absl::Hours(48) + absl::Minutes(31), kVisitors},
      {"hours of day 2", day + absl::Hours(34), day + absl::Hours(35),
       kVisitors},
      {"part of day 3's hour", day + absl::Hours(48),
       day + absl::Hours(48) + absl::Minutes(10) + absl::Seconds(100),
       50},  // visitors 0, 2, .., 98
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(Overview(c.from, c.to).visitors(), c.visitors);
    const v1::Breakdown pages = Pages(c.from, c.to);
    ASSERT_EQ(pages.rows_size(), 1);
    EXPECT_EQ(pages.rows(0).key(), "/");
    EXPECT_EQ(pages.rows(0).visitors(), c.visitors);
    EXPECT_EQ(pages.rows(0).sessions(), c.visitors);
  }

  // One more leaves the exact regime: an estimate, within 2% (linear
  // counting over 2^15 registers is off by about 10 here).
  ASSERT_NO_FATAL_FAILURE(IngestAndReduce(
      {Pageview("one-more", day + absl::Hours(5) + absl::Seconds(1))}));
  const int64_t beyond = Overview(day, day + absl::Hours(48)).visitors();
  EXPECT_TRUE(DistinctCountAgrees(beyond, kVisitors + 1)) << beyond;
}

// Long ranges take the visitors of their inner days from visitor spans
// (pre-merged sketches of 4, 16, 64 and 256 days, migration 0009). 300
// visitors, each active on 3 random days of 150 (some days more than once,
// at random times): for 300 random ranges with millisecond edges the
// overview's visitors equal a recount, so the spans the reducer wrote hold
// exactly their days' visitors. VerifyRollups finds a damaged span, the
// overview over it is wrong, and RebuildRollups repairs both.
TEST_F(DistinctCountTest, VisitorSpansKeepLongRangesExact) {
  constexpr int kVisitors = 300;
  constexpr int kDays = 150;
  const absl::Time first =
      FloorDay(absl::Now()) - absl::Hours(24 * (kDays + 2));
  const absl::Time end = first + absl::Hours(24 * kDays);
  std::mt19937_64 rng(9009);
  std::vector<ScenarioEvent> events;
  for (int i = 0; i < kVisitors; ++i) {
    for (int k = 0; k < 3; ++k) {
      const absl::Time at =
          first + absl::Milliseconds(std::uniform_int_distribution<int64_t>(
                      0, int64_t{kDays} * 86400000 - 1)(rng));
      events.push_back(Pageview(absl::StrCat("sv-", i), at));
    }
  }
  ASSERT_NO_FATAL_FAILURE(IngestAndReduce(events));
  const auto recount = [&](absl::Time from, absl::Time to) {
    std::set<std::string> visitors;
    for (const ScenarioEvent& e : events) {
      if (e.at >= from && e.at < to) visitors.insert(e.visitor_id);
    }
    return static_cast<int64_t>(visitors.size());
  };
  // Blocks of each length holding an event's day, as the reducer keys them.
  std::set<std::pair<int, int64_t>> blocks;
  for (const ScenarioEvent& e : events) {
    const int64_t day = absl::ToUnixSeconds(e.at) / 86400;
    for (int days : {4, 16, 64, 256}) blocks.insert({days, day / days});
  }

  const v1::RollupCheckResponse clean = CheckRollups(first, end, false);
  EXPECT_EQ(clean.rows_different(), 0);
  EXPECT_EQ(clean.spans_checked(), static_cast<int64_t>(blocks.size()));
  EXPECT_EQ(clean.spans_different(), 0);

  int long_ranges = 0;
  for (int round = 0; round < 300; ++round) {
    const int64_t a = std::uniform_int_distribution<int64_t>(
        0, int64_t{kDays} * 86400000)(rng);
    const int64_t b = std::uniform_int_distribution<int64_t>(
        0, int64_t{kDays} * 86400000)(rng);
    const absl::Time from = first + absl::Milliseconds(std::min(a, b));
    const absl::Time to = first + absl::Milliseconds(std::max(a, b));
    if (to - from >= absl::Hours(24 * 10)) ++long_ranges;
    SCOPED_TRACE(absl::StrCat("[", absl::FormatTime(from), ", ",
                              absl::FormatTime(to), ")"));
    ASSERT_EQ(Overview(from, to).visitors(), recount(from, to));
  }
  EXPECT_GT(long_ranges, 100);  // most use spans of 4 days and more
  ASSERT_EQ(Overview(first, end).visitors(), kVisitors);

  // Damage: the 16-day span holding the 40th day forgets its visitors.
  const absl::Time day40 = first + absl::Hours(24 * 40);
  const int64_t block16 = absl::ToUnixSeconds(day40) / 86400 / 16 * 16;
  const absl::Time block_from = absl::FromUnixSeconds(block16 * 86400);
  const absl::Time block_to = block_from + absl::Hours(24 * 16);
  ASSERT_EQ(stack_->db()
                .Query("UPDATE visitor_spans SET visitors_hll = "
                       "hll_empty(15, 5, -1, 1) WHERE site_id = $1 AND "
                       "days = 16 AND span_start = $2 RETURNING 1",
                       site_id(), ToPgTimestamp(block_from))
                .size(),
            1u);
  const int64_t in_block = recount(block_from, block_to);
  ASSERT_GT(in_block, 0);
  // [block - 1 ms, block end + 1 ms): the block is read as that one span.
  const absl::Time around_from = block_from - absl::Milliseconds(1);
  const absl::Time around_to = block_to + absl::Milliseconds(1);
  EXPECT_LT(Overview(around_from, around_to).visitors(),
            recount(around_from, around_to));
  const v1::RollupCheckResponse damaged = CheckRollups(first, end, false);
  EXPECT_EQ(damaged.rows_different(), 0);
  EXPECT_EQ(damaged.spans_checked(), clean.spans_checked());
  EXPECT_EQ(damaged.spans_different(), 1);

  const v1::RollupCheckResponse rebuilt = CheckRollups(first, end, true);
  EXPECT_TRUE(rebuilt.rewritten());
  EXPECT_EQ(rebuilt.spans_different(), 1);  // as found, before the rewrite
  const v1::RollupCheckResponse again = CheckRollups(first, end, false);
  EXPECT_EQ(again.spans_checked(), clean.spans_checked());
  EXPECT_EQ(again.spans_different(), 0);
  EXPECT_EQ(Overview(around_from, around_to).visitors(),
            recount(around_from, around_to));
  EXPECT_EQ(Overview(first, end).visitors(), kVisitors);
}

// A million distinct visitors over ten days (each day's sketch holds 280,000
// of them, overlapping the next days'), plus 500 visitors seen only in a
// raw edge and 500 already counted ones there: GetOverview and GetBreakdown
// report 1,000,500 within 2%, and the additive counts exactly.
TEST_F(DistinctCountTest, WithinTwoPercentAtAMillion) {
  constexpr int64_t kDays = 10;
  constexpr int64_t kStep = 80000;
  constexpr int64_t kPerDay = 280000;
  constexpr int64_t kSeeded = (kDays - 1) * kStep + kPerDay;  // 1,000,000
  const absl::Time first_day = FloorDay(absl::Now()) - absl::Hours(24 * 20);
  // Day rows of the overview and of page "/", the sketches over the ids as
  // the reducer hashes them (visitor "v<n>", session "s-v<n>").
  stack_->db().Query(
      R"sql(
      INSERT INTO rollups (site_id, granularity, dimension, key, bucket_start,
                           events, pageviews, visitors_hll, sessions_hll)
      SELECT $1::bigint, 1, dim.dimension, dim.key,
             $2::timestamptz + make_interval(days => d::integer),
             $5::bigint, $5::bigint,
             (SELECT hll_add_agg(hll_hash_text('v' || n), 15, 5, -1, 1)
              FROM generate_series(d * $4::bigint,
                                   d * $4::bigint + $5::bigint - 1) n),
             (SELECT hll_add_agg(hll_hash_text('s-v' || n), 15, 5, -1, 1)
              FROM generate_series(d * $4::bigint,
                                   d * $4::bigint + $5::bigint - 1) n)
      FROM generate_series(0, $3::bigint - 1) d,
           (VALUES (0::smallint, ''), (2::smallint, '/')) dim(dimension, key)
      )sql",
      site_id(), ToPgTimestamp(first_day), kDays, kStep, kPerDay);
  // And their visitor spans, as the reducer keeps them (migration 0009).
  stack_->db().Query(
      "INSERT INTO visitor_spans (site_id, days, span_start, visitors_hll) "
      "SELECT $1::bigint, s.* FROM visitor_spans_of_days($1, $2, $3) s",
      site_id(), ToPgTimestamp(first_day),
      ToPgTimestamp(first_day + absl::Hours(24 * kDays)));

  // The edge hour: 500 new visitors and 500 seeded ones at hh:00-hh:25.
  const absl::Time hour = first_day + absl::Hours(24 * kDays + 5);
  std::vector<ScenarioEvent> edge;
  for (int i = 0; i < 500; ++i) {
    edge.push_back(Pageview(absl::StrCat("w", i), hour + absl::Seconds(i)));
    // "v<n>" visitors' sessions were "s-v<n>" in the seed too.
    edge.push_back(Pageview(absl::StrCat("v", i * 1999),
                            hour + absl::Seconds(i) + absl::Milliseconds(500)));
  }
  ASSERT_NO_FATAL_FAILURE(IngestAndReduce(edge));

  const absl::Time from = first_day;
  const absl::Time to = hour + absl::Minutes(30);  // raw edge [hh:00, hh:30)
  constexpr int64_t kDistinct = kSeeded + 500;
  constexpr int64_t kEvents = kDays * kPerDay + 1000;
  const auto within_2_percent = [](int64_t actual) {
    return std::abs(static_cast<double>(actual - kDistinct)) <=
           0.02 * static_cast<double>(kDistinct);
  };

  const v1::Overview overview = Overview(from, to);
  EXPECT_EQ(overview.events(), kEvents);
  EXPECT_EQ(overview.pageviews(), kEvents);
  EXPECT_TRUE(within_2_percent(overview.visitors()))
      << overview.visitors() << " vs " << kDistinct;

  const v1::Breakdown pages = Pages(from, to);
  ASSERT_EQ(pages.rows_size(), 1);
  EXPECT_EQ(pages.rows(0).events(), kEvents);
  EXPECT_TRUE(within_2_percent(pages.rows(0).visitors()))
      << pages.rows(0).visitors() << " vs " << kDistinct;
  EXPECT_TRUE(within_2_percent(pages.rows(0).sessions()))
      << pages.rows(0).sessions() << " vs " << kDistinct;
  std::cerr << "[ distinct ] " << kDistinct << " visitors estimated as "
            << overview.visitors() << " (overview), "
            << pages.rows(0).visitors() << " visitors and "
            << pages.rows(0).sessions() << " sessions (page \"/\")\n";

  // Without the edge the estimate still covers the seeded million.
  const v1::Overview days_only =
      Overview(from, first_day + absl::Hours(24 * kDays));
  EXPECT_EQ(days_only.events(), kDays * kPerDay);
  EXPECT_LE(std::abs(static_cast<double>(days_only.visitors() - kSeeded)),
            0.02 * kSeeded)
      << days_only.visitors();
}

}  // namespace
}  // namespace analytics::testing
