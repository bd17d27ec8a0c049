// AdminService implementation.
#include "ingest-service/src/admin_service.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/auth/keys.h"
#include "common/server/deadline.h"
#include "common/status/status_mapping.h"
#include "common/time/clock.h"
#include "common/time/proto_time.h"
#include "google/protobuf/util/time_util.h"
#include "spdlog/spdlog.h"

namespace analytics::ingest {

using google::protobuf::util::TimeUtil;

namespace {

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;
constexpr size_t kMaxReportedDifferences = 100;
constexpr absl::Duration kDefaultRotationGrace = absl::Hours(1);
constexpr absl::Duration kMaxRotationGrace = absl::Hours(24 * 30);

FailedState FromProto(v1::FailedEventState state) {
  switch (state) {
    case v1::RETRYING:
      return FailedState::kRetrying;
    case v1::DEAD:
      return FailedState::kDead;
    default:
      return FailedState::kAny;
  }
}

v1::RollupValues ToProto(const RollupDelta& d) {
  v1::RollupValues out;
  out.set_events(d.events);
  out.set_pageviews(d.pageviews);
  out.set_visitors(d.visitors);
  out.set_sessions(d.sessions);
  out.set_bounces(d.bounces);
  out.set_duration_us(d.duration_us);
  out.set_visitor_ids(d.visitor_ids);
  out.set_session_ids(d.session_ids);
  return out;
}

// Page tokens are the last event id of the previous page: stable while
// failures go on, opaque enough for clients (they only pass it back).
absl::StatusOr<int64_t> ParsePageToken(const std::string& token) {
  if (token.empty()) return 0;
  int64_t after = 0;
  if (!absl::SimpleAtoi(token, &after) || after < 0) {
    return absl::InvalidArgumentError("page_token: not a token of this API");
  }
  return after;
}

}  // namespace

v1::Site ToProto(const SiteRecord& site) {
  v1::Site out;
  out.set_site_id(site.site_id);
  out.set_slug(site.slug);
  out.set_name(site.name);
  for (const auto& origin : site.allowed_origins)
    out.add_allowed_origins(origin);
  auto* settings = out.mutable_settings();
  *settings->mutable_session_timeout() = TimeUtil::MillisecondsToDuration(
      absl::ToInt64Milliseconds(site.session_timeout));
  settings->set_time_zone(site.time_zone);
  *settings->mutable_raw_retention() = TimeUtil::MillisecondsToDuration(
      absl::ToInt64Milliseconds(site.raw_retention));
  for (const auto& key : site.property_allowlist) {
    settings->add_property_allowlist(key);
  }
  for (const auto& key : site.property_denylist) {
    settings->add_property_denylist(key);
  }
  *out.mutable_created_at() = ToProtoTimestamp(site.created_at);
  out.set_disabled(site.disabled);
  out.set_deleted(site.deleted);
  return out;
}

absl::Status ApplySiteMask(const v1::Site& from,
                           const google::protobuf::FieldMask& mask,
                           SiteRecord* site) {
  if (mask.paths().empty()) {
    return absl::InvalidArgumentError(
        "update_mask: name the fields to change (name, allowed_origins, "
        "settings.session_timeout, settings.time_zone, settings.raw_retention, "
        "settings.property_allowlist, settings.property_denylist)");
  }
  const v1::SiteSettings& settings = from.settings();
  for (const std::string& path : mask.paths()) {
    if (path == "name") {
      site->name = from.name();
    } else if (path == "allowed_origins") {
      site->allowed_origins.assign(from.allowed_origins().begin(),
                                   from.allowed_origins().end());
    } else if (path == "settings.session_timeout") {
      site->session_timeout = absl::Milliseconds(
          TimeUtil::DurationToMilliseconds(settings.session_timeout()));
    } else if (path == "settings.time_zone") {
      site->time_zone = settings.time_zone();
    } else if (path == "settings.raw_retention") {
      site->raw_retention = absl::Milliseconds(
          TimeUtil::DurationToMilliseconds(settings.raw_retention()));
    } else if (path == "settings.property_allowlist") {
      site->property_allowlist.assign(settings.property_allowlist().begin(),
                                      settings.property_allowlist().end());
    } else if (path == "settings.property_denylist") {
      site->property_denylist.assign(settings.property_denylist().begin(),
                                     settings.property_denylist().end());
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("update_mask: '", path,
                       "' is not a field UpdateSite "
                       "changes"));
    }
  }
  return absl::OkStatus();
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

grpc::Status AdminServiceImpl::UpdateSite(grpc::ServerContext* context,
                                          const v1::UpdateSiteRequest* request,
                                          v1::Site* response) {
  if (absl::Status s = Authorize(*context); !s.ok()) return ToGrpcStatus(s);
  absl::StatusOr<SiteRecord> updated =
      sites_->Update(request->site_id(), [&](SiteRecord& site) {
        return ApplySiteMask(request->site(), request->update_mask(), &site);
      });
  if (!updated.ok()) return ToGrpcStatus(updated.status());
  spdlog::info("updated site {} ({})", updated->site_id,
               absl::StrJoin(request->update_mask().paths(), ", "));
  *response = ToProto(*updated);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::DisableSite(grpc::ServerContext* context,
                                           const v1::SiteStateRequest* request,
                                           v1::Site* response) {
  return SetDisabled(*context, *request, true, response);
}

grpc::Status AdminServiceImpl::EnableSite(grpc::ServerContext* context,
                                          const v1::SiteStateRequest* request,
                                          v1::Site* response) {
  return SetDisabled(*context, *request, false, response);
}

grpc::Status AdminServiceImpl::SetDisabled(const grpc::ServerContext& context,
                                           const v1::SiteStateRequest& request,
                                           bool disabled, v1::Site* response) {
  if (absl::Status s = Authorize(context); !s.ok()) return ToGrpcStatus(s);
  absl::StatusOr<SiteRecord> site =
      sites_->SetDisabled(request.site_id(), disabled);
  if (!site.ok()) return ToGrpcStatus(site.status());
  spdlog::info("{} site {}", disabled ? "disabled" : "enabled", site->site_id);
  *response = ToProto(*site);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::DeleteSite(grpc::ServerContext* context,
                                          const v1::DeleteSiteRequest* request,
                                          v1::DeleteSiteResponse* response) {
  if (absl::Status s = Authorize(*context); !s.ok()) return ToGrpcStatus(s);
  if (absl::Status s = sites_->MarkDeleted(request->site_id()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  absl::StatusOr<PurgeProgress> progress =
      purge_->Purge(request->site_id(), TimeLeft(*context));
  if (!progress.ok()) return ToGrpcStatus(progress.status());
  spdlog::info("deleting site {}: {} rows purged{}", request->site_id(),
               progress->rows_deleted, progress->done ? ", site removed" : "");
  response->set_done(progress->done);
  response->set_rows_deleted(progress->rows_deleted);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::RotateWriteKey(
    grpc::ServerContext* context, const v1::RotateKeyRequest* request,
    v1::RotateKeyResponse* response) {
  return RotateKey(*context, *request, KeyKind::kWrite, response);
}

grpc::Status AdminServiceImpl::RotateReadKey(
    grpc::ServerContext* context, const v1::RotateKeyRequest* request,
    v1::RotateKeyResponse* response) {
  return RotateKey(*context, *request, KeyKind::kRead, response);
}

grpc::Status AdminServiceImpl::RotateKey(const grpc::ServerContext& context,
                                         const v1::RotateKeyRequest& request,
                                         KeyKind kind,
                                         v1::RotateKeyResponse* response) {
  if (absl::Status s = Authorize(context); !s.ok()) return ToGrpcStatus(s);
  absl::Duration grace = kDefaultRotationGrace;
  if (request.has_grace_period()) {
    grace = absl::Microseconds(
        TimeUtil::DurationToMicroseconds(request.grace_period()));
  }
  if (grace < absl::ZeroDuration() || grace > kMaxRotationGrace) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        "grace_period: must be between 0 and 30 days"));
  }
  const std::string key = GenerateKey(kind == KeyKind::kWrite ? "wk_" : "rk_");
  const absl::Time now = absl::Now();
  if (absl::Status s =
          sites_->RotateKey(request.site_id(), kind, HashKey(key), grace);
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  spdlog::info("rotated the {} key of site {}; previous keys end in {}",
               KeyKindName(kind), request.site_id(),
               absl::FormatDuration(grace));
  response->set_key(key);
  *response->mutable_previous_keys_expire_at() = ToProtoTimestamp(now + grace);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::ListFailedEvents(
    grpc::ServerContext* context, const v1::ListFailedEventsRequest* request,
    v1::ListFailedEventsResponse* response) {
  if (absl::Status s = Authorize(*context); !s.ok()) return ToGrpcStatus(s);
  if (request->page_size() < 0 || request->page_size() > kMaxPageSize) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("page_size: must be between 0 and ", kMaxPageSize)));
  }
  const int page_size =
      request->page_size() == 0 ? kDefaultPageSize : request->page_size();
  absl::StatusOr<int64_t> after = ParsePageToken(request->page_token());
  if (!after.ok()) return ToGrpcStatus(after.status());
  if (absl::Status s = sites_->GetById(request->site_id()).status(); !s.ok()) {
    return ToGrpcStatus(s);
  }
  absl::StatusOr<std::vector<FailedEventRecord>> events = failed_->List(
      request->site_id(), FromProto(request->state()), *after, page_size);
  if (!events.ok()) return ToGrpcStatus(events.status());
  for (const FailedEventRecord& r : *events) {
    v1::FailedEvent* out = response->add_events();
    out->set_site_id(r.site_id);
    out->set_event_id(r.event_id);
    out->set_state(r.state == FailedState::kDead ? v1::DEAD : v1::RETRYING);
    out->set_attempts(r.attempts);
    out->set_last_error(r.last_error);
    *out->mutable_last_failed_at() = ToProtoTimestamp(r.last_failed_at);
    if (r.state != FailedState::kDead) {
      *out->mutable_next_attempt_at() = ToProtoTimestamp(r.next_attempt_at);
    }
    *out->mutable_enqueued_at() = ToProtoTimestamp(r.enqueued_at);
    if (r.type.has_value()) {
      out->set_type(static_cast<v1::EventType>(*r.type));
      out->set_name(r.name);
      *out->mutable_occurred_at() = ToProtoTimestamp(*r.occurred_at);
    }
  }
  if (static_cast<int>(events->size()) == page_size) {
    response->set_next_page_token(absl::StrCat(events->back().event_id));
  }
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::RetryFailedEvents(
    grpc::ServerContext* context, const v1::RetryFailedEventsRequest* request,
    v1::RetryFailedEventsResponse* response) {
  if (absl::Status s = Authorize(*context); !s.ok()) return ToGrpcStatus(s);
  if (request->all() == (request->event_ids_size() > 0)) {
    return ToGrpcStatus(
        absl::InvalidArgumentError("set either event_ids or all, not both"));
  }
  if (absl::Status s = sites_->GetById(request->site_id()).status(); !s.ok()) {
    return ToGrpcStatus(s);
  }
  std::optional<std::vector<int64_t>> ids;
  if (!request->all()) {
    ids.emplace(request->event_ids().begin(), request->event_ids().end());
  }
  absl::StatusOr<int64_t> requeued =
      failed_->Requeue(request->site_id(), ids, FromProto(request->state()));
  if (!requeued.ok()) return ToGrpcStatus(requeued.status());
  spdlog::info("re-queued {} failed events of site {}", *requeued,
               request->site_id());
  response->set_requeued(*requeued);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::GetBacklog(grpc::ServerContext* context,
                                          const v1::GetBacklogRequest* request,
                                          v1::GetBacklogResponse* response) {
  if (absl::Status s = Authorize(*context); !s.ok()) return ToGrpcStatus(s);
  absl::StatusOr<std::vector<BacklogRecord>> backlog =
      failed_->Backlog(request->site_id());
  if (!backlog.ok()) return ToGrpcStatus(backlog.status());
  for (const BacklogRecord& b : *backlog) {
    v1::Backlog* out = response->add_sites();
    out->set_site_id(b.site_id);
    out->set_pending(b.pending);
    *out->mutable_oldest_pending_age() = TimeUtil::MicrosecondsToDuration(
        absl::ToInt64Microseconds(b.oldest_pending_age));
    out->set_retrying(b.retrying);
    out->set_dead(b.dead);
  }
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::RebuildRollups(
    grpc::ServerContext* context, const v1::RollupCheckRequest* request,
    v1::RollupCheckResponse* response) {
  return CheckRollups(*context, *request, /*rewrite=*/true, response);
}

grpc::Status AdminServiceImpl::VerifyRollups(
    grpc::ServerContext* context, const v1::RollupCheckRequest* request,
    v1::RollupCheckResponse* response) {
  return CheckRollups(*context, *request, /*rewrite=*/false, response);
}

grpc::Status AdminServiceImpl::CheckRollups(
    const grpc::ServerContext& context, const v1::RollupCheckRequest& request,
    bool rewrite, v1::RollupCheckResponse* response) {
  if (absl::Status s = Authorize(context); !s.ok()) return ToGrpcStatus(s);
  if (!request.has_from() || !request.has_to()) {
    return ToGrpcStatus(absl::InvalidArgumentError("from and to are required"));
  }
  const absl::Time from =
      absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(request.from()));
  const absl::Time to =
      absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(request.to()));
  if (from > to || to - from > absl::Hours(24 * 366)) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        "from..to: must be ordered and at most 366 days apart"));
  }
  absl::StatusOr<SiteRecord> site = sites_->GetById(request.site_id());
  if (!site.ok()) return ToGrpcStatus(site.status());
  // The audit recounts whole days from raw events: where retention removed
  // them a rebuild would wipe day rollups that are still right.
  absl::Time first_day = from, last_day = to;
  WidenToDays(&first_day, &last_day);
  const absl::Time raw_from = Clock::Real().Now() - site->raw_retention;
  if (first_day < raw_from) {
    return ToGrpcStatus(absl::OutOfRangeError(absl::StrCat(
        "from: raw events before ",
        absl::FormatTime(absl::RFC3339_full, raw_from, absl::UTCTimeZone()),
        " have expired (retention); rollups there can no longer be ",
        rewrite ? "rebuilt" : "verified")));
  }
  absl::StatusOr<RollupCheck> check =
      audit_->Check(request.site_id(), from, to, rewrite);
  if (!check.ok()) return ToGrpcStatus(check.status());
  *response->mutable_from() = ToProtoTimestamp(check->from);
  *response->mutable_to() = ToProtoTimestamp(check->to);
  response->set_rows_checked(check->rows_checked);
  response->set_rows_different(static_cast<int64_t>(check->mismatches.size()));
  for (const RollupMismatch& m : check->mismatches) {
    if (static_cast<size_t>(response->differences_size()) >=
        kMaxReportedDifferences) {
      break;
    }
    v1::RollupDifference* d = response->add_differences();
    d->set_granularity(static_cast<int>(m.key.granularity));
    d->set_dimension(static_cast<int>(m.key.dimension));
    d->set_key(m.key.key);
    *d->mutable_bucket_start() = ToProtoTimestamp(m.key.bucket_start);
    *d->mutable_expected() = ToProto(m.expected);
    *d->mutable_actual() = ToProto(m.actual);
  }
  response->set_spans_checked(check->spans_checked);
  response->set_spans_different(check->spans_different);
  response->set_rewritten(check->rewritten);
  if (!check->mismatches.empty() || check->spans_different > 0) {
    spdlog::warn(
        "{} rollups of site {}: {} of {} rows and {} of {} visitor spans "
        "differed",
        rewrite ? "rebuilt" : "verified", request.site_id(),
        check->mismatches.size(), check->rows_checked, check->spans_different,
        check->spans_checked);
  }
  return grpc::Status::OK;
}

}  // namespace analytics::ingest
