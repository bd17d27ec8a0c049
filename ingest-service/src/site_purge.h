// SitePurge: the data half of AdminService.DeleteSite. Removes every row of
// a deleted site in bounded batches, each its own short transaction, so
// ingest and reduction of other sites never wait and a purge cut short (a
// deadline, a restart) resumes where it stopped. The sites row goes last,
// and only after a quiet period: Ingest calls that began before the site
// was marked deleted (and write keys cached on other replicas) have ended
// by then, so nothing of the site can be written after it is gone.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/db/connection_pool.h"
#include "common/db/statement.h"

namespace analytics::ingest {

struct PurgeProgress {
  // Rows deleted by this call (all tables).
  int64_t rows_deleted = 0;
  // The site and all its data are gone.
  bool done = false;
};

class SitePurge {
 public:
  static std::vector<db::Statement> Statements();

  // `batch_rows`: rows per table per transaction. `quiet_period`: how long
  // after DeleteSite the sites row may go (longer than the longest Ingest
  // statement plus the write-key cache TTL).
  SitePurge(db::ConnectionPool* pool, int batch_rows,
            absl::Duration quiet_period)
      : pool_(pool), batch_rows_(batch_rows), quiet_period_(quiet_period) {}

  // Purges batches of the deleted site `site_id` until it is gone or
  // `time_left` is nearly used up. FAILED_PRECONDITION unless the site is
  // marked deleted; an already removed site is done.
  absl::StatusOr<PurgeProgress> Purge(int64_t site_id,
                                      absl::Duration time_left);

 private:
  db::ConnectionPool* const pool_;
  const int batch_rows_;
  const absl::Duration quiet_period_;
};

}  // namespace analytics::ingest
