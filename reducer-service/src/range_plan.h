// RangePlan: how an exact [from, to) query is assembled. Whole UTC days come
// from day rollups, whole hours around them from hour rollups, and the
// partial hours at the edges from raw rows. The parts are disjoint and cover
// [from, to) exactly, so their sums are exact and never need a subtraction
// (the seed component's negative counts came from subtracting edges).
#pragma once

#include "absl/time/time.h"

namespace analytics::reducer {

struct TimeRange {
  absl::Time from;
  absl::Time to;
  bool empty() const { return from >= to; }
  absl::Duration length() const { return empty() ? absl::ZeroDuration() : to - from; }
};

struct RangePlan {
  TimeRange days;      // whole days, from day rollups
  TimeRange hours[2];  // whole hours before and after `days`
  TimeRange raw[2];    // partial hours at both edges
};

// Requires from <= to. Empty parts have from == to.
RangePlan PlanRange(absl::Time from, absl::Time to);

}  // namespace analytics::reducer
