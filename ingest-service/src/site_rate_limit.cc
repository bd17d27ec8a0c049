// SiteRateLimiter: token buckets kept as "full again at" instants.
#include "ingest-service/src/site_rate_limit.h"

#include <algorithm>

namespace analytics::ingest {
namespace {

SiteRateLimit Normalized(SiteRateLimit limit) {
  if (limit.enabled()) limit.burst = std::max<int64_t>(limit.burst, 1);
  return limit;
}

}  // namespace

SiteRateLimiter::SiteRateLimiter(SiteRateLimit limit, const Clock* clock)
    : limit_(Normalized(limit)),
      clock_(clock),
      per_token_(limit_.enabled() ? absl::Seconds(1) / limit_.events_per_second
                                  : absl::ZeroDuration()),
      full_refill_(per_token_ * limit_.burst) {}

SiteRateLimiter::Decision SiteRateLimiter::TryCharge(int64_t site_id,
                                                     int64_t cost) {
  if (!limit_.enabled() || cost <= 0) return {};
  if (cost > limit_.burst) return {Outcome::kExceedsBurst};
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  MaybeForgetFullBuckets(now);
  // The bucket lacks (full_at - now) / per_token_ tokens; taking `cost`
  // more must leave the deficit within the bucket's size.
  auto it = full_at_.find(site_id);
  const absl::Time start =
      it == full_at_.end() ? now : std::max(it->second, now);
  const absl::Time full_at = start + per_token_ * cost;
  const absl::Duration overdraft = (full_at - now) - full_refill_;
  if (overdraft > absl::ZeroDuration()) {
    return {Outcome::kThrottled, overdraft};
  }
  if (it == full_at_.end()) {
    full_at_.emplace(site_id, full_at);
  } else {
    it->second = full_at;
  }
  return {};
}

size_t SiteRateLimiter::TEST_TrackedSites() const {
  absl::MutexLock lock(&mu_);
  return full_at_.size();
}

void SiteRateLimiter::MaybeForgetFullBuckets(absl::Time now) {
  // A sweep walks every entry, so it runs once per refill period rather
  // than per charge; an entry thus outlives its bucket being full by at
  // most one refill period.
  if (now - last_sweep_ < full_refill_) return;
  last_sweep_ = now;
  absl::erase_if(full_at_,
                 [now](const auto& entry) { return entry.second <= now; });
}

}  // namespace analytics::ingest
