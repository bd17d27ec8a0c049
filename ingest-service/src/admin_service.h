// AdminService (analytics.v1): site administration behind the admin token.
// Converts proto <-> domain; storage lives in SiteRepository.
#pragma once

#include <string>

#include "analytics/v1/admin.grpc.pb.h"
#include "common/sites/site_repository.h"
#include "ingest-service/src/failed_event_repository.h"
#include "ingest-service/src/rollup_audit.h"
#include "ingest-service/src/site_purge.h"

namespace analytics::ingest {

class AdminServiceImpl final : public v1::AdminService::Service {
 public:
  // `admin_token_hash`: SHA-256 hex of the operator's token; empty disables
  // every admin call.
  AdminServiceImpl(SiteRepository* sites, FailedEventRepository* failed,
                   RollupAudit* audit, SitePurge* purge,
                   std::string admin_token_hash)
      : sites_(sites),
        failed_(failed),
        audit_(audit),
        purge_(purge),
        admin_token_hash_(std::move(admin_token_hash)) {}

  grpc::Status CreateSite(grpc::ServerContext* context,
                          const v1::CreateSiteRequest* request,
                          v1::CreateSiteResponse* response) override;
  grpc::Status GetSite(grpc::ServerContext* context,
                       const v1::GetSiteRequest* request,
                       v1::Site* response) override;
  grpc::Status ListSites(grpc::ServerContext* context,
                         const v1::ListSitesRequest* request,
                         v1::ListSitesResponse* response) override;
  grpc::Status UpdateSite(grpc::ServerContext* context,
                          const v1::UpdateSiteRequest* request,
                          v1::Site* response) override;
  grpc::Status DisableSite(grpc::ServerContext* context,
                           const v1::SiteStateRequest* request,
                           v1::Site* response) override;
  grpc::Status EnableSite(grpc::ServerContext* context,
                          const v1::SiteStateRequest* request,
                          v1::Site* response) override;
  grpc::Status DeleteSite(grpc::ServerContext* context,
                          const v1::DeleteSiteRequest* request,
                          v1::DeleteSiteResponse* response) override;
  grpc::Status RotateWriteKey(grpc::ServerContext* context,
                              const v1::RotateKeyRequest* request,
                              v1::RotateKeyResponse* response) override;
  grpc::Status RotateReadKey(grpc::ServerContext* context,
                             const v1::RotateKeyRequest* request,
                             v1::RotateKeyResponse* response) override;
  grpc::Status ListFailedEvents(
      grpc::ServerContext* context, const v1::ListFailedEventsRequest* request,
      v1::ListFailedEventsResponse* response) override;
  grpc::Status RetryFailedEvents(
      grpc::ServerContext* context, const v1::RetryFailedEventsRequest* request,
      v1::RetryFailedEventsResponse* response) override;
  grpc::Status GetBacklog(grpc::ServerContext* context,
                          const v1::GetBacklogRequest* request,
                          v1::GetBacklogResponse* response) override;
  grpc::Status RebuildRollups(grpc::ServerContext* context,
                              const v1::RollupCheckRequest* request,
                              v1::RollupCheckResponse* response) override;
  grpc::Status VerifyRollups(grpc::ServerContext* context,
                             const v1::RollupCheckRequest* request,
                             v1::RollupCheckResponse* response) override;

 private:
  // UNAUTHENTICATED unless the call carries the admin token.
  absl::Status Authorize(const grpc::ServerContext& context) const;
  // Shared body of DisableSite and EnableSite.
  grpc::Status SetDisabled(const grpc::ServerContext& context,
                           const v1::SiteStateRequest& request, bool disabled,
                           v1::Site* response);
  // Shared body of RotateWriteKey and RotateReadKey.
  grpc::Status RotateKey(const grpc::ServerContext& context,
                         const v1::RotateKeyRequest& request, KeyKind kind,
                         v1::RotateKeyResponse* response);
  // Shared body of RebuildRollups and VerifyRollups.
  grpc::Status CheckRollups(const grpc::ServerContext& context,
                            const v1::RollupCheckRequest& request, bool rewrite,
                            v1::RollupCheckResponse* response);

  SiteRepository* const sites_;
  FailedEventRepository* const failed_;
  RollupAudit* const audit_;
  SitePurge* const purge_;
  const std::string admin_token_hash_;
};

// Proto form of a site; shared with tests.
v1::Site ToProto(const SiteRecord& site);

// Copies the fields of `from` named by `mask` (UpdateSite's paths) into
// `site`; INVALID_ARGUMENT naming update_mask for an empty mask or an
// unknown path. Values are not validated here (ValidateSite does).
absl::Status ApplySiteMask(const v1::Site& from,
                           const google::protobuf::FieldMask& mask,
                           SiteRecord* site);

}  // namespace analytics::ingest
