// AdminService implementation.
#include "ingest-service/src/admin_service.h"

#include "common/auth/keys.h"
#include "common/status/status_mapping.h"
#include "google/protobuf/util/time_util.h"
#include "spdlog/spdlog.h"

namespace analytics::ingest {

using google::protobuf::util::TimeUtil;

v1::Site ToProto(const SiteRecord& site) {
  v1::Site out;
  out.set_site_id(site.site_id);
  out.set_slug(site.slug);
  out.set_name(site.name);
  for (const auto& origin : site.allowed_origins) out.add_allowed_origins(origin);
  auto* settings = out.mutable_settings();
  *settings->mutable_session_timeout() = TimeUtil::MillisecondsToDuration(
      absl::ToInt64Milliseconds(site.session_timeout));
  settings->set_time_zone(site.time_zone);
  *settings->mutable_raw_retention() = TimeUtil::MillisecondsToDuration(
      absl::ToInt64Milliseconds(site.raw_retention));
  *out.mutable_created_at() =
      TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(site.created_at));
  out.set_disabled(site.disabled);
  return out;
}

absl::Status AdminServiceImpl::Authorize(
    const grpc::ServerContext& context) const {
  absl::StatusOr<std::string> token = BearerToken(context);
  if (!token.ok()) return token.status();
  if (admin_token_hash_.empty()) {
    return absl::UnauthenticatedError(
        "admin calls are disabled: the server has no ANALYTICS_ADMIN_TOKEN");
  }
  if (!IsAdminToken(*token, admin_token_hash_)) {
    return absl::UnauthenticatedError("invalid admin token");
  }
  return absl::OkStatus();
}

grpc::Status AdminServiceImpl::CreateSite(grpc::ServerContext* context,
                                          const v1::CreateSiteRequest* request,
                                          v1::CreateSiteResponse* response) {
  if (absl::Status s = Authorize(*context); !s.ok()) return ToGrpcStatus(s);
  SiteRecord site;
  site.slug = request->slug();
  site.name = request->name().empty() ? request->slug() : request->name();
  site.allowed_origins.assign(request->allowed_origins().begin(),
                              request->allowed_origins().end());
  const v1::SiteSettings& settings = request->settings();
  if (settings.has_session_timeout()) {
    site.session_timeout = absl::Milliseconds(
        TimeUtil::DurationToMilliseconds(settings.session_timeout()));
  }
  if (settings.has_raw_retention()) {
    site.raw_retention = absl::Milliseconds(
        TimeUtil::DurationToMilliseconds(settings.raw_retention()));
  }
  if (!settings.time_zone().empty()) site.time_zone = settings.time_zone();
  if (absl::Status s = ValidateSite(site); !s.ok()) return ToGrpcStatus(s);

  std::string write_key = GenerateKey("wk_");
  std::string read_key = GenerateKey("rk_");
  absl::StatusOr<SiteRecord> created =
      sites_->Create(site, HashKey(write_key), HashKey(read_key));
  if (!created.ok()) return ToGrpcStatus(created.status());
  spdlog::info("created site {} ({})", created->site_id, created->slug);
  *response->mutable_site() = ToProto(*created);
  response->set_write_key(write_key);
  response->set_read_key(read_key);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::GetSite(grpc::ServerContext* context,
                                       const v1::GetSiteRequest* request,
                                       v1::Site* response) {
  if (absl::Status s = Authorize(*context); !s.ok()) return ToGrpcStatus(s);
  absl::StatusOr<SiteRecord> site;
  switch (request->site_case()) {
    case v1::GetSiteRequest::kSiteId:
      site = sites_->GetById(request->site_id());
      break;
    case v1::GetSiteRequest::kSlug:
      site = sites_->GetBySlug(request->slug());
      break;
    default:
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "site: set site_id or slug");
  }
  if (!site.ok()) return ToGrpcStatus(site.status());
  *response = ToProto(*site);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::ListSites(grpc::ServerContext* context,
                                         const v1::ListSitesRequest*,
                                         v1::ListSitesResponse* response) {
  if (absl::Status s = Authorize(*context); !s.ok()) return ToGrpcStatus(s);
  absl::StatusOr<std::vector<SiteRecord>> sites = sites_->List();
  if (!sites.ok()) return ToGrpcStatus(sites.status());
  for (const SiteRecord& site : *sites) *response->add_sites() = ToProto(site);
  return grpc::Status::OK;
}

}  // namespace analytics::ingest
