// RangePlan: how an exact [from, to) query is assembled. Whole UTC days come
// from day rollups, whole hours around them from hour rollups, and the
// partial hours at the edges from raw rows. The parts are disjoint and cover
// [from, to) exactly, so their sums are exact and never need a subtraction
// (the seed component's negative counts came from subtracting edges).
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace analytics::reducer {

struct TimeRange {
  absl::Time from;
  absl::Time to;
  bool empty() const { return from >= to; }
  absl::Duration length() const {
    return empty() ? absl::ZeroDuration() : to - from;
  }
};

// A block of `days` whole UTC days starting a multiple of `days` days after
// 1970-01-01: a row of visitor_spans (migration 0009), the union of the
// overview's day sketches of the block. Must agree with SQL's
// visitor_span_start() and visitor_span_lengths().
struct VisitorSpan {
  int days;
  absl::Time start;
  bool operator==(const VisitorSpan&) const = default;
};
inline constexpr int kVisitorSpanDays[] = {256, 64, 16, 4};

struct RangePlan {
  TimeRange days;      // whole days, from day rollups
  TimeRange hours[2];  // whole hours before and after `days`
  TimeRange raw[2];    // partial hours at both edges
  // Where the visitor sketches of `days` come from: the day rows of
  // `sketch_days` (the ends: at most 3 days each once there is a span, or
  // all of `days` in [0] when none fits) and the `spans` between them, in
  // order. Together they cover `days` exactly, without overlap.
  TimeRange sketch_days[2];
  std::vector<VisitorSpan> spans;
};

// Requires from <= to. Empty parts have from == to.
RangePlan PlanRange(absl::Time from, absl::Time to);

enum class Interval { kHour, kDay, kWeek, kMonth };

struct Bucket {
  // Where the bucket starts in its zone (may be before the range).
  absl::Time start;
  // The part of the bucket inside the range; never empty.
  TimeRange range;
};

// The buckets of `interval` in `zone` (local hours, days, ISO weeks from
// Monday, months; DST days are 23 or 25 hours long, half-hour zones start
// their hours at :30 UTC) that overlap [from, to), clipped to it, in order.
// INVALID_ARGUMENT if there would be more than `max_buckets`.
absl::StatusOr<std::vector<Bucket>> PlanBuckets(absl::Time from, absl::Time to,
                                                Interval interval,
                                                const absl::TimeZone& zone,
                                                int max_buckets);

}  // namespace analytics::reducer
