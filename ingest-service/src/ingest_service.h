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

namespace analytics::ingest {

class IngestServiceImpl final : public v1::IngestService::Service {
 public:
  // Counts accepted, duplicate and rejected events in `metrics`.
  IngestServiceImpl(SiteKeyCache* keys, EventRepository* events,
                    const Clock* clock, IngestLimits limits, Metrics* metrics);

  grpc::Status Ingest(grpc::ServerContext* context,
                      const v1::IngestRequest* request,
                      v1::IngestResponse* response) override;

 private:
  SiteKeyCache* const keys_;
  EventRepository* const events_;
  const Clock* const clock_;
  const IngestLimits limits_;
  Metrics* const metrics_;
};

}  // namespace analytics::ingest
