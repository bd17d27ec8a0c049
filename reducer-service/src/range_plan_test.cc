// RangePlan: the parts are disjoint and cover [from, to) exactly.
#include "reducer-service/src/range_plan.h"

#include <gtest/gtest.h>

namespace analytics::reducer {
namespace {

absl::Time At(const char* text) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, text, &t, &err)) << err;
  return t;
}

absl::Duration Covered(const RangePlan& p) {
  return p.days.length() + p.hours[0].length() + p.hours[1].length() +
         p.raw[0].length() + p.raw[1].length();
}

TEST(RangePlanTest, WithinOneHourIsAllRaw) {
  RangePlan p =
      PlanRange(At("2026-01-01T10:15:00.123Z"), At("2026-01-01T10:45:00Z"));
  EXPECT_EQ(p.raw[0].from, At("2026-01-01T10:15:00.123Z"));
  EXPECT_EQ(p.raw[0].to, At("2026-01-01T10:45:00Z"));
  EXPECT_TRUE(p.days.empty());
  EXPECT_TRUE(p.hours[0].empty());
}

TEST(RangePlanTest, SplitsIntoDaysHoursAndEdges) {
  absl::Time from = At("2026-01-01T10:15:00.001Z");
  absl::Time to = At("2026-01-04T05:30:00.999Z");
  RangePlan p = PlanRange(from, to);
  EXPECT_EQ(p.raw[0].from, from);
  EXPECT_EQ(p.raw[0].to, At("2026-01-01T11:00:00Z"));
  EXPECT_EQ(p.hours[0].to, At("2026-01-02T00:00:00Z"));
  EXPECT_EQ(p.days.from, At("2026-01-02T00:00:00Z"));
  EXPECT_EQ(p.days.to, At("2026-01-04T00:00:00Z"));
  EXPECT_EQ(p.hours[1].to, At("2026-01-04T05:00:00Z"));
  EXPECT_EQ(p.raw[1].to, to);
  EXPECT_EQ(Covered(p), to - from);
}

// Days of the sketch parts in order; fails unless they tile `days`.
std::vector<int> SketchParts(const RangePlan& p) {
  std::vector<int> parts;
  absl::Time at = p.days.from;
  auto take = [&](absl::Time from, absl::Duration length, int days) {
    EXPECT_EQ(from, at);
    at = from + length;
    parts.push_back(days);
  };
  if (!p.sketch_days[0].empty()) {
    take(p.sketch_days[0].from, p.sketch_days[0].length(), 0);
  }
  for (const VisitorSpan& s : p.spans) {
    const int64_t day = absl::ToUnixSeconds(s.start) / 86400;
    EXPECT_EQ(absl::ToUnixSeconds(s.start) % 86400, 0);
    EXPECT_EQ(day % s.days, 0) << "a span starts aligned to its length";
    take(s.start, absl::Hours(24 * s.days), s.days);
  }
  if (!p.sketch_days[1].empty()) {
    EXPECT_FALSE(p.spans.empty());
    take(p.sketch_days[1].from, p.sketch_days[1].length(), 0);
  }
  EXPECT_EQ(at, p.days.empty() ? p.days.from : p.days.to);
  return parts;
}

TEST(RangePlanTest, LongRangesTakeTheirVisitorSketchesFromSpans) {
  // 2026-01-01 is day 20454 since 1970-01-01: 20454 = 4 * 5113 + 2.
  RangePlan p =
      PlanRange(At("2026-01-01T10:15:00Z"), At("2026-04-01T00:00:00Z"));
  EXPECT_EQ(p.days.from, At("2026-01-02T00:00:00Z"));  // day 20455
  EXPECT_EQ(p.days.to, At("2026-04-01T00:00:00Z"));    // day 20544
  // 20455 (1 day), 20456-20479 (4, 4, 16), 20480-20543 (64), 20544 = end.
  EXPECT_EQ(SketchParts(p), (std::vector<int>{0, 4, 4, 16, 64}));
  EXPECT_EQ(p.sketch_days[0].from, At("2026-01-02T00:00:00Z"));
  EXPECT_EQ(p.sketch_days[0].to, At("2026-01-03T00:00:00Z"));
  EXPECT_TRUE(p.sketch_days[1].empty());
  EXPECT_EQ(p.spans.back(),
            (VisitorSpan{64, absl::FromUnixSeconds(int64_t{20480} * 86400)}));
}

TEST(RangePlanTest, ShortRangesReadEveryDaySketch) {
  // Days 20455..20457: the 4-day block 20456..20459 does not fit.
  RangePlan p =
      PlanRange(At("2026-01-02T00:00:00Z"), At("2026-01-05T00:00:00Z"));
  EXPECT_EQ(SketchParts(p), (std::vector<int>{0}));
  EXPECT_EQ(p.sketch_days[0].from, p.days.from);
  EXPECT_EQ(p.sketch_days[0].to, p.days.to);
  EXPECT_TRUE(p.spans.empty());
}

TEST(RangePlanTest, SpansTileEveryRangeOfWholeDays) {
  // Every range of up to 600 days starting on any of 300 days: the parts
  // tile the days, ends hold at most 3 days once there is a span, and no
  // more than 3 blocks of a length are used on each side.
  const int64_t base = 20000;
  for (int64_t start = base; start < base + 300; ++start) {
    for (int64_t length = 0; length <= 600; length += 7) {
      RangePlan p = PlanRange(absl::FromUnixSeconds(start * 86400),
                              absl::FromUnixSeconds((start + length) * 86400));
      ASSERT_EQ(p.days.length(), absl::Hours(24 * length));
      SketchParts(p);
      if (!p.spans.empty()) {
        EXPECT_LE(p.sketch_days[0].length(), absl::Hours(72));
        EXPECT_LE(p.sketch_days[1].length(), absl::Hours(72));
      }
      EXPECT_LE(p.spans.size(), 2u * 3 * 3 + 600 / 256 + 1);
    }
  }
}

TEST(RangePlanTest, EmptyRangeCoversNothing) {
  absl::Time t = At("2026-01-01T10:00:00Z");
  EXPECT_EQ(Covered(PlanRange(t, t)), absl::ZeroDuration());
}

}  // namespace
}  // namespace analytics::reducer

namespace analytics::reducer {
namespace {

absl::TimeZone Zone(const char* name) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(name, &zone)) << name;
  return zone;
}

TEST(PlanBucketsTest, HalfHourZoneDaysStartAtHalfPast) {
  absl::StatusOr<std::vector<Bucket>> buckets =
      PlanBuckets(At("2026-03-01T00:00:00Z"), At("2026-03-03T00:00:00Z"),
                  Interval::kDay, Zone("Asia/Kolkata"), 100);
  ASSERT_TRUE(buckets.ok());
  ASSERT_EQ(buckets->size(), 3u);
  EXPECT_EQ((*buckets)[0].start, At("2026-02-28T18:30:00Z"));
  EXPECT_EQ((*buckets)[0].range.from, At("2026-03-01T00:00:00Z"));
  EXPECT_EQ((*buckets)[0].range.to, At("2026-03-01T18:30:00Z"));
  EXPECT_EQ((*buckets)[1].range.from, At("2026-03-01T18:30:00Z"));
  EXPECT_EQ((*buckets)[1].range.to, At("2026-03-02T18:30:00Z"));
  EXPECT_EQ((*buckets)[2].range.to, At("2026-03-03T00:00:00Z"));
}

TEST(PlanBucketsTest, HalfHourZoneHoursStartAtHalfPast) {
  absl::StatusOr<std::vector<Bucket>> buckets =
      PlanBuckets(At("2026-03-01T10:00:00Z"), At("2026-03-01T12:00:00Z"),
                  Interval::kHour, Zone("Asia/Kolkata"), 100);
  ASSERT_TRUE(buckets.ok());
  ASSERT_EQ(buckets->size(), 3u);
  EXPECT_EQ((*buckets)[0].start, At("2026-03-01T09:30:00Z"));
  EXPECT_EQ((*buckets)[1].range.from, At("2026-03-01T10:30:00Z"));
  EXPECT_EQ((*buckets)[2].range.from, At("2026-03-01T11:30:00Z"));
  EXPECT_EQ((*buckets)[2].range.to, At("2026-03-01T12:00:00Z"));
}

TEST(PlanBucketsTest, DstDaysAreTwentyThreeAndTwentyFiveHours) {
  const absl::TimeZone berlin = Zone("Europe/Berlin");
  absl::StatusOr<std::vector<Bucket>> spring =
      PlanBuckets(At("2026-03-28T23:00:00Z"), At("2026-03-29T22:00:00Z"),
                  Interval::kDay, berlin, 10);
  ASSERT_TRUE(spring.ok());
  ASSERT_EQ(spring->size(), 1u);
  EXPECT_EQ((*spring)[0].range.length(), absl::Hours(23));
  absl::StatusOr<std::vector<Bucket>> autumn =
      PlanBuckets(At("2026-10-24T22:00:00Z"), At("2026-10-25T23:00:00Z"),
                  Interval::kDay, berlin, 10);
  ASSERT_TRUE(autumn.ok());
  ASSERT_EQ(autumn->size(), 1u);
  EXPECT_EQ((*autumn)[0].range.length(), absl::Hours(25));
}

TEST(PlanBucketsTest, WeeksStartOnMondayAndMonthsOnTheFirst) {
  // 2026-11-29 is a Sunday.
  absl::StatusOr<std::vector<Bucket>> weeks =
      PlanBuckets(At("2026-11-29T12:00:00Z"), At("2026-12-08T00:00:00Z"),
                  Interval::kWeek, absl::UTCTimeZone(), 10);
  ASSERT_TRUE(weeks.ok());
  ASSERT_EQ(weeks->size(), 3u);
  EXPECT_EQ((*weeks)[0].start, At("2026-11-23T00:00:00Z"));
  EXPECT_EQ((*weeks)[1].start, At("2026-11-30T00:00:00Z"));
  EXPECT_EQ((*weeks)[2].start, At("2026-12-07T00:00:00Z"));
  absl::StatusOr<std::vector<Bucket>> months =
      PlanBuckets(At("2026-01-15T00:00:00Z"), At("2026-03-02T00:00:00Z"),
                  Interval::kMonth, absl::UTCTimeZone(), 10);
  ASSERT_TRUE(months.ok());
  ASSERT_EQ(months->size(), 3u);
  EXPECT_EQ((*months)[1].range.length(), absl::Hours(24 * 28));
  EXPECT_EQ((*months)[2].start, At("2026-03-01T00:00:00Z"));
}

TEST(PlanBucketsTest, EmptyRangeHasNoBucketsAndTooManyIsInvalid) {
  const absl::Time t = At("2026-03-01T10:00:00Z");
  absl::StatusOr<std::vector<Bucket>> none =
      PlanBuckets(t, t, Interval::kHour, absl::UTCTimeZone(), 10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  absl::StatusOr<std::vector<Bucket>> many = PlanBuckets(
      t, t + absl::Hours(11), Interval::kHour, absl::UTCTimeZone(), 10);
  EXPECT_EQ(many.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace analytics::reducer
