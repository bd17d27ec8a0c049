// Range planning over UTC hour and day buckets.
#include "reducer-service/src/range_plan.h"

#include "common/time/pg_time.h"

namespace analytics::reducer {
namespace {

absl::Time CeilTo(absl::Time t, absl::Time (*floor)(absl::Time),
                  absl::Duration unit) {
  absl::Time f = floor(t);
  return f == t ? t : f + unit;
}

TimeRange Empty(absl::Time at) { return {at, at}; }

}  // namespace

RangePlan PlanRange(absl::Time from, absl::Time to) {
  RangePlan plan{Empty(from), {Empty(from), Empty(from)},
                 {Empty(from), Empty(from)}};
  const absl::Time first_hour = CeilTo(from, FloorHour, absl::Hours(1));
  const absl::Time last_hour = FloorHour(to);
  if (first_hour >= last_hour) {
    plan.raw[0] = {from, to};
    return plan;
  }
  plan.raw[0] = {from, first_hour};
  plan.raw[1] = {last_hour, to};
  const absl::Time first_day = CeilTo(first_hour, FloorDay, absl::Hours(24));
  const absl::Time last_day = FloorDay(last_hour);
  if (first_day < last_day) {
    plan.hours[0] = {first_hour, first_day};
    plan.days = {first_day, last_day};
    plan.hours[1] = {last_day, last_hour};
  } else {
    plan.hours[0] = {first_hour, last_hour};
  }
  return plan;
}

}  // namespace analytics::reducer
