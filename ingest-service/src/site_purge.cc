// SitePurge on libpqxx.
#include "ingest-service/src/site_purge.h"

#include "absl/strings/str_cat.h"
#include "common/db/locks.h"
#include "ingest-service/src/sql_queries.h"

namespace analytics::ingest {
namespace {

// A batch should finish well inside the caller's deadline; this much is
// kept in reserve for the reply.
constexpr absl::Duration kReserve = absl::Milliseconds(500);
constexpr char kBatchTimeout[] = "30s";

}  // namespace

std::vector<db::Statement> SitePurge::Statements() {
  return {{"purge_lock_site", sql::kLockSiteReduction},
          {"select_site_deletion", sql::kSelectSiteDeletion},
          {"purge_site_rows", sql::kPurgeSiteRows},
          {"remove_purged_site", sql::kRemovePurgedSite}};
}

absl::StatusOr<PurgeProgress> SitePurge::Purge(int64_t site_id,
                                               absl::Duration time_left) {
  const absl::Time deadline = absl::Now() + time_left;
  PurgeProgress progress;
  // False: already removed (a finished purge).
  absl::StatusOr<bool> exists = pool_->RunTransaction(
      "select_site_deletion",
      [&](pqxx::transaction_base& tx) -> absl::StatusOr<bool> {
        pqxx::result rows = tx.exec_prepared("select_site_deletion", site_id);
        if (rows.empty()) return false;
        if (!rows[0][0].as<bool>()) {
          return absl::FailedPreconditionError(
              absl::StrCat("site ", site_id, " is not marked deleted"));
        }
        return true;
      });
  if (!exists.ok()) return exists.status();
  if (!*exists) {
    progress.done = true;
    return progress;
  }
  while (absl::Now() + kReserve < deadline) {
    absl::StatusOr<int64_t> deleted = pool_->RunTransaction(
        "purge_site_rows",
        [&](pqxx::transaction_base& tx) -> absl::StatusOr<int64_t> {
          tx.exec_prepared("purge_lock_site", db::SiteReductionLockKey(site_id),
                           kBatchTimeout);
          const int64_t n =
              tx.exec_prepared1("purge_site_rows", site_id, batch_rows_)[0]
                  .as<int64_t>();
          if (n == 0) {
            // Nothing left that this snapshot sees: remove the site if the
            // quiet period is over and nothing appeared meanwhile.
            if (!tx.exec_prepared("remove_purged_site", site_id,
                                  absl::ToInt64Milliseconds(quiet_period_))
                     .empty()) {
              progress.done = true;
            }
          }
          return n;
        });
    if (!deleted.ok()) return deleted.status();
    progress.rows_deleted += *deleted;
    if (progress.done) break;
    // Everything is purged but the quiet period is not over: the caller
    // comes back later.
    if (*deleted == 0) break;
  }
  return progress;
}

}  // namespace analytics::ingest
