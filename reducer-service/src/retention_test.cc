// Retention rules: horizons, refusals of ranges that need expired rows, and
// the cutoffs and partition months a pass works with.
#include "reducer-service/src/retention.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace analytics::reducer {
namespace {

absl::Time At(const char* rfc3339) {
  absl::Time t;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &error))
      << error;
  return t;
}

const absl::Duration kDay = absl::Hours(24);

TEST(RetentionTest, HorizonsFollowTheRetentionsAndZeroKeepsForever) {
  const absl::Time now = At("2026-12-02T10:30:00Z");
  Horizons h = HorizonsAt(now, kDay, 7 * kDay);
  EXPECT_EQ(h.raw_from, At("2026-12-01T10:30:00Z"));
  EXPECT_EQ(h.hours_from, At("2026-11-25T10:30:00Z"));
  h = HorizonsAt(now, kDay, absl::ZeroDuration());
  EXPECT_EQ(h.hours_from, absl::InfinitePast());
}

TEST(RetentionTest, RawEdgesBeforeTheRawHorizonAreRefused) {
  const Horizons h{.raw_from = At("2026-12-01T10:30:00Z"),
                   .hours_from = absl::InfinitePast()};
  // Starts mid-hour a week ago: its first edge is raw and expired.
  absl::Status s = CheckRetained(
      PlanRange(At("2026-11-25T08:15:00.001Z"), At("2026-12-02T10:00:00Z")), h);
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(s.message(),
            "from: raw events before 2026-12-01T10:30:00+00:00 have expired "
            "(retention); there the range must start and end on whole UTC "
            "hours");
  // The same range from a whole hour needs no raw rows there.
  EXPECT_TRUE(
      CheckRetained(
          PlanRange(At("2026-11-25T08:00:00Z"), At("2026-12-02T10:00:00Z")), h)
          .ok());
  // A mid-hour end inside the raw horizon is fine.
  EXPECT_TRUE(CheckRetained(PlanRange(At("2026-11-25T08:00:00Z"),
                                      At("2026-12-02T10:20:00.5Z")),
                            h)
                  .ok());
  // The whole range old and ending mid-hour: the end names `to`.
  s = CheckRetained(
      PlanRange(At("2026-11-01T00:00:00Z"), At("2026-11-03T05:59:00Z")), h);
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(absl::StartsWith(s.message(), "to: raw events before"))
      << s.message();
  // Exactly at the horizon is still kept.
  EXPECT_TRUE(
      CheckRetained(
          PlanRange(At("2026-12-01T10:30:00Z"), At("2026-12-01T10:45:00Z")), h)
          .ok());
}

TEST(RetentionTest, HoursBeforeTheHourlyHorizonAreRefused) {
  const Horizons h{.raw_from = absl::InfinitePast(),
                   .hours_from = At("2026-11-01T00:00:00Z")};
  absl::Status s = CheckRetained(
      PlanRange(At("2026-10-10T05:00:00Z"), At("2026-12-02T00:00:00Z")), h);
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(s.message(),
            "from: hourly rollups before 2026-11-01T00:00:00+00:00 have "
            "expired (retention); there the range must start and end on whole "
            "UTC days");
  // Whole days there are still answered from day rollups.
  EXPECT_TRUE(
      CheckRetained(
          PlanRange(At("2026-10-10T00:00:00Z"), At("2026-12-02T07:00:00Z")), h)
          .ok());
}

TEST(RetentionTest, SessionsAndRawReadsNeedTheirFromInsideRetention) {
  const Horizons h{.raw_from = At("2026-12-01T00:00:00Z"),
                   .hours_from = absl::InfinitePast()};
  EXPECT_TRUE(CheckRawRetained(At("2026-12-01T00:00:00Z"), h, "sessions").ok());
  absl::Status s = CheckRawRetained(At("2026-11-30T23:59:59Z"), h, "sessions");
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(absl::StartsWith(
      s.message(), "from: sessions before 2026-12-01T00:00:00+00:00 have"))
      << s.message();
}

TEST(RetentionTest, ExpiryCutoffs) {
  const SiteExpiry e = ExpiryFor(7, At("2026-12-02T10:30:00Z"), kDay,
                                 absl::Minutes(30), 90 * kDay);
  EXPECT_EQ(e.site_id, 7);
  EXPECT_EQ(e.events_before, At("2026-12-01T10:30:00Z"));
  EXPECT_EQ(e.sessions_before, At("2026-12-01T10:00:00Z"));
  EXPECT_EQ(e.hours_before, At("2026-09-03T10:30:00Z"));
  EXPECT_EQ(ExpiryFor(7, At("2026-12-02T10:30:00Z"), kDay, absl::Minutes(30),
                      absl::ZeroDuration())
                .hours_before,
            absl::InfinitePast());
}

TEST(RetentionTest, PartitionMonths) {
  EXPECT_EQ(MonthStartUtc(At("2026-12-31T23:59:59.999Z")),
            At("2026-12-01T00:00:00Z"));
  EXPECT_EQ(MonthStartUtc(At("2024-02-29T12:00:00Z")),
            At("2024-02-01T00:00:00Z"));
  const PartitionPlan p =
      PlanPartitions(At("2026-12-02T10:30:00Z"), 400 * kDay, 92 * kDay);
  EXPECT_EQ(p.drop_before, At("2025-10-28T10:30:00Z"));
  EXPECT_EQ(p.ensure_from, At("2025-10-01T00:00:00Z"));
  EXPECT_EQ(p.ensure_to, At("2027-03-04T10:30:00Z"));
}

}  // namespace
}  // namespace analytics::reducer
