// SiteRepository: sites and their key hashes in PostgreSQL. The only code that
// touches the sites and site_keys tables. SiteKeyCache sits in front of the
// key lookup on the hot paths (every Ingest and query call).
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/db/connection_pool.h"
#include "common/db/statement.h"
#include "common/sites/site.h"
#include "common/time/clock.h"

namespace analytics {

class SiteRepository {
 public:
  // The statements this repository needs registered in its pool.
  static std::vector<db::Statement> Statements();

  explicit SiteRepository(db::ConnectionPool* pool) : pool_(pool) {}

  // Stores `site` (validated by the caller) with the hashes of its first
  // write and read keys, in one transaction. ALREADY_EXISTS if the slug is
  // taken.
  absl::StatusOr<SiteRecord> Create(const SiteRecord& site,
                                    const std::string& write_key_hash,
                                    const std::string& read_key_hash);
  // NOT_FOUND if there is no such site.
  absl::StatusOr<SiteRecord> GetById(int64_t site_id);
  absl::StatusOr<SiteRecord> GetBySlug(const std::string& slug);
  absl::StatusOr<std::vector<SiteRecord>> List();
  // Adds a key of `kind` with hash `new_key_hash` and makes the site's other
  // live keys of that kind expire after `grace` (zero: at once), in one
  // transaction. NOT_FOUND if there is no such site or it is deleted.
  absl::Status RotateKey(int64_t site_id, KeyKind kind,
                         const std::string& new_key_hash, absl::Duration grace);
  // NOT_FOUND when no live key of `kind` has this hash (hex SHA-256).
  absl::StatusOr<SiteRecord> FindByKeyHash(KeyKind kind,
                                           const std::string& key_hash);

  // Applies `change` to the stored site under a row lock and stores the
  // result if it passes ValidateSite, in one transaction, so concurrent
  // updates of different fields all survive. NOT_FOUND for no such site or a
  // deleted one; otherwise `change`'s or ValidateSite's error. The slug,
  // state and keys are not written.
  absl::StatusOr<SiteRecord> Update(
      int64_t site_id, const std::function<absl::Status(SiteRecord&)>& change);
  // Disables (Ingest refuses its write keys) or enables the site. NOT_FOUND
  // for no such site or a deleted one.
  absl::StatusOr<SiteRecord> SetDisabled(int64_t site_id, bool disabled);
  // Marks the site deleted and disabled and revokes every key at once.
  // Idempotent. NOT_FOUND if there is no such site.
  absl::Status MarkDeleted(int64_t site_id);
  // Removes the row of a deleted site and its keys; its data must be purged
  // first (SitePurge). NOT_FOUND if there is no such deleted site.
  absl::Status Remove(int64_t site_id);

 private:
  db::ConnectionPool* pool_;
};

// Caches key -> site lookups, positive and negative, for `ttl`: a disabled
// site or a revoked key stops working within `ttl` on every replica.
class SiteKeyCache {
 public:
  SiteKeyCache(SiteRepository* sites, const Clock* clock, absl::Duration ttl)
      : sites_(sites), clock_(clock), ttl_(ttl) {}

  // The site a presented secret belongs to. UNAUTHENTICATED for an unknown
  // key; other errors (UNAVAILABLE, ...) are passed through and not cached.
  absl::StatusOr<SiteRecord> Lookup(KeyKind kind, std::string_view secret);

 private:
  struct Entry {
    absl::StatusOr<SiteRecord> site;
    absl::Time fetched_at;
  };
  static constexpr size_t kMaxEntries = 100000;

  SiteRepository* const sites_;
  const Clock* const clock_;
  const absl::Duration ttl_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace analytics
