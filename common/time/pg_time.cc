// Timestamp conversions and UTC bucket arithmetic.
#include "common/time/pg_time.h"

namespace analytics {
namespace {

absl::Time FloorTo(absl::Time t, absl::Duration unit) {
  return absl::UnixEpoch() + absl::Floor(t - absl::UnixEpoch(), unit);
}

}  // namespace

absl::Time TruncateToMicros(absl::Time t) {
  return FloorTo(t, absl::Microseconds(1));
}

std::string ToPgTimestamp(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", TruncateToMicros(t),
                          absl::UTCTimeZone());
}

absl::Time FloorHour(absl::Time t) { return FloorTo(t, absl::Hours(1)); }

absl::Time FloorDay(absl::Time t) { return FloorTo(t, absl::Hours(24)); }

}  // namespace analytics
