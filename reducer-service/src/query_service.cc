// QueryService implementation.
#include "reducer-service/src/query_service.h"

#include "absl/strings/str_cat.h"
#include "common/auth/keys.h"
#include "common/status/status_mapping.h"
#include "common/time/pg_time.h"
#include "google/protobuf/util/time_util.h"

namespace analytics::reducer {

using google::protobuf::util::TimeUtil;

namespace {

constexpr absl::Duration kMaxRange = absl::Hours(24 * 3653);

absl::Status ToTime(const google::protobuf::Timestamp& ts, bool present,
                    const char* field, absl::Time* out) {
  if (!present) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": is required"));
  }
  if (ts.nanos() < 0 || ts.nanos() > 999999999 ||
      ts.seconds() < TimeUtil::kTimestampMinSeconds ||
      ts.seconds() > TimeUtil::kTimestampMaxSeconds) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": is not a valid timestamp"));
  }
  *out = TruncateToMicros(absl::FromUnixSeconds(ts.seconds()) +
                          absl::Nanoseconds(ts.nanos()));
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseRange(const google::protobuf::Timestamp& from, bool has_from,
                        const google::protobuf::Timestamp& to, bool has_to,
                        absl::Time* from_out, absl::Time* to_out) {
  if (absl::Status s = ToTime(from, has_from, "from", from_out); !s.ok()) return s;
  if (absl::Status s = ToTime(to, has_to, "to", to_out); !s.ok()) return s;
  if (*from_out > *to_out) {
    return absl::InvalidArgumentError("from: must not be after to");
  }
  if (*to_out - *from_out > kMaxRange) {
    return absl::InvalidArgumentError("to: the range may span at most 10 years");
  }
  return absl::OkStatus();
}

absl::Status QueryServiceImpl::AuthorizeRead(const grpc::ServerContext& context,
                                             int64_t site_id) {
  absl::StatusOr<std::string> token = BearerToken(context);
  if (!token.ok()) return token.status();
  if (IsAdminToken(*token, admin_token_hash_)) {
    return sites_->GetById(site_id).status();
  }
  absl::StatusOr<SiteRecord> site = keys_->Lookup(KeyKind::kRead, *token);
  if (!site.ok()) return site.status();
  if (site->site_id != site_id) {
    return absl::PermissionDeniedError(
        absl::StrCat("this read key does not belong to site ", site_id));
  }
  return absl::OkStatus();
}

grpc::Status QueryServiceImpl::GetOverview(grpc::ServerContext* context,
                                           const v1::GetOverviewRequest* request,
                                           v1::Overview* response) {
  if (absl::Status s = AuthorizeRead(*context, request->site_id()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  absl::Time from, to;
  if (absl::Status s = ParseRange(request->from(), request->has_from(),
                                  request->to(), request->has_to(), &from, &to);
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  absl::StatusOr<OverviewTotals> totals =
      overview_->Read(request->site_id(), PlanRange(from, to));
  if (!totals.ok()) return ToGrpcStatus(totals.status());
  response->set_events(totals->events);
  response->set_pageviews(totals->pageviews);
  response->set_sessions(totals->sessions);
  response->set_visitors(totals->visitors);
  response->set_pending_events(totals->pending_events);
  if (totals->sessions > 0) {
    response->set_bounce_rate(static_cast<double>(totals->bounces) /
                              static_cast<double>(totals->sessions));
    *response->mutable_average_session_duration() =
        TimeUtil::MicrosecondsToDuration(totals->duration_us / totals->sessions);
  } else {
    *response->mutable_average_session_duration() =
        TimeUtil::MicrosecondsToDuration(0);
  }
  *response->mutable_as_of() =
      TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(totals->as_of));
  return grpc::Status::OK;
}

}  // namespace analytics::reducer
