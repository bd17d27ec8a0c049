// IngestService (analytics.v1): authenticates the write key, validates the
// batch and stores what is valid. Converts proto <-> domain and
// absl::Status -> grpc::Status; no SQL here.
#pragma once

#include "analytics/v1/ingest.grpc.pb.h"
#include "common/metrics/metrics.h"
#include "common/sites/site_repository.h"
#include "common/time/clock.h"
#include "ingest-service/src/event_repository.h"
#include "ingest-service/src/event_validation.h"
#include "ingest-service/src/site_rate_limit.h"

namespace analytics::ingest {

// Trailing metadata of a rate-limited Ingest (RESOURCE_EXHAUSTED): whole
// milliseconds until the same batch would fit. Debian ships no
// google/rpc/error_details.proto, so google.rpc.RetryInfo is not available.
inline constexpr char kRetryAfterMsMetadataKey[] = "retry-after-ms";

class IngestServiceImpl final : public v1::IngestService::Service {
 public:
  // Counts accepted, duplicate, rejected and rate-limited events in
  // `metrics`. `rate_limiter` (may be null: no limit) is charged each
  // batch's events per site.
  IngestServiceImpl(SiteKeyCache* keys, EventRepository* events,
                    const Clock* clock, IngestLimits limits, Metrics* metrics,
                    SiteRateLimiter* rate_limiter = nullptr);

  grpc::Status Ingest(grpc::ServerContext* context,
                      const v1::IngestRequest* request,
                      v1::IngestResponse* response) override;

 private:
  // OK, or the refusal (with retry metadata) of `events` more for the site.
  grpc::Status ChargeRateLimit(grpc::ServerContext* context, int64_t site_id,
                               int events);

  SiteKeyCache* const keys_;
  EventRepository* const events_;
  const Clock* const clock_;
  const IngestLimits limits_;
  Metrics* const metrics_;
  SiteRateLimiter* const rate_limiter_;
};

}  // namespace analytics::ingest
