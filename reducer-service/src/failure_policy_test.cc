// FailurePolicy: exponential backoff with jitter and a cap, and which failures
// are charged to events.
#include "reducer-service/src/failure_policy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

namespace analytics::reducer {
namespace {

const BackoffPolicy kPolicy{absl::Seconds(1), absl::Hours(1), 10};

// The value of `unit_random` that applies no jitter.
constexpr double kNoJitter = 0.5;

TEST(RetryDelayTest, FirstRetryWaitsTheBase) {
  EXPECT_EQ(RetryDelay(0, kPolicy, kNoJitter), absl::Seconds(1));
}

TEST(RetryDelayTest, DoublesWithEveryFailedAttempt) {
  EXPECT_EQ(RetryDelay(1, kPolicy, kNoJitter), absl::Seconds(2));
  EXPECT_EQ(RetryDelay(2, kPolicy, kNoJitter), absl::Seconds(4));
  EXPECT_EQ(RetryDelay(5, kPolicy, kNoJitter), absl::Seconds(32));
  EXPECT_EQ(RetryDelay(11, kPolicy, kNoJitter), absl::Seconds(2048));
}

TEST(RetryDelayTest, StopsGrowingAtTheCap) {
  EXPECT_EQ(RetryDelay(12, kPolicy, kNoJitter), absl::Hours(1));  // 4096s
  EXPECT_EQ(RetryDelay(40, kPolicy, kNoJitter), absl::Hours(1));
}

TEST(RetryDelayTest, HugeAttemptCountsDoNotOverflow) {
  EXPECT_EQ(RetryDelay(1000, kPolicy, kNoJitter), absl::Hours(1));
  EXPECT_EQ(RetryDelay(std::numeric_limits<int>::max(), kPolicy, kNoJitter),
            absl::Hours(1));
}

TEST(RetryDelayTest, NegativeAttemptsCountAsNone) {
  EXPECT_EQ(RetryDelay(-3, kPolicy, kNoJitter), absl::Seconds(1));
}

TEST(RetryDelayTest, JitterSpansMinusToPlusAQuarter) {
  EXPECT_EQ(RetryDelay(2, kPolicy, 0.0), absl::Seconds(3));
  EXPECT_EQ(RetryDelay(2, kPolicy, 0.25), absl::Milliseconds(3500));
  EXPECT_EQ(RetryDelay(2, kPolicy, 0.75), absl::Milliseconds(4500));
  // The largest unit_random below 1 reaches +25% (within rounding).
  const double almost_one = std::nextafter(1.0, 0.0);
  EXPECT_LE(RetryDelay(2, kPolicy, almost_one), absl::Seconds(5));
  EXPECT_GT(RetryDelay(2, kPolicy, almost_one), absl::Milliseconds(4999));
}

TEST(RetryDelayTest, JitterNeverExceedsTheCap) {
  EXPECT_EQ(RetryDelay(12, kPolicy, 0.0), absl::Minutes(45));
  EXPECT_EQ(RetryDelay(12, kPolicy, 0.9), absl::Hours(1));
  // Below the cap, upward jitter that would cross it is clipped too.
  const BackoffPolicy policy{absl::Seconds(1), absl::Seconds(2500), 10};
  EXPECT_NEAR(absl::ToDoubleSeconds(RetryDelay(11, policy, 0.9)), 2457.6, 1e-6);
  EXPECT_EQ(RetryDelay(11, policy, 0.99), absl::Seconds(2500));
}

TEST(RetryDelayTest, RandomSamplesStayWithinBounds) {
  std::mt19937_64 random(42);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int attempts = 0; attempts <= 15; ++attempts) {
    const absl::Duration nominal =
        std::min(kPolicy.cap, kPolicy.base * (int64_t{1} << attempts));
    const absl::Duration low = nominal * 0.75;
    const absl::Duration high = std::min(kPolicy.cap, nominal * 1.25);
    absl::Duration min_seen = absl::InfiniteDuration();
    absl::Duration max_seen = -absl::InfiniteDuration();
    for (int i = 0; i < 1000; ++i) {
      const absl::Duration d = RetryDelay(attempts, kPolicy, unit(random));
      ASSERT_GE(d, low) << "attempts " << attempts;
      ASSERT_LE(d, high) << "attempts " << attempts;
      min_seen = std::min(min_seen, d);
      max_seen = std::max(max_seen, d);
    }
    // The samples actually spread over the window (it is not a constant).
    EXPECT_LT(min_seen, low + (high - low) * 0.1) << "attempts " << attempts;
    EXPECT_GT(max_seen, high - (high - low) * 0.1) << "attempts " << attempts;
  }
}

TEST(RetryDelayTest, UsesThePolicysBaseAndCap) {
  const BackoffPolicy policy{absl::Milliseconds(100), absl::Seconds(1), 3};
  EXPECT_EQ(RetryDelay(0, policy, kNoJitter), absl::Milliseconds(100));
  EXPECT_EQ(RetryDelay(3, policy, kNoJitter), absl::Milliseconds(800));
  EXPECT_EQ(RetryDelay(4, policy, kNoJitter), absl::Seconds(1));
}

TEST(BackoffPolicyTest, DefaultsMatchTheFlags) {
  const BackoffPolicy policy;
  EXPECT_EQ(policy.base, absl::Seconds(1));
  EXPECT_EQ(policy.cap, absl::Hours(1));
  EXPECT_EQ(policy.max_attempts, 10);
}

TEST(IsEventCausedTest, OkIsNotAFailure) {
  EXPECT_FALSE(IsEventCaused(absl::OkStatus()));
}

TEST(IsEventCausedTest, DataErrorsAreChargedToEvents) {
  EXPECT_TRUE(IsEventCaused(absl::InvalidArgumentError("bad")));
  EXPECT_TRUE(IsEventCaused(absl::FailedPreconditionError("check")));
  EXPECT_TRUE(IsEventCaused(absl::AlreadyExistsError("dup")));
  EXPECT_TRUE(IsEventCaused(absl::OutOfRangeError("range")));
}

TEST(IsEventCausedTest, InternalErrorsAreNotChargedToEvents) {
  // E.g. a table missing after a bad deploy: every event would fail alike.
  EXPECT_FALSE(IsEventCaused(absl::InternalError("relation does not exist")));
}

TEST(IsEventCausedTest, TransientFailuresAreNotChargedToEvents) {
  EXPECT_FALSE(IsEventCaused(absl::UnavailableError("connection lost")));
  EXPECT_FALSE(IsEventCaused(absl::AbortedError("serialization")));
  EXPECT_FALSE(IsEventCaused(absl::DeadlineExceededError("timeout")));
  EXPECT_FALSE(IsEventCaused(absl::ResourceExhaustedError("pool")));
  EXPECT_FALSE(IsEventCaused(absl::UnknownError("in doubt")));
}

TEST(IsEventCausedTest, CancellationIsNotChargedToEvents) {
  EXPECT_FALSE(IsEventCaused(absl::CancelledError("shutdown")));
}

}  // namespace
}  // namespace analytics::reducer
