// SiteRateLimiter: the per-site Ingest rate limit, a token bucket per
// site_id, so one noisy site cannot take the write path (and the reducer's
// work) away from the others. Pure logic: time comes from a Clock, nothing
// else is read or written.
//
// A site's bucket holds up to `burst` tokens and refills at
// `events_per_second`; a batch of n events takes n tokens or, when fewer are
// there, is refused whole and takes none (so a client retrying too early
// does not push its own retry further out). A batch larger than the burst
// could never pass and is refused as such, not throttled.
//
// A bucket is kept as the instant it is full again: exact (absl::Duration
// arithmetic, no float drift) and, once that instant has passed, the same
// as no entry at all, so buckets of idle sites are forgotten and memory is
// bounded by the sites that ingested within about two refill periods.
//
// Thread-safe.
#pragma once

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/time/clock.h"

namespace analytics::ingest {

struct SiteRateLimit {
  // Sustained events per second per site; <= 0 turns the limit off.
  double events_per_second = 0;
  // Bucket size in events: the most a site may send at once after being
  // idle, and the largest batch that can ever pass. At least 1 when on.
  int64_t burst = 0;

  bool enabled() const { return events_per_second > 0; }
};

class SiteRateLimiter final {
 public:
  enum class Outcome {
    kAdmitted,      // the tokens were taken
    kThrottled,     // too few tokens now; `retry_after` says when
    kExceedsBurst,  // cost > burst: never admitted, whatever the wait
  };
  struct Decision {
    Outcome outcome = Outcome::kAdmitted;
    // kThrottled: the time until the bucket holds `cost` tokens (from the
    // charge's now, assuming no other charge meanwhile); zero otherwise.
    absl::Duration retry_after = absl::ZeroDuration();
  };

  // `clock` must outlive the limiter. A limit with burst < 1 is treated as
  // a burst of 1.
  SiteRateLimiter(SiteRateLimit limit, const Clock* clock);
  SiteRateLimiter(const SiteRateLimiter&) = delete;
  SiteRateLimiter& operator=(const SiteRateLimiter&) = delete;

  // Takes `cost` tokens (events) from `site_id`'s bucket if it holds that
  // many. Always kAdmitted when the limit is off or cost <= 0.
  Decision TryCharge(int64_t site_id, int64_t cost);

  const SiteRateLimit& limit() const { return limit_; }

  // Sites whose bucket is not full (the entries kept); for tests.
  size_t TEST_TrackedSites() const;

 private:
  // Drops the entries of full buckets; at most once per refill period.
  void MaybeForgetFullBuckets(absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const SiteRateLimit limit_;
  const Clock* const clock_;
  // Time one token takes to refill, and the whole bucket.
  const absl::Duration per_token_;
  const absl::Duration full_refill_;

  mutable absl::Mutex mu_;
  // site_id -> the instant its bucket is full again (always in the future
  // when charged; entries in the past are full buckets awaiting a sweep).
  absl::flat_hash_map<int64_t, absl::Time> full_at_ ABSL_GUARDED_BY(mu_);
  absl::Time last_sweep_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace analytics::ingest
