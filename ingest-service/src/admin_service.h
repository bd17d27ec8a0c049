// AdminService (analytics.v1): site administration behind the admin token.
// Converts proto <-> domain; storage lives in SiteRepository.
#pragma once

#include <string>

#include "analytics/v1/admin.grpc.pb.h"
#include "common/sites/site_repository.h"

namespace analytics::ingest {

class AdminServiceImpl final : public v1::AdminService::Service {
 public:
  // `admin_token_hash`: SHA-256 hex of the operator's token; empty disables
  // every admin call.
  AdminServiceImpl(SiteRepository* sites, std::string admin_token_hash)
      : sites_(sites), admin_token_hash_(std::move(admin_token_hash)) {}

  grpc::Status CreateSite(grpc::ServerContext* context,
                          const v1::CreateSiteRequest* request,
                          v1::CreateSiteResponse* response) override;
  grpc::Status GetSite(grpc::ServerContext* context,
                       const v1::GetSiteRequest* request,
                       v1::Site* response) override;
  grpc::Status ListSites(grpc::ServerContext* context,
                         const v1::ListSitesRequest* request,
                         v1::ListSitesResponse* response) override;

 private:
  // UNAUTHENTICATED unless the call carries the admin token.
  absl::Status Authorize(const grpc::ServerContext& context) const;

  SiteRepository* const sites_;
  const std::string admin_token_hash_;
};

// Proto form of a site; shared with tests.
v1::Site ToProto(const SiteRecord& site);

}  // namespace analytics::ingest
