// Exact conversion between absl::Time and PostgreSQL timestamptz.
//
// PostgreSQL keeps microseconds, so times are truncated (toward the past) to
// whole microseconds before they are stored or compared; timestamps travel as
// ISO-8601 text into the database and as integer epoch microseconds out of
// it (`(extract(epoch FROM ts) * 1000000)::bigint`, exact in PostgreSQL 14+).
#pragma once

#include <string>

#include "absl/time/time.h"

namespace analytics {

absl::Time TruncateToMicros(absl::Time t);

// "2026-11-29T01:02:03.123456Z"; accepted by PostgreSQL as timestamptz.
std::string ToPgTimestamp(absl::Time t);

// Buckets are UTC hours and days.
absl::Time FloorHour(absl::Time t);
absl::Time FloorDay(absl::Time t);

}  // namespace analytics
