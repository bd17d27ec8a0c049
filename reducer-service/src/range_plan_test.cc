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
