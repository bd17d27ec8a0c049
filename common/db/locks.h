// Advisory lock keys shared by the services. Keys are computed here, once,
// and passed to SQL as parameters, so every statement agrees on them.
#pragma once

#include <cstdint>

namespace analytics::db {

// Held SHARED by every reduction pass for each site it reduces, and
// EXCLUSIVE by RebuildRollups / VerifyRollups for its site, so an audit sees
// no half-applied pass and no pass runs while rollups are rewritten. The
// high bits keep these keys apart from hashed session locks, which are
// spread over the whole bigint range (a collision only costs a wait).
inline int64_t SiteReductionLockKey(int64_t site_id) {
  return static_cast<int64_t>(0x5253000000000000ULL) ^ site_id;
}

// Held (transaction-scoped) by whoever creates or drops partitions of
// `events` (ensure_event_partitions, drop_expired_event_partitions:
// migration 0008), and tried by each step of the retention pass so replicas
// take turns instead of deleting the same rows.
inline int64_t PartitionMaintenanceLockKey() {
  return static_cast<int64_t>(0x5254000000000001ULL);
}

}  // namespace analytics::db
