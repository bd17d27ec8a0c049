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
  RangePlan p = PlanRange(At("2026-01-01T10:15:00.123Z"), At("2026-01-01T10:45:00Z"));
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
