// IngestService implementation.
#include "ingest-service/src/ingest_service.h"

#include "absl/strings/match.h"
#include "common/auth/keys.h"
#include "common/status/status_mapping.h"
#include "spdlog/spdlog.h"

namespace analytics::ingest {
namespace {

constexpr char kAccepted[] = "analytics_events_accepted_total";
constexpr char kDuplicates[] = "analytics_events_duplicate_total";
constexpr char kRejected[] = "analytics_events_rejected_total";

}  // namespace

IngestServiceImpl::IngestServiceImpl(SiteKeyCache* keys,
                                     EventRepository* events,
                                     const Clock* clock, IngestLimits limits,
                                     Metrics* metrics)
    : keys_(keys),
      events_(events),
      clock_(clock),
      limits_(limits),
      metrics_(metrics) {
  metrics_->Declare(kAccepted, "Events stored by Ingest",
                    Metrics::Type::kCounter);
  metrics_->Declare(kDuplicates,
                    "Events Ingest skipped as already stored (same event_id)",
                    Metrics::Type::kCounter);
  metrics_->Declare(kRejected,
                    "Events Ingest rejected, by the field that was wrong",
                    Metrics::Type::kCounter, {"field"});
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
