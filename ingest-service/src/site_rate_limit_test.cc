// SiteRateLimiter on a FakeClock: burst, refill, the exact retry delay,
// refused charges taking nothing, per-site independence, forgetting full
// buckets, and concurrent charges admitting exactly the burst.
#include "ingest-service/src/site_rate_limit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace analytics::ingest {
namespace {

using Outcome = SiteRateLimiter::Outcome;

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

SiteRateLimit Limit(double events_per_second, int64_t burst) {
  SiteRateLimit limit;
  limit.events_per_second = events_per_second;
  limit.burst = burst;
  return limit;
}

void ExpectAdmitted(SiteRateLimiter& limiter, int64_t site, int64_t cost) {
  SiteRateLimiter::Decision d = limiter.TryCharge(site, cost);
  EXPECT_EQ(d.outcome, Outcome::kAdmitted)
      << "site " << site << " cost " << cost;
  EXPECT_EQ(d.retry_after, absl::ZeroDuration());
}

void ExpectThrottled(SiteRateLimiter& limiter, int64_t site, int64_t cost,
                     absl::Duration retry_after) {
  SiteRateLimiter::Decision d = limiter.TryCharge(site, cost);
  EXPECT_EQ(d.outcome, Outcome::kThrottled)
      << "site " << site << " cost " << cost;
  EXPECT_EQ(d.retry_after, retry_after);
}

TEST(SiteRateLimiterTest, OffAdmitsEverythingAndKeepsNothing) {
  FakeClock clock(kStart);
  SiteRateLimiter limiter(Limit(0, 10), &clock);
  for (int i = 0; i < 100; ++i) ExpectAdmitted(limiter, 1, 1'000'000);
  EXPECT_EQ(limiter.TEST_TrackedSites(), 0u);
}

TEST(SiteRateLimiterTest, BurstPassesAtOnceThenOneTokenPerInterval) {
  FakeClock clock(kStart);
  SiteRateLimiter limiter(Limit(10, 20), &clock);
  for (int i = 0; i < 20; ++i) ExpectAdmitted(limiter, 1, 1);
  ExpectThrottled(limiter, 1, 1, absl::Milliseconds(100));
  clock.Advance(absl::Milliseconds(100));
  ExpectAdmitted(limiter, 1, 1);
  ExpectThrottled(limiter, 1, 1, absl::Milliseconds(100));
}

TEST(SiteRateLimiterTest, RetryDelayIsExactlyUntilTheBatchFits) {
  FakeClock clock(kStart);
  SiteRateLimiter limiter(Limit(10, 20), &clock);
  ExpectAdmitted(limiter, 1, 20);
  ExpectThrottled(limiter, 1, 5, absl::Milliseconds(500));
  clock.Advance(absl::Milliseconds(499));
  ExpectThrottled(limiter, 1, 5, absl::Milliseconds(1));
  // A smaller batch fits sooner.
  ExpectAdmitted(limiter, 1, 4);
  // 4.99 - 4 = 0.99 tokens left: 4.01 short of 5.
  ExpectThrottled(limiter, 1, 5, absl::Milliseconds(401));
  clock.Advance(absl::Milliseconds(401));
  ExpectAdmitted(limiter, 1, 5);
  ExpectThrottled(limiter, 1, 1, absl::Milliseconds(100));
}

TEST(SiteRateLimiterTest, RefusedChargesTakeNothing) {
  FakeClock clock(kStart);
  SiteRateLimiter limiter(Limit(10, 20), &clock);
  ExpectAdmitted(limiter, 1, 20);
  // Hammering while empty does not push the delay further out.
  for (int i = 0; i < 50; ++i) {
    ExpectThrottled(limiter, 1, 10, absl::Seconds(1));
  }
  clock.Advance(absl::Seconds(1));
  ExpectAdmitted(limiter, 1, 10);
}

TEST(SiteRateLimiterTest, RefillsAtTheRateUpToTheBurst) {
  FakeClock clock(kStart);
  SiteRateLimiter limiter(Limit(10, 20), &clock);
  ExpectAdmitted(limiter, 1, 20);
  clock.Advance(absl::Seconds(1));
  ExpectAdmitted(limiter, 1, 10);
  ExpectThrottled(limiter, 1, 1, absl::Milliseconds(100));
  // Idle far longer than a refill: still only the burst.
  clock.Advance(absl::Hours(1));
  ExpectAdmitted(limiter, 1, 20);
  ExpectThrottled(limiter, 1, 1, absl::Milliseconds(100));
}

TEST(SiteRateLimiterTest, FractionalRate) {
  FakeClock clock(kStart);
  SiteRateLimiter limiter(Limit(0.5, 1), &clock);
  ExpectAdmitted(limiter, 1, 1);
  ExpectThrottled(limiter, 1, 1, absl::Seconds(2));
  clock.Advance(absl::Seconds(2));
  ExpectAdmitted(limiter, 1, 1);
}

TEST(SiteRateLimiterTest, BatchLargerThanTheBurstNeverPasses) {
  FakeClock clock(kStart);
  SiteRateLimiter limiter(Limit(10, 20), &clock);
  SiteRateLimiter::Decision d = limiter.TryCharge(1, 21);
  EXPECT_EQ(d.outcome, Outcome::kExceedsBurst);
  EXPECT_EQ(d.retry_after, absl::ZeroDuration());
  // It took nothing: the full burst is still there.
  ExpectAdmitted(limiter, 1, 20);
  EXPECT_EQ(limiter.TryCharge(1, 21).outcome, Outcome::kExceedsBurst);
}

TEST(SiteRateLimiterTest, BurstBelowOneIsOne) {
  FakeClock clock(kStart);
  SiteRateLimiter limiter(Limit(4, 0), &clock);
  EXPECT_EQ(limiter.limit().burst, 1);
  ExpectAdmitted(limiter, 1, 1);
  ExpectThrottled(limiter, 1, 1, absl::Milliseconds(250));
  EXPECT_EQ(limiter.TryCharge(1, 2).outcome, Outcome::kExceedsBurst);
}

TEST(SiteRateLimiterTest, SitesHaveTheirOwnBuckets) {
  FakeClock clock(kStart);
  SiteRateLimiter limiter(Limit(10, 20), &clock);
  ExpectAdmitted(limiter, 1, 20);
  ExpectThrottled(limiter, 1, 1, absl::Milliseconds(100));
  ExpectAdmitted(limiter, 2, 20);
  ExpectThrottled(limiter, 2, 1, absl::Milliseconds(100));
  clock.Advance(absl::Milliseconds(300));
  ExpectAdmitted(limiter, 1, 3);
  ExpectAdmitted(limiter, 3, 20);
  ExpectAdmitted(limiter, 2, 3);
  ExpectThrottled(limiter, 1, 1, absl::Milliseconds(100));
}

TEST(SiteRateLimiterTest, FullBucketsAreForgotten) {
  FakeClock clock(kStart);
  // Refill period: 20 tokens at 10/s = 2 s.
  SiteRateLimiter limiter(Limit(10, 20), &clock);
  ExpectAdmitted(limiter, 1, 20);  // full again at +2 s
  for (int64_t site = 100; site < 200; ++site) {
    ExpectAdmitted(limiter, site, 1);  // full again at +100 ms
  }
  EXPECT_EQ(limiter.TEST_TrackedSites(), 101u);
  clock.Advance(absl::Seconds(1));
  ExpectAdmitted(limiter, 1, 10);                // full again at +3 s
  EXPECT_EQ(limiter.TEST_TrackedSites(), 101u);  // no sweep within 2 s
  clock.Advance(absl::Seconds(1));
  ExpectAdmitted(limiter, 2, 1);
  // Sites 100..199 are full again and gone; site 1 is not and is kept,
  // with its deficit.
  EXPECT_EQ(limiter.TEST_TrackedSites(), 2u);
  ExpectAdmitted(limiter, 1, 10);
  ExpectThrottled(limiter, 1, 1, absl::Milliseconds(100));
  // A forgotten site starts full.
  ExpectAdmitted(limiter, 150, 20);
}

TEST(SiteRateLimiterTest, ConcurrentChargesAdmitExactlyTheBurst) {
  FakeClock clock(kStart);
  SiteRateLimiter limiter(Limit(1, 1000), &clock);
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        if (limiter.TryCharge(7, 1).outcome == Outcome::kAdmitted) ++admitted;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(admitted.load(), 1000);
}

}  // namespace
}  // namespace analytics::ingest
