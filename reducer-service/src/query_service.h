// QueryService (analytics.v1): dashboard reads. Authorises the read key (or
// admin token) for the site asked about, validates the range, plans it (or
// the page) and converts the results to proto. No SQL here.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "analytics/v1/query.grpc.pb.h"
#include "common/sites/site_repository.h"
#include "common/time/clock.h"
#include "reducer-service/src/activity_repository.h"
#include "reducer-service/src/report_repository.h"
#include "reducer-service/src/retention.h"

namespace analytics::reducer {

struct QueryOptions {
  std::string admin_token_hash;
  // How long hour rollups are kept (RetentionOptions); ranges needing older
  // ones are refused. Zero: forever.
  absl::Duration hourly_rollup_retention = absl::ZeroDuration();
  // "Now" for the retention horizons.
  const Clock* clock = &Clock::Real();
};

class QueryServiceImpl final : public v1::QueryService::Service {
 public:
  QueryServiceImpl(SiteKeyCache* keys, SiteRepository* sites,
                   ReportRepository* reports, ActivityRepository* activity,
                   QueryOptions options)
      : keys_(keys),
        sites_(sites),
        reports_(reports),
        activity_(activity),
        options_(std::move(options)) {}

  grpc::Status GetOverview(grpc::ServerContext* context,
                           const v1::GetOverviewRequest* request,
                           v1::Overview* response) override;
  grpc::Status GetTimeseries(grpc::ServerContext* context,
                             const v1::GetTimeseriesRequest* request,
                             v1::Timeseries* response) override;
  grpc::Status GetBreakdown(grpc::ServerContext* context,
                            const v1::GetBreakdownRequest* request,
                            v1::Breakdown* response) override;
  grpc::Status GetEventPropertyBreakdown(
      grpc::ServerContext* context,
      const v1::GetEventPropertyBreakdownRequest* request,
      v1::EventPropertyBreakdown* response) override;
  grpc::Status GetDashboardSummary(
      grpc::ServerContext* context,
      const v1::GetDashboardSummaryRequest* request,
      v1::DashboardSummary* response) override;
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
  // The site, if the caller may read `site_id`: UNAUTHENTICATED for a
  // missing or unknown key, PERMISSION_DENIED for another site's key,
  // NOT_FOUND for an unknown site asked by the admin.
  absl::StatusOr<SiteRecord> AuthorizeRead(const grpc::ServerContext& context,
                                           int64_t site_id);
  // AuthorizeRead, then ParseRange of the request's [from, to).
  template <typename Request>
  absl::StatusOr<SiteRecord> AuthorizeRange(const grpc::ServerContext& context,
                                            const Request& request,
                                            absl::Time* from, absl::Time* to);
  // The zone of a request: `requested` or the site's setting; the buckets of
  // [from, to) in it. INVALID_ARGUMENT naming interval or time_zone.
  absl::StatusOr<std::vector<Bucket>> PlanSeries(const SiteRecord& site,
                                                 absl::Time from, absl::Time to,
                                                 v1::Interval interval,
                                                 std::string* zone_name);
  // What `site` still keeps now (retention.h).
  Horizons HorizonsOf(const SiteRecord& site) const;
  // OUT_OF_RANGE if a plan needs rows that retention removed.
  absl::Status CheckRetained(const SiteRecord& site,
                             const std::vector<RangePlan>& plans) const;

  SiteKeyCache* const keys_;
  SiteRepository* const sites_;
  ReportRepository* const reports_;
  ActivityRepository* const activity_;
  const QueryOptions options_;
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

// What GetBreakdown's `dimension` reads; INVALID_ARGUMENT naming dimension
// for DIMENSION_UNSPECIFIED or an unknown value.
absl::StatusOr<BreakdownKind> ParseDimension(v1::Dimension dimension);

// GetBreakdown's sort_by (unspecified: visitors); INVALID_ARGUMENT naming
// sort_by for an unknown value.
absl::StatusOr<BreakdownMetric> ParseBreakdownMetric(
    v1::BreakdownMetric metric);

// A breakdown's row limit: 0 means 100, at most 1000; INVALID_ARGUMENT
// naming limit otherwise.
absl::StatusOr<int> ParseBreakdownLimit(int32_t limit);

// Fills `out` from a stored flat JSON object of properties (string, number,
// bool or null values, as Ingest stores them). INTERNAL if it is not one.
absl::Status PropertiesFromJson(
    std::string_view json,
    google::protobuf::Map<std::string, v1::PropertyValue>* out);

}  // namespace analytics::reducer
