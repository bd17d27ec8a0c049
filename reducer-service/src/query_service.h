// QueryService (analytics.v1): dashboard reads. Authorises the read key (or
// admin token) for the site asked about, validates the range, plans it (or
// the page) and converts the results to proto. No SQL here.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "analytics/v1/query.grpc.pb.h"
#include "common/sites/site_repository.h"
#include "reducer-service/src/activity_repository.h"
#include "reducer-service/src/overview_repository.h"

namespace analytics::reducer {

class QueryServiceImpl final : public v1::QueryService::Service {
 public:
  QueryServiceImpl(SiteKeyCache* keys, SiteRepository* sites,
                   OverviewRepository* overview, ActivityRepository* activity,
                   std::string admin_token_hash)
      : keys_(keys),
        sites_(sites),
        overview_(overview),
        activity_(activity),
        admin_token_hash_(std::move(admin_token_hash)) {}

  grpc::Status GetOverview(grpc::ServerContext* context,
                           const v1::GetOverviewRequest* request,
                           v1::Overview* response) override;
  grpc::Status GetTimeseries(grpc::ServerContext* context,
                             const v1::GetTimeseriesRequest* request,
                             v1::Timeseries* response) override;
  grpc::Status ListEvents(grpc::ServerContext* context,
                          const v1::ListEventsRequest* request,
                          v1::ListEventsResponse* response) override;
  grpc::Status ListSessions(grpc::ServerContext* context,
                            const v1::ListSessionsRequest* request,
                            v1::ListSessionsResponse* response) override;
  grpc::Status ListVisitors(grpc::ServerContext* context,
                            const v1::ListVisitorsRequest* request,
                            v1::ListVisitorsResponse* response) override;

 private:
  // OK if the caller may read `site_id`: UNAUTHENTICATED for a missing or
  // unknown key, PERMISSION_DENIED for another site's key, NOT_FOUND for an
  // unknown site asked by the admin.
  absl::Status AuthorizeRead(const grpc::ServerContext& context,
                             int64_t site_id);

  SiteKeyCache* const keys_;
  SiteRepository* const sites_;
  OverviewRepository* const overview_;
  ActivityRepository* const activity_;
  const std::string admin_token_hash_;
};

// Validates a [from, to) request range: both present, valid, from <= to, at
// most 10 years long. INVALID_ARGUMENT naming the field otherwise.
absl::Status ParseRange(const google::protobuf::Timestamp& from, bool has_from,
                        const google::protobuf::Timestamp& to, bool has_to,
                        absl::Time* from_out, absl::Time* to_out);

// Validates the optional range of a List request: each bound absent
// (unbounded) or a valid timestamp, and from <= to when both are present.
// INVALID_ARGUMENT naming the field otherwise.
absl::Status ParseOptionalRange(const google::protobuf::Timestamp& from,
                                bool has_from,
                                const google::protobuf::Timestamp& to,
                                bool has_to,
                                std::optional<absl::Time>* from_out,
                                std::optional<absl::Time>* to_out);

// The rows of one List page: page_size 0 means 50, at most 1000;
// INVALID_ARGUMENT naming page_size otherwise.
absl::StatusOr<int> ParsePageSize(int32_t page_size);

// Fills `out` from a stored flat JSON object of properties (string, number,
// bool or null values, as Ingest stores them). INTERNAL if it is not one.
absl::Status PropertiesFromJson(
    std::string_view json,
    google::protobuf::Map<std::string, v1::PropertyValue>* out);

}  // namespace analytics::reducer
