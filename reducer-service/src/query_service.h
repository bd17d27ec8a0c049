// QueryService (analytics.v1): dashboard reads. Authorises the read key (or
// admin token) for the site asked about, validates the range, plans it and
// converts the totals to proto. No SQL here.
#pragma once

#include <string>

#include "analytics/v1/query.grpc.pb.h"
#include "common/sites/site_repository.h"
#include "reducer-service/src/overview_repository.h"

namespace analytics::reducer {

class QueryServiceImpl final : public v1::QueryService::Service {
 public:
  QueryServiceImpl(SiteKeyCache* keys, SiteRepository* sites,
                   OverviewRepository* overview, std::string admin_token_hash)
      : keys_(keys),
        sites_(sites),
        overview_(overview),
        admin_token_hash_(std::move(admin_token_hash)) {}

  grpc::Status GetOverview(grpc::ServerContext* context,
                           const v1::GetOverviewRequest* request,
                           v1::Overview* response) override;
  grpc::Status GetTimeseries(grpc::ServerContext* context,
                             const v1::GetTimeseriesRequest* request,
                             v1::Timeseries* response) override;

 private:
  // OK if the caller may read `site_id`: UNAUTHENTICATED for a missing or
  // unknown key, PERMISSION_DENIED for another site's key, NOT_FOUND for an
  // unknown site asked by the admin.
  absl::Status AuthorizeRead(const grpc::ServerContext& context,
                             int64_t site_id);

  SiteKeyCache* const keys_;
  SiteRepository* const sites_;
  OverviewRepository* const overview_;
  const std::string admin_token_hash_;
};

// Validates a [from, to) request range: both present, valid, from <= to, at
// most 10 years long. INVALID_ARGUMENT naming the field otherwise.
absl::Status ParseRange(const google::protobuf::Timestamp& from, bool has_from,
                        const google::protobuf::Timestamp& to, bool has_to,
                        absl::Time* from_out, absl::Time* to_out);

}  // namespace analytics::reducer
