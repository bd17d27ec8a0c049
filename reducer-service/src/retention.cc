// Retention rules (retention.h).
#include "reducer-service/src/retention.h"

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"

namespace analytics::reducer {
namespace {

absl::Time Before(absl::Time now, absl::Duration retention) {
  return retention <= absl::ZeroDuration() ? absl::InfinitePast()
                                           : now - retention;
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
}

absl::Status Expired(const char* field, const char* what, absl::Time horizon,
                     const char* align) {
  return absl::OutOfRangeError(
      absl::StrCat(field, ": ", what, " before ", Rfc3339(horizon),
                   " have expired (retention); ", align));
}

}  // namespace

Horizons HorizonsAt(absl::Time now, absl::Duration raw_retention,
                    absl::Duration hourly_rollup_retention) {
  return Horizons{.raw_from = Before(now, raw_retention),
                  .hours_from = Before(now, hourly_rollup_retention)};
}

absl::Status CheckRetained(const RangePlan& plan, const Horizons& horizons) {
  constexpr char kRaw[] = "raw events";
  constexpr char kHours[] = "hourly rollups";
  constexpr char kAlignHour[] =
      "there the range must start and end on whole "
      "UTC hours";
  constexpr char kAlignDay[] =
      "there the range must start and end on whole "
      "UTC days";
  for (int side = 0; side < 2; ++side) {
    const char* field = side == 0 ? "from" : "to";
    const TimeRange& raw = plan.raw[side];
    if (!raw.empty() && raw.from < horizons.raw_from) {
      return Expired(field, kRaw, horizons.raw_from, kAlignHour);
    }
    const TimeRange& hours = plan.hours[side];
    if (!hours.empty() && hours.from < horizons.hours_from) {
      return Expired(field, kHours, horizons.hours_from, kAlignDay);
    }
  }
  return absl::OkStatus();
}

absl::Status CheckRawRetained(absl::Time from, const Horizons& horizons,
                              const char* what) {
  if (from >= horizons.raw_from) return absl::OkStatus();
  return Expired("from", what, horizons.raw_from,
                 "these are kept for the site's raw retention only");
}

SiteExpiry ExpiryFor(int64_t site_id, absl::Time now,
                     absl::Duration raw_retention,
                     absl::Duration session_timeout,
                     absl::Duration hourly_rollup_retention) {
  const Horizons h = HorizonsAt(now, raw_retention, hourly_rollup_retention);
  return SiteExpiry{.site_id = site_id,
                    .events_before = h.raw_from,
                    .sessions_before = h.raw_from - session_timeout,
                    .hours_before = h.hours_from};
}

absl::Time MonthStartUtc(absl::Time t) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  return absl::FromCivil(absl::CivilMonth(absl::ToCivilSecond(t, utc)), utc);
}

PartitionPlan PlanPartitions(absl::Time now,
                             absl::Duration longest_raw_retention,
                             absl::Duration lead) {
  const absl::Time keep_from = Before(now, longest_raw_retention);
  return PartitionPlan{.ensure_from = MonthStartUtc(
                           keep_from == absl::InfinitePast() ? now : keep_from),
                       .ensure_to = now + lead,
                       .drop_before = keep_from};
}

}  // namespace analytics::reducer
