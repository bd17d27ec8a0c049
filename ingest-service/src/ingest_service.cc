// IngestService implementation.
#include "ingest-service/src/ingest_service.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/auth/keys.h"
#include "common/status/status_mapping.h"
#include "spdlog/spdlog.h"

namespace analytics::ingest {
namespace {

constexpr char kAccepted[] = "analytics_events_accepted_total";
constexpr char kDuplicates[] = "analytics_events_duplicate_total";
constexpr char kRejected[] = "analytics_events_rejected_total";
constexpr char kRateLimited[] = "analytics_events_rate_limited_total";

}  // namespace

IngestServiceImpl::IngestServiceImpl(SiteKeyCache* keys,
                                     EventRepository* events,
                                     const Clock* clock, IngestLimits limits,
                                     Metrics* metrics,
                                     SiteRateLimiter* rate_limiter)
    : keys_(keys),
      events_(events),
      clock_(clock),
      limits_(limits),
      metrics_(metrics),
      rate_limiter_(rate_limiter) {
  metrics_->Declare(kAccepted, "Events stored by Ingest",
                    Metrics::Type::kCounter);
  metrics_->Declare(kDuplicates,
                    "Events Ingest skipped as already stored (same event_id)",
                    Metrics::Type::kCounter);
  metrics_->Declare(kRejected,
                    "Events Ingest rejected, by the field that was wrong",
                    Metrics::Type::kCounter, {"field"});
  metrics_->Declare(kRateLimited,
                    "Events in Ingest calls refused by the per-site rate "
                    "limit (RESOURCE_EXHAUSTED)",
                    Metrics::Type::kCounter);
}

grpc::Status IngestServiceImpl::ChargeRateLimit(grpc::ServerContext* context,
                                                int64_t site_id, int events) {
  if (rate_limiter_ == nullptr) return grpc::Status::OK;
  const SiteRateLimiter::Decision decision =
      rate_limiter_->TryCharge(site_id, events);
  const SiteRateLimit& limit = rate_limiter_->limit();
  switch (decision.outcome) {
    case SiteRateLimiter::Outcome::kAdmitted:
      return grpc::Status::OK;
    case SiteRateLimiter::Outcome::kExceedsBurst:
      // Waiting never helps, so this is not RESOURCE_EXHAUSTED.
      return grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          absl::StrCat("a batch of ", events,
                       " events exceeds the per-site ingest burst of ",
                       limit.burst, " events; send at most ", limit.burst,
                       " events per request"));
    case SiteRateLimiter::Outcome::kThrottled:
    default:
      break;
  }
  // Rounded up, so a retry after that many milliseconds fits.
  const int64_t retry_ms =
      std::max<int64_t>(1, absl::ToInt64Milliseconds(absl::Ceil(
                               decision.retry_after, absl::Milliseconds(1))));
  context->AddTrailingMetadata(kRetryAfterMsMetadataKey,
                               absl::StrCat(retry_ms));
  metrics_->Add(kRateLimited, {}, events);
  spdlog::debug("ingest for site {} rate-limited, retry in {} ms", site_id,
                retry_ms);
  return grpc::Status(
      grpc::StatusCode::RESOURCE_EXHAUSTED,
      absl::StrCat("site ", site_id, " is over its ingest rate limit of ",
                   limit.events_per_second, " events/s (burst ", limit.burst,
                   "); this batch of ", events, " events fits in ", retry_ms,
                   " ms: retry after that (", kRetryAfterMsMetadataKey,
                   " trailing metadata)"));
}

grpc::Status IngestServiceImpl::Ingest(grpc::ServerContext* context,
                                       const v1::IngestRequest* request,
                                       v1::IngestResponse* response) {
  const absl::Time now = clock_->Now();
  absl::StatusOr<std::string> token = BearerToken(*context);
  if (!token.ok()) return ToGrpcStatus(token.status());
  absl::StatusOr<SiteRecord> site = keys_->Lookup(KeyKind::kWrite, *token);
  if (!site.ok()) return ToGrpcStatus(site.status());
  if (site->disabled) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "the site of this write key is disabled");
  }
  if (absl::Status s = CheckOrigin(request->origin(), site->allowed_origins);
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (absl::Status s =
          ValidateRequestShape(*request, request->ByteSizeLong(), limits_);
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  // Before the per-event work, so a throttled site costs next to nothing.
  if (grpc::Status limited =
          ChargeRateLimit(context, site->site_id, request->events_size());
      !limited.ok()) {
    return limited;
  }

  ValidatedBatch validated = ValidateEvents(
      *request, limits_, now, site->raw_retention,
      [&site](std::string_view key) { return PropertyAllowed(*site, key); });
  int stored = 0;
  if (!validated.accepted.empty()) {
    EventBatch batch{site->site_id, std::move(validated.accepted)};
    absl::StatusOr<int> result = events_->Store(batch);
    if (!result.ok()) {
      spdlog::warn("ingest for site {} failed: {}", site->site_id,
                   result.status().ToString());
      return ToGrpcStatus(result.status());
    }
    stored = *result;
    response->set_duplicates(static_cast<int>(batch.events.size()) - stored);
  }
  response->set_accepted(stored);
  metrics_->Add(kAccepted, {}, stored);
  metrics_->Add(kDuplicates, {}, response->duplicates());
  for (auto& rejection : validated.rejected) {
    // One series per field, not per property key the caller chose.
    metrics_->Add(kRejected, {absl::StartsWith(rejection.field(), "properties.")
                                  ? "properties"
                                  : rejection.field()});
    *response->add_rejected() = std::move(rejection);
  }
  return grpc::Status::OK;
}

}  // namespace analytics::ingest
