// The per-site Ingest rate limit through the real services: a noisy site over
// its limit gets RESOURCE_EXHAUSTED with retry-after-ms while another site's
// concurrent ingest is untouched; nothing refused is stored; the retry delay
// is enough; a batch larger than the burst is INVALID_ARGUMENT.
#include <grpcpp/grpcpp.h>

#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "tests/support/stack.h"

namespace analytics::testing {
namespace {

using ::testing::HasSubstr;

constexpr double kRate = 10;  // events per second per site
constexpr int64_t kBurst = 20;
constexpr int kBatch = 5;  // 5 events = 500 ms of refill at kRate

struct Call {
  grpc::Status status;
  v1::IngestResponse response;
  // The retry-after-ms trailing metadata, when there was one.
  std::optional<int64_t> retry_after_ms;
};

v1::IngestRequest Batch(const std::string& prefix, int first, int count) {
  v1::IngestRequest request;
  const int64_t now_us = absl::ToUnixMicros(absl::Now());
  for (int i = first; i < first + count; ++i) {
    v1::Event* event = request.add_events();
    event->set_event_id(absl::StrCat(prefix, "-", i));
    event->set_type(v1::PAGEVIEW);
    event->set_visitor_id(absl::StrCat(prefix, "-visitor"));
    event->set_session_id(absl::StrCat(prefix, "-session"));
    event->set_path("/");
    *event->mutable_occurred_at() =
        google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(now_us - i);
  }
  return request;
}

class RateLimitTest : public ::testing::Test {
 protected:
  void StartStack(const Clock* clock) {
    StackOptions options;
    options.site_rate_limit.events_per_second = kRate;
    options.site_rate_limit.burst = kBurst;
    options.rate_limit_clock = clock;
    absl::StatusOr<std::unique_ptr<ServiceStack>> stack =
        ServiceStack::Start(options);
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = std::move(*stack);
    absl::StatusOr<v1::CreateSiteResponse> noisy = stack_->CreateSite("noisy");
    absl::StatusOr<v1::CreateSiteResponse> quiet = stack_->CreateSite("quiet");
    ASSERT_TRUE(noisy.ok()) << noisy.status();
    ASSERT_TRUE(quiet.ok()) << quiet.status();
    noisy_ = *noisy;
    quiet_ = *quiet;
  }

  Call Ingest(const std::string& write_key, const v1::IngestRequest& request) {
    auto context = AuthorizedContext(write_key);
    Call call;
    call.status =
        stack_->ingest().Ingest(context.get(), request, &call.response);
    const auto& trailers = context->GetServerTrailingMetadata();
    auto it = trailers.find(ingest::kRetryAfterMsMetadataKey);
    int64_t ms = 0;
    if (it != trailers.end() &&
        absl::SimpleAtoi(
            absl::string_view(it->second.data(), it->second.size()), &ms)) {
      call.retry_after_ms = ms;
    }
    return call;
  }

  int64_t StoredEvents(int64_t site_id) {
    return stack_->db().QueryInt(
        "SELECT count(*) FROM events WHERE site_id = $1", site_id);
  }

  std::string RateLimitedMetric() {
    for (absl::string_view line :
         absl::StrSplit(stack_->metrics().Render(), '\n')) {
      if (absl::StartsWith(line, "analytics_events_rate_limited_total ")) {
        return std::string(line);
      }
    }
    return "";
  }

  std::unique_ptr<ServiceStack> stack_;
  v1::CreateSiteResponse noisy_, quiet_;
};

TEST_F(RateLimitTest, NoisySiteIsThrottledWhileAnotherSiteIngests) {
  // Frozen, so no token refills during the test and every count is exact.
  FakeClock clock(absl::Now());
  ASSERT_NO_FATAL_FAILURE(StartStack(&clock));

  constexpr int kNoisyCalls = 40;
  constexpr int kQuietCalls = 4;  // 20 events: exactly the quiet site's burst
  std::vector<Call> noisy_calls, quiet_calls;
  std::thread noisy([&] {
    for (int i = 0; i < kNoisyCalls; ++i) {
      noisy_calls.push_back(
          Ingest(noisy_.write_key(), Batch("noisy", i * kBatch, kBatch)));
    }
  });
  std::thread quiet([&] {
    for (int i = 0; i < kQuietCalls; ++i) {
      quiet_calls.push_back(
          Ingest(quiet_.write_key(), Batch("quiet", i * kBatch, kBatch)));
    }
  });
  noisy.join();
  quiet.join();

  // The quiet site got everything in, whatever the noisy one did meanwhile.
  for (const Call& call : quiet_calls) {
    ASSERT_TRUE(call.status.ok()) << call.status.error_message();
    EXPECT_EQ(call.response.accepted(), kBatch);
    EXPECT_FALSE(call.retry_after_ms.has_value());
  }
  // The noisy site: its burst, then refusals that each say when the batch
  // fits (its 5 events refill in 500 ms).
  int accepted = 0, refused = 0;
  for (int i = 0; i < kNoisyCalls; ++i) {
    const Call& call = noisy_calls[i];
    if (i < kBurst / kBatch) {
      ASSERT_TRUE(call.status.ok()) << i << ": " << call.status.error_message();
      accepted += call.response.accepted();
      continue;
    }
    ASSERT_EQ(call.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << i << ": " << call.status.error_message();
    EXPECT_THAT(call.status.error_message(),
                HasSubstr("rate limit of 10 events/s (burst 20)"));
    EXPECT_THAT(call.status.error_message(), HasSubstr("fits in 500 ms"));
    EXPECT_EQ(call.retry_after_ms, 500);
    ++refused;
  }
  EXPECT_EQ(accepted, kBurst);
  EXPECT_EQ(refused, kNoisyCalls - kBurst / kBatch);

  // Nothing refused was stored.
  EXPECT_EQ(StoredEvents(noisy_.site().site_id()), kBurst);
  EXPECT_EQ(StoredEvents(quiet_.site().site_id()), kQuietCalls * kBatch);
  EXPECT_EQ(stack_->db().QueryInt("SELECT count(*) FROM events"),
            kBurst + kQuietCalls * kBatch);
  EXPECT_EQ(
      RateLimitedMetric(),
      absl::StrCat("analytics_events_rate_limited_total ", refused * kBatch));

  // After the advertised delay the noisy site's batch fits, and only it.
  clock.Advance(absl::Milliseconds(500));
  Call retried = Ingest(noisy_.write_key(), Batch("noisy", 1000, kBatch));
  ASSERT_TRUE(retried.status.ok()) << retried.status.error_message();
  EXPECT_EQ(retried.response.accepted(), kBatch);
  EXPECT_EQ(Ingest(noisy_.write_key(), Batch("noisy", 2000, 1)).retry_after_ms,
            100);
  EXPECT_EQ(StoredEvents(noisy_.site().site_id()), kBurst + kBatch);

  // Both sites' stored events are reduced: throttling one site holds back
  // nobody's reduction.
  absl::StatusOr<int> reduced = stack_->Drain();
  ASSERT_TRUE(reduced.ok()) << reduced.status();
  EXPECT_EQ(*reduced, kBurst + kBatch + kQuietCalls * kBatch);
}

TEST_F(RateLimitTest, RetryAfterIsEnoughOnTheRealClock) {
  ASSERT_NO_FATAL_FAILURE(StartStack(nullptr));
  Call first = Ingest(noisy_.write_key(), Batch("noisy", 0, kBurst));
  ASSERT_TRUE(first.status.ok()) << first.status.error_message();
  Call refused = Ingest(noisy_.write_key(), Batch("noisy", 100, kBatch));
  ASSERT_EQ(refused.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  ASSERT_TRUE(refused.retry_after_ms.has_value());
  // At most the whole batch's refill; less if time passed since the burst.
  EXPECT_GT(*refused.retry_after_ms, 0);
  EXPECT_LE(*refused.retry_after_ms, 500);
  absl::SleepFor(absl::Milliseconds(*refused.retry_after_ms));
  Call retried = Ingest(noisy_.write_key(), Batch("noisy", 100, kBatch));
  ASSERT_TRUE(retried.status.ok()) << retried.status.error_message();
  EXPECT_EQ(retried.response.accepted(), kBatch);
  EXPECT_EQ(StoredEvents(noisy_.site().site_id()), kBurst + kBatch);
}

TEST_F(RateLimitTest, BatchLargerThanTheBurstIsInvalidArgument) {
  FakeClock clock(absl::Now());
  ASSERT_NO_FATAL_FAILURE(StartStack(&clock));
  Call call = Ingest(noisy_.write_key(), Batch("noisy", 0, kBurst + 1));
  EXPECT_EQ(call.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(call.status.error_message(), HasSubstr("burst of 20"));
  EXPECT_FALSE(call.retry_after_ms.has_value());
  EXPECT_EQ(StoredEvents(noisy_.site().site_id()), 0);
  // It took no tokens: the whole burst still passes.
  Call burst = Ingest(noisy_.write_key(), Batch("noisy", 100, kBurst));
  ASSERT_TRUE(burst.status.ok()) << burst.status.error_message();
  EXPECT_EQ(burst.response.accepted(), kBurst);
}

TEST(RateLimitOffTest, StackHasNoLimitByDefault) {
  absl::StatusOr<std::unique_ptr<ServiceStack>> stack = ServiceStack::Start();
  ASSERT_TRUE(stack.ok()) << stack.status();
  absl::StatusOr<v1::CreateSiteResponse> site = (*stack)->CreateSite("site");
  ASSERT_TRUE(site.ok()) << site.status();
  for (int i = 0; i < 5; ++i) {
    v1::IngestResponse response;
    grpc::Status status = (*stack)->Ingest(
        site->write_key(), Batch("site", i * 500, 500), &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.accepted(), 500);
  }
  EXPECT_EQ((*stack)->db().QueryInt("SELECT count(*) FROM events"), 2500);
}

}  // namespace
}  // namespace analytics::testing
