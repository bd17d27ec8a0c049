// pg_time: truncation to microseconds, timestamp text and UTC buckets.
#include "common/time/pg_time.h"

#include <gtest/gtest.h>

#include <string>

namespace analytics {
namespace {

absl::Time At(const std::string& text) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, text, &t, &err)) << err;
  return t;
}

TEST(TruncateToMicrosTest, DropsSubMicrosecondPart) {
  EXPECT_EQ(TruncateToMicros(At("2026-01-01T10:00:01.999999999Z")),
            At("2026-01-01T10:00:01.999999Z"));
}

TEST(TruncateToMicrosTest, KeepsWholeMicroseconds) {
  const absl::Time t = At("2026-01-01T10:00:01.123456Z");
  EXPECT_EQ(TruncateToMicros(t), t);
}

TEST(TruncateToMicrosTest, TruncatesTowardThePastBefore1970) {
  EXPECT_EQ(TruncateToMicros(absl::UnixEpoch() - absl::Nanoseconds(1)),
            absl::UnixEpoch() - absl::Microseconds(1));
  EXPECT_EQ(TruncateToMicros(absl::UnixEpoch() - absl::Nanoseconds(1000)),
            absl::UnixEpoch() - absl::Microseconds(1));
}

TEST(ToPgTimestampTest, WritesUtcWithSixFractionalDigits) {
  EXPECT_EQ(ToPgTimestamp(At("2026-11-29T01:02:03.123456789Z")),
            "2026-11-29T01:02:03.123456Z");
}

TEST(ToPgTimestampTest, WritesZeroFractionForWholeSeconds) {
  EXPECT_EQ(ToPgTimestamp(At("2026-01-01T00:00:00Z")),
            "2026-01-01T00:00:00.000000Z");
}

TEST(ToPgTimestampTest, ConvertsOffsetsToUtc) {
  EXPECT_EQ(ToPgTimestamp(At("2026-01-01T01:30:00.5+02:00")),
            "2025-12-31T23:30:00.500000Z");
}

TEST(ToPgTimestampTest, WritesTimesBefore1970) {
  EXPECT_EQ(ToPgTimestamp(absl::UnixEpoch() - absl::Nanoseconds(1)),
            "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(ToPgTimestamp(absl::UnixEpoch()), "1970-01-01T00:00:00.000000Z");
}

TEST(FloorHourTest, FloorsToTheStartOfTheHour) {
  EXPECT_EQ(FloorHour(At("2026-01-01T10:59:59.999999Z")),
            At("2026-01-01T10:00:00Z"));
  EXPECT_EQ(FloorHour(At("2026-01-01T10:00:00.000001Z")),
            At("2026-01-01T10:00:00Z"));
}

TEST(FloorHourTest, KeepsAnExactHour) {
  EXPECT_EQ(FloorHour(At("2026-01-01T11:00:00Z")), At("2026-01-01T11:00:00Z"));
}

TEST(FloorHourTest, FloorsTowardThePastBefore1970) {
  EXPECT_EQ(FloorHour(absl::UnixEpoch() - absl::Nanoseconds(1)),
            At("1969-12-31T23:00:00Z"));
  EXPECT_EQ(FloorHour(At("1969-07-20T20:17:40Z")), At("1969-07-20T20:00:00Z"));
}

TEST(FloorDayTest, FloorsToUtcMidnight) {
  EXPECT_EQ(FloorDay(At("2026-01-01T23:59:59.999999Z")),
            At("2026-01-01T00:00:00Z"));
  EXPECT_EQ(FloorDay(At("2026-01-02T00:00:00Z")), At("2026-01-02T00:00:00Z"));
  EXPECT_EQ(FloorDay(At("2026-01-02T01:00:00+02:00")),
            At("2026-01-01T00:00:00Z"));
}

TEST(FloorDayTest, HandlesLeapDay) {
  EXPECT_EQ(FloorDay(At("2028-02-29T12:00:00Z")), At("2028-02-29T00:00:00Z"));
}

TEST(FloorDayTest, FloorsTowardThePastBefore1970) {
  EXPECT_EQ(FloorDay(At("1969-12-31T12:00:00Z")), At("1969-12-31T00:00:00Z"));
  EXPECT_EQ(FloorDay(absl::UnixEpoch() - absl::Nanoseconds(1)),
            At("1969-12-31T00:00:00Z"));
}

}  // namespace
}  // namespace analytics
