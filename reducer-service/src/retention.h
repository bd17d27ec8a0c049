// Retention rules: what a site still keeps at a given instant, whether a
// RangePlan can be answered exactly from what is kept, and what a retention
// pass removes. Pure functions; RetentionPass applies them to the database.
//
// What is kept (README "Retention"):
//   raw events        occurred_at >= now - the site's raw retention
//   sessions          those started at or after the raw horizon
//   hour rollups      buckets starting at or after now - the process-wide
//                     hourly rollup retention
//   day rollups       forever (as are visitors)
// A range whose exact answer needs raw rows or hour rollups from before
// their horizon is refused (OUT_OF_RANGE), never answered short.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "reducer-service/src/range_plan.h"

namespace analytics::reducer {

// Everything at or after each horizon is still stored.
struct Horizons {
  absl::Time raw_from = absl::InfinitePast();
  absl::Time hours_from = absl::InfinitePast();
};

// A retention of zero (or less) means "keep forever".
Horizons HorizonsAt(absl::Time now, absl::Duration raw_retention,
                    absl::Duration hourly_rollup_retention);

// OK if every part of `plan` is still stored: raw edges from raw events,
// whole hours from hour rollups (whole days always are). Else OUT_OF_RANGE
// naming from (or to, if only the end is affected) and what to align it to.
absl::Status CheckRetained(const RangePlan& plan, const Horizons& horizons);

// OK if sessions (entry/exit pages) and raw events (event properties)
// starting at `from` are still stored; else OUT_OF_RANGE naming `from`.
absl::Status CheckRawRetained(absl::Time from, const Horizons& horizons,
                              const char* what);

// What one retention pass deletes of one site: rows strictly before each
// cutoff. Sessions go a session timeout after their last event passed the
// raw horizon, so an accepted late event never finds its session gone.
struct SiteExpiry {
  int64_t site_id = 0;
  absl::Time events_before;
  absl::Time sessions_before;
  absl::Time hours_before;
};

SiteExpiry ExpiryFor(int64_t site_id, absl::Time now,
                     absl::Duration raw_retention,
                     absl::Duration session_timeout,
                     absl::Duration hourly_rollup_retention);

// The monthly partitions of `events` a pass maintains: months overlapping
// [ensure_from, ensure_to) must exist (every month a site may still receive
// events into, and `lead` ahead); months ending at or before drop_before are
// dropped (no site keeps anything there).
struct PartitionPlan {
  absl::Time ensure_from;
  absl::Time ensure_to;
  absl::Time drop_before;
};

PartitionPlan PlanPartitions(absl::Time now,
                             absl::Duration longest_raw_retention,
                             absl::Duration lead);

// The start of the UTC month holding `t`.
absl::Time MonthStartUtc(absl::Time t);

}  // namespace analytics::reducer
