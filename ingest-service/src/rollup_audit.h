// RollupAudit: VerifyRollups and RebuildRollups. Recomputes a site's rollup
// rows for whole UTC days from the rows they summarise (reduced raw events
// for events, pageviews and visitors; stored sessions for sessions, bounces
// and duration), using the same contribution rules as the reducer
// (common/rollups), compares them with the stored rows and, when asked,
// replaces the stored rows, the visitor membership of those buckets and the
// visitor spans of the blocks they are in.
// Reduction of the site is paused (advisory lock) for the duration, so the
// comparison never sees half a pass.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/db/connection_pool.h"
#include "common/db/statement.h"
#include "common/rollups/rollup_model.h"

namespace analytics::ingest {

struct RollupCheck {
  // The range checked: the request widened to whole UTC days.
  absl::Time from;
  absl::Time to;
  int64_t rows_checked = 0;
  std::vector<RollupMismatch> mismatches;
  // Visitor spans (migration 0009) of the blocks holding a day of the
  // range, compared with the union of their stored day sketches.
  int64_t spans_checked = 0;
  int64_t spans_different = 0;
  bool rewritten = false;
};

class RollupAudit {
 public:
  static std::vector<db::Statement> Statements();

  explicit RollupAudit(db::ConnectionPool* pool) : pool_(pool) {}

  // Compares; with `rewrite`, also replaces what differs (in the same
  // transaction, so the report describes exactly what was replaced).
  absl::StatusOr<RollupCheck> Check(int64_t site_id, absl::Time from,
                                    absl::Time to, bool rewrite);

 private:
  db::ConnectionPool* const pool_;
};

// [from, to) widened to whole UTC days.
void WidenToDays(absl::Time* from, absl::Time* to);

}  // namespace analytics::ingest
