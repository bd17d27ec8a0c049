// Range planning over UTC hour and day buckets.
#include "reducer-service/src/range_plan.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/time/pg_time.h"

namespace analytics::reducer {
namespace {

absl::Time CeilTo(absl::Time t, absl::Time (*floor)(absl::Time),
                  absl::Duration unit) {
  absl::Time f = floor(t);
  return f == t ? t : f + unit;
}

TimeRange Empty(absl::Time at) { return {at, at}; }

int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - (a % b != 0 && (a < 0) != (b < 0) ? 1 : 0);
}

absl::Time Day(int64_t n) { return absl::FromUnixSeconds(n * 86400); }

// Walks the days left to right taking the longest aligned block that fits:
// after the first block every position is aligned to 4 days, so single days
// are left only before it and after the last one (at most 3 each), and each
// block length is used at most 3 times on the way up and 3 on the way down.
void CoverWithSpans(RangePlan& plan) {
  const int64_t first = FloorDiv(absl::ToUnixSeconds(plan.days.from), 86400);
  const int64_t end = FloorDiv(absl::ToUnixSeconds(plan.days.to), 86400);
  int64_t day = first;
  while (day < end) {
    int taken = 1;
    for (int days : kVisitorSpanDays) {
      if (FloorDiv(day, days) * days == day && day + days <= end) {
        taken = days;
        break;
      }
    }
    if (taken == 1) {
      TimeRange& run =
          plan.spans.empty() ? plan.sketch_days[0] : plan.sketch_days[1];
      if (run.empty()) run = {Day(day), Day(day)};
      run.to = Day(day + 1);
    } else {
      plan.spans.push_back({taken, Day(day)});
    }
    day += taken;
  }
}

}  // namespace

RangePlan PlanRange(absl::Time from, absl::Time to) {
  RangePlan plan;
  plan.days = Empty(from);
  plan.hours[0] = plan.hours[1] = Empty(from);
  plan.raw[0] = plan.raw[1] = Empty(from);
  plan.sketch_days[0] = plan.sketch_days[1] = Empty(from);
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
    CoverWithSpans(plan);
  } else {
    plan.hours[0] = {first_hour, last_hour};
  }
  return plan;
}

namespace {

// The civil start of the bucket holding local time `t`, and the next one.
absl::CivilSecond BucketFloor(absl::CivilSecond t, Interval interval) {
  switch (interval) {
    case Interval::kHour:
      return absl::CivilHour(t);
    case Interval::kDay:
      return absl::CivilDay(t);
    case Interval::kWeek: {
      const absl::CivilDay day(t);
      const int since_monday = (static_cast<int>(absl::GetWeekday(day)) + 7 -
                                static_cast<int>(absl::Weekday::monday)) %
                               7;
      return day - since_monday;
    }
    case Interval::kMonth:
      return absl::CivilMonth(t);
  }
  return t;
}

absl::CivilSecond NextBucket(absl::CivilSecond start, Interval interval) {
  switch (interval) {
    case Interval::kHour:
      return absl::CivilHour(start) + 1;
    case Interval::kDay:
      return absl::CivilDay(start) + 1;
    case Interval::kWeek:
      return absl::CivilDay(start) + 7;
    case Interval::kMonth:
      return absl::CivilMonth(start) + 1;
  }
  return start;
}

}  // namespace

absl::StatusOr<std::vector<Bucket>> PlanBuckets(absl::Time from, absl::Time to,
                                                Interval interval,
                                                const absl::TimeZone& zone,
                                                int max_buckets) {
  std::vector<Bucket> buckets;
  absl::CivilSecond civil =
      BucketFloor(absl::ToCivilSecond(from, zone), interval);
  // A local time that does not exist (spring forward) maps to the instant
  // after the gap; one that exists twice (fall back) to its first instant.
  absl::Time start = absl::FromCivil(civil, zone);
  while (start < to) {
    const absl::CivilSecond next_civil = NextBucket(civil, interval);
    const absl::Time next = absl::FromCivil(next_civil, zone);
    const TimeRange range{std::max(start, from), std::min(next, to)};
    if (!range.empty()) {
      if (static_cast<int>(buckets.size()) >= max_buckets) {
        return absl::InvalidArgumentError(absl::StrCat(
            "interval: the range holds more than ", max_buckets, " buckets"));
      }
      buckets.push_back({start, range});
    }
    civil = next_civil;
    start = next;
  }
  return buckets;
}

}  // namespace analytics::reducer
