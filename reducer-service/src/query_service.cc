// QueryService implementation.
#include "reducer-service/src/query_service.h"

#include "absl/strings/str_cat.h"
#include "common/auth/keys.h"
#include "common/server/deadline.h"
#include "common/status/status_mapping.h"
#include "common/time/pg_time.h"
#include "common/time/proto_time.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "reducer-service/src/page_token.h"

namespace analytics::reducer {

using google::protobuf::util::TimeUtil;

namespace {

constexpr absl::Duration kMaxRange = absl::Hours(24 * 3653);
constexpr int kMaxBuckets = 5000;
constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 1000;
constexpr int kDefaultBreakdownLimit = 100;
constexpr int kMaxBreakdownLimit = 1000;
// GetDashboardSummary's top lists.
constexpr int kDashboardTop = 10;

v1::Metrics ToMetrics(const RangeTotals& t) {
  v1::Metrics m;
  m.set_events(t.events);
  m.set_pageviews(t.pageviews);
  m.set_sessions(t.sessions);
  m.set_visitors(t.visitors);
  const int64_t duration_us = t.sessions > 0 ? t.duration_us / t.sessions : 0;
  if (t.sessions > 0) {
    m.set_bounce_rate(static_cast<double>(t.bounces) /
                      static_cast<double>(t.sessions));
  }
  *m.mutable_average_session_duration() =
      TimeUtil::MicrosecondsToDuration(duration_us);
  return m;
}

v1::MetricChanges Change(const v1::Metrics& now, const v1::Metrics& before) {
  v1::MetricChanges change;
  auto ratio = [](double current, double previous,
                  void (v1::MetricChanges::*set)(double),
                  v1::MetricChanges* out) {
    if (previous != 0) (out->*set)((current - previous) / previous);
  };
  ratio(now.events(), before.events(), &v1::MetricChanges::set_events, &change);
  ratio(now.pageviews(), before.pageviews(), &v1::MetricChanges::set_pageviews,
        &change);
  ratio(now.sessions(), before.sessions(), &v1::MetricChanges::set_sessions,
        &change);
  ratio(now.visitors(), before.visitors(), &v1::MetricChanges::set_visitors,
        &change);
  ratio(now.bounce_rate(), before.bounce_rate(),
        &v1::MetricChanges::set_bounce_rate, &change);
  ratio(TimeUtil::DurationToMicroseconds(now.average_session_duration()),
        TimeUtil::DurationToMicroseconds(before.average_session_duration()),
        &v1::MetricChanges::set_average_session_duration, &change);
  return change;
}

absl::StatusOr<Interval> ParseInterval(v1::Interval interval) {
  switch (interval) {
    case v1::HOUR:
      return Interval::kHour;
    case v1::DAY:
      return Interval::kDay;
    case v1::WEEK:
      return Interval::kWeek;
    case v1::MONTH:
      return Interval::kMonth;
    default:
      return absl::InvalidArgumentError(
          "interval: set HOUR, DAY, WEEK or MONTH");
  }
}

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

// The page a List request asks for: its filter and cursor (checked against
// the token), and page_size + 1 rows, the extra one telling whether another
// page follows. Call after AuthorizeRead.
template <typename Request>
absl::StatusOr<PageQuery> ParsePageQuery(const Request& request,
                                         ListKind kind) {
  PageQuery query;
  query.filter.site_id = request.site_id();
  if (absl::Status s = ParseOptionalRange(request.from(), request.has_from(),
                                          request.to(), request.has_to(),
                                          &query.filter.from, &query.filter.to);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<int> page_size = ParsePageSize(request.page_size());
  if (!page_size.ok()) return page_size.status();
  query.limit = *page_size + 1;
  absl::StatusOr<std::optional<PageCursor>> after =
      CursorFromPageToken(request.page_token(), kind, query.filter);
  if (!after.ok()) return after.status();
  query.after = std::move(*after);
  return query;
}

// Cuts the extra row ParsePageQuery asked for; returns the next page's token
// if there was one ("" on the last page).
template <typename Row>
std::string EndPage(const PageQuery& query, ListKind kind,
                    std::vector<Row>* rows) {
  const size_t page_size = static_cast<size_t>(query.limit - 1);
  if (rows->size() <= page_size) return "";
  rows->resize(page_size);
  return EncodePageToken(PageToken{.kind = kind,
                                   .filter = query.filter,
                                   .after = CursorAfter(rows->back())});
}

// The RangePlan of every bucket, in order.
std::vector<RangePlan> BucketPlans(const std::vector<Bucket>& buckets) {
  std::vector<RangePlan> plans;
  plans.reserve(buckets.size() + 1);
  for (const Bucket& b : buckets)
    plans.push_back(PlanRange(b.range.from, b.range.to));
  return plans;
}

void ToPoint(const Bucket& bucket, const RangeTotals& totals,
             v1::TimeseriesPoint* point) {
  *point->mutable_bucket_start() = ToProtoTimestamp(bucket.start);
  *point->mutable_from() = ToProtoTimestamp(bucket.range.from);
  *point->mutable_to() = ToProtoTimestamp(bucket.range.to);
  *point->mutable_metrics() = ToMetrics(totals);
}

void ToRow(const BreakdownValues& values, v1::BreakdownRow* row) {
  row->set_key(values.key);
  row->set_events(values.events);
  row->set_pageviews(values.pageviews);
  row->set_visitors(values.visitors);
  row->set_sessions(values.sessions);
}

}  // namespace

absl::StatusOr<BreakdownKind> ParseDimension(v1::Dimension dimension) {
  using Source = BreakdownKind::Source;
  switch (dimension) {
    case v1::DIMENSION_PAGE:
      return BreakdownKind{Source::kEvents, Dimension::kPage};
    case v1::DIMENSION_ENTRY_PAGE:
      return BreakdownKind{Source::kEntryPage, Dimension::kPage};
    case v1::DIMENSION_EXIT_PAGE:
      return BreakdownKind{Source::kExitPage, Dimension::kPage};
    case v1::DIMENSION_REFERRER:
      return BreakdownKind{Source::kEvents, Dimension::kReferrer};
    case v1::DIMENSION_UTM_SOURCE:
      return BreakdownKind{Source::kEvents, Dimension::kUtmSource};
    case v1::DIMENSION_UTM_MEDIUM:
      return BreakdownKind{Source::kEvents, Dimension::kUtmMedium};
    case v1::DIMENSION_UTM_CAMPAIGN:
      return BreakdownKind{Source::kEvents, Dimension::kUtmCampaign};
    case v1::DIMENSION_EVENT:
      return BreakdownKind{Source::kEvents, Dimension::kEvent};
    case v1::DIMENSION_DEVICE:
      return BreakdownKind{Source::kEvents, Dimension::kDevice};
    case v1::DIMENSION_BROWSER:
      return BreakdownKind{Source::kEvents, Dimension::kBrowser};
    case v1::DIMENSION_OS:
      return BreakdownKind{Source::kEvents, Dimension::kOs};
    case v1::DIMENSION_COUNTRY:
      return BreakdownKind{Source::kEvents, Dimension::kCountry};
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "dimension: set one of DIMENSION_PAGE .. DIMENSION_COUNTRY (got ",
          static_cast<int>(dimension), ")"));
  }
}

absl::StatusOr<BreakdownMetric> ParseBreakdownMetric(
    v1::BreakdownMetric metric) {
  switch (metric) {
    case v1::BREAKDOWN_METRIC_UNSPECIFIED:
    case v1::BREAKDOWN_METRIC_VISITORS:
      return BreakdownMetric::kVisitors;
    case v1::BREAKDOWN_METRIC_EVENTS:
      return BreakdownMetric::kEvents;
    case v1::BREAKDOWN_METRIC_PAGEVIEWS:
      return BreakdownMetric::kPageviews;
    case v1::BREAKDOWN_METRIC_SESSIONS:
      return BreakdownMetric::kSessions;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("sort_by: unknown metric ", static_cast<int>(metric)));
  }
}

absl::StatusOr<int> ParseBreakdownLimit(int32_t limit) {
  if (limit < 0 || limit > kMaxBreakdownLimit) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit: must be between 0 and ", kMaxBreakdownLimit));
  }
  return limit == 0 ? kDefaultBreakdownLimit : limit;
}

absl::Status ParseRange(const google::protobuf::Timestamp& from, bool has_from,
                        const google::protobuf::Timestamp& to, bool has_to,
                        absl::Time* from_out, absl::Time* to_out) {
  if (absl::Status s = ToTime(from, has_from, "from", from_out); !s.ok())
    return s;
  if (absl::Status s = ToTime(to, has_to, "to", to_out); !s.ok()) return s;
  if (*from_out > *to_out) {
    return absl::InvalidArgumentError("from: must not be after to");
  }
  if (*to_out - *from_out > kMaxRange) {
    return absl::InvalidArgumentError(
        "to: the range may span at most 10 years");
  }
  return absl::OkStatus();
}

absl::Status ParseOptionalRange(const google::protobuf::Timestamp& from,
                                bool has_from,
                                const google::protobuf::Timestamp& to,
                                bool has_to,
                                std::optional<absl::Time>* from_out,
                                std::optional<absl::Time>* to_out) {
  from_out->reset();
  to_out->reset();
  if (has_from) {
    if (absl::Status s = ToTime(from, true, "from", &from_out->emplace());
        !s.ok()) {
      return s;
    }
  }
  if (has_to) {
    if (absl::Status s = ToTime(to, true, "to", &to_out->emplace()); !s.ok()) {
      return s;
    }
  }
  if (has_from && has_to && **from_out > **to_out) {
    return absl::InvalidArgumentError("from: must not be after to");
  }
  return absl::OkStatus();
}

absl::StatusOr<int> ParsePageSize(int32_t page_size) {
  if (page_size < 0 || page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: must be between 0 and ", kMaxPageSize));
  }
  return page_size == 0 ? kDefaultPageSize : page_size;
}

absl::Status PropertiesFromJson(
    std::string_view json,
    google::protobuf::Map<std::string, v1::PropertyValue>* out) {
  google::protobuf::Struct parsed;
  if (auto s = google::protobuf::util::JsonStringToMessage(std::string(json),
                                                           &parsed);
      !s.ok()) {
    return absl::InternalError(absl::StrCat(
        "stored properties are not a JSON object: ", s.ToString()));
  }
  for (const auto& [key, value] : parsed.fields()) {
    v1::PropertyValue& property = (*out)[key];
    switch (value.kind_case()) {
      case google::protobuf::Value::kStringValue:
        property.set_string_value(value.string_value());
        break;
      case google::protobuf::Value::kNumberValue:
        property.set_number_value(value.number_value());
        break;
      case google::protobuf::Value::kBoolValue:
        property.set_bool_value(value.bool_value());
        break;
      case google::protobuf::Value::kNullValue:
        property.set_null_value(true);
        break;
      default:
        return absl::InternalError(
            absl::StrCat("stored property '", key,
                         "' is not a string, number, bool or null"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<SiteRecord> QueryServiceImpl::AuthorizeRead(
    const grpc::ServerContext& context, int64_t site_id) {
  absl::StatusOr<std::string> token = BearerToken(context);
  if (!token.ok()) return token.status();
  if (IsAdminToken(*token, options_.admin_token_hash)) {
    return sites_->GetById(site_id);
  }
  absl::StatusOr<SiteRecord> site = keys_->Lookup(KeyKind::kRead, *token);
  if (!site.ok()) return site.status();
  if (site->site_id != site_id) {
    return absl::PermissionDeniedError(
        absl::StrCat("this read key does not belong to site ", site_id));
  }
  return site;
}

template <typename Request>
absl::StatusOr<SiteRecord> QueryServiceImpl::AuthorizeRange(
    const grpc::ServerContext& context, const Request& request,
    absl::Time* from, absl::Time* to) {
  absl::StatusOr<SiteRecord> site = AuthorizeRead(context, request.site_id());
  if (!site.ok()) return site;
  if (absl::Status s = ParseRange(request.from(), request.has_from(),
                                  request.to(), request.has_to(), from, to);
      !s.ok()) {
    return s;
  }
  return site;
}

absl::StatusOr<std::vector<Bucket>> QueryServiceImpl::PlanSeries(
    const SiteRecord& site, absl::Time from, absl::Time to,
    v1::Interval interval, std::string* zone_name) {
  absl::StatusOr<Interval> parsed = ParseInterval(interval);
  if (!parsed.ok()) return parsed.status();
  if (zone_name->empty()) *zone_name = site.time_zone;
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(*zone_name, &zone)) {
    return absl::InvalidArgumentError(
        absl::StrCat("time_zone: unknown IANA time zone '", *zone_name, "'"));
  }
  return PlanBuckets(from, to, *parsed, zone, kMaxBuckets);
}

Horizons QueryServiceImpl::HorizonsOf(const SiteRecord& site) const {
  return HorizonsAt(options_.clock->Now(), site.raw_retention,
                    options_.hourly_rollup_retention);
}

absl::Status QueryServiceImpl::CheckRetained(
    const SiteRecord& site, const std::vector<RangePlan>& plans) const {
  const Horizons horizons = HorizonsOf(site);
  for (const RangePlan& plan : plans) {
    if (absl::Status s = reducer::CheckRetained(plan, horizons); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

grpc::Status QueryServiceImpl::GetOverview(
    grpc::ServerContext* context, const v1::GetOverviewRequest* request,
    v1::Overview* response) {
  absl::Time from, to;
  absl::StatusOr<SiteRecord> site =
      AuthorizeRange(*context, *request, &from, &to);
  if (!site.ok()) return ToGrpcStatus(site.status());
  std::vector<RangePlan> plans = {PlanRange(from, to)};
  if (request->compare_previous()) {
    plans.push_back(PlanRange(from - (to - from), from));
  }
  if (absl::Status s = CheckRetained(*site, plans); !s.ok()) {
    return ToGrpcStatus(s);
  }
  absl::StatusOr<OverviewSnapshot> snapshot =
      reports_->Read(request->site_id(), plans, TimeLeft(*context));
  if (!snapshot.ok()) return ToGrpcStatus(snapshot.status());
  const v1::Metrics current = ToMetrics(snapshot->ranges[0]);
  response->set_events(current.events());
  response->set_pageviews(current.pageviews());
  response->set_sessions(current.sessions());
  response->set_visitors(current.visitors());
  response->set_bounce_rate(current.bounce_rate());
  *response->mutable_average_session_duration() =
      current.average_session_duration();
  response->set_pending_events(snapshot->pending_events);
  *response->mutable_as_of() = ToProtoTimestamp(snapshot->as_of);
  if (request->compare_previous()) {
    *response->mutable_previous() = ToMetrics(snapshot->ranges[1]);
    *response->mutable_change() = Change(current, response->previous());
  }
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::GetTimeseries(
    grpc::ServerContext* context, const v1::GetTimeseriesRequest* request,
    v1::Timeseries* response) {
  absl::Time from, to;
  absl::StatusOr<SiteRecord> site =
      AuthorizeRange(*context, *request, &from, &to);
  if (!site.ok()) return ToGrpcStatus(site.status());
  std::string zone_name = request->time_zone();
  absl::StatusOr<std::vector<Bucket>> buckets =
      PlanSeries(*site, from, to, request->interval(), &zone_name);
  if (!buckets.ok()) return ToGrpcStatus(buckets.status());
  const std::vector<RangePlan> plans = BucketPlans(*buckets);
  if (absl::Status s = CheckRetained(*site, plans); !s.ok()) {
    return ToGrpcStatus(s);
  }
  absl::StatusOr<OverviewSnapshot> snapshot =
      reports_->Read(request->site_id(), plans, TimeLeft(*context));
  if (!snapshot.ok()) return ToGrpcStatus(snapshot.status());
  for (size_t i = 0; i < buckets->size(); ++i) {
    ToPoint((*buckets)[i], snapshot->ranges[i], response->add_points());
  }
  response->set_time_zone(zone_name);
  response->set_pending_events(snapshot->pending_events);
  *response->mutable_as_of() = ToProtoTimestamp(snapshot->as_of);
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::GetBreakdown(
    grpc::ServerContext* context, const v1::GetBreakdownRequest* request,
    v1::Breakdown* response) {
  BreakdownQuery query;
  query.site_id = request->site_id();
  absl::StatusOr<SiteRecord> site =
      AuthorizeRange(*context, *request, &query.from, &query.to);
  if (!site.ok()) return ToGrpcStatus(site.status());
  absl::StatusOr<BreakdownKind> kind = ParseDimension(request->dimension());
  if (!kind.ok()) return ToGrpcStatus(kind.status());
  query.kind = *kind;
  if (absl::Status s =
          query.kind.source == BreakdownKind::Source::kEvents
              ? CheckRetained(*site, {PlanRange(query.from, query.to)})
              : CheckRawRetained(query.from, HorizonsOf(*site), "sessions");
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  absl::StatusOr<BreakdownMetric> sort_by =
      ParseBreakdownMetric(request->sort_by());
  if (!sort_by.ok()) return ToGrpcStatus(sort_by.status());
  query.sort_by = *sort_by;
  absl::StatusOr<int> limit = ParseBreakdownLimit(request->limit());
  if (!limit.ok()) return ToGrpcStatus(limit.status());
  // One extra row tells whether another page follows.
  query.limit = *limit + 1;
  const BreakdownFilter filter{.site_id = query.site_id,
                               .from = query.from,
                               .to = query.to,
                               .dimension = request->dimension(),
                               .sort_by = static_cast<int>(query.sort_by)};
  absl::StatusOr<std::optional<BreakdownCursor>> after =
      BreakdownCursorFromToken(request->page_token(), filter);
  if (!after.ok()) return ToGrpcStatus(after.status());
  query.after = std::move(*after);

  absl::StatusOr<BreakdownPage> page =
      reports_->ReadBreakdown(query, TimeLeft(*context));
  if (!page.ok()) return ToGrpcStatus(page.status());
  if (page->rows.size() > static_cast<size_t>(*limit)) {
    page->rows.resize(*limit);
    const BreakdownValues& last = page->rows.back();
    response->set_next_page_token(EncodeBreakdownToken(
        filter, BreakdownCursor{.value = last.sort_value, .key = last.key}));
  }
  for (const BreakdownValues& row : page->rows) {
    ToRow(row, response->add_rows());
  }
  response->set_pending_events(page->pending_events);
  *response->mutable_as_of() = ToProtoTimestamp(page->as_of);
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::GetEventPropertyBreakdown(
    grpc::ServerContext* context,
    const v1::GetEventPropertyBreakdownRequest* request,
    v1::EventPropertyBreakdown* response) {
  PropertyQuery query;
  query.site_id = request->site_id();
  absl::StatusOr<SiteRecord> site =
      AuthorizeRange(*context, *request, &query.from, &query.to);
  if (!site.ok()) return ToGrpcStatus(site.status());
  if (absl::Status s =
          CheckRawRetained(query.from, HorizonsOf(*site), "raw events");
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (request->event_name().empty()) {
    return ToGrpcStatus(absl::InvalidArgumentError("event_name: is required"));
  }
  if (request->property_key().empty()) {
    return ToGrpcStatus(
        absl::InvalidArgumentError("property_key: is required"));
  }
  absl::StatusOr<int> limit = ParseBreakdownLimit(request->limit());
  if (!limit.ok()) return ToGrpcStatus(limit.status());
  query.event_name = request->event_name();
  query.property_key = request->property_key();
  query.limit = *limit;
  absl::StatusOr<PropertyBreakdown> values =
      reports_->ReadProperties(query, TimeLeft(*context));
  if (!values.ok()) return ToGrpcStatus(values.status());
  for (const PropertyValueCount& v : values->rows) {
    v1::PropertyValueRow* row = response->add_rows();
    row->set_value(v.value);
    row->set_events(v.events);
    row->set_visitors(v.visitors);
    row->set_sessions(v.sessions);
  }
  response->set_events(values->events);
  response->set_pending_events(values->pending_events);
  *response->mutable_as_of() = ToProtoTimestamp(values->as_of);
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::GetDashboardSummary(
    grpc::ServerContext* context, const v1::GetDashboardSummaryRequest* request,
    v1::DashboardSummary* response) {
  absl::Time from, to;
  absl::StatusOr<SiteRecord> site =
      AuthorizeRange(*context, *request, &from, &to);
  if (!site.ok()) return ToGrpcStatus(site.status());
  std::string zone_name = request->time_zone();
  absl::StatusOr<std::vector<Bucket>> buckets =
      PlanSeries(*site, from, to, request->interval(), &zone_name);
  if (!buckets.ok()) return ToGrpcStatus(buckets.status());
  std::vector<RangePlan> plans = BucketPlans(*buckets);
  plans.insert(plans.begin(), PlanRange(from, to));
  if (absl::Status s = CheckRetained(*site, plans); !s.ok()) {
    return ToGrpcStatus(s);
  }
  const Dimension tops[] = {Dimension::kPage, Dimension::kReferrer,
                            Dimension::kUtmSource, Dimension::kEvent};
  std::vector<BreakdownQuery> breakdowns;
  for (Dimension d : tops) {
    BreakdownQuery q;
    q.site_id = request->site_id();
    q.from = from;
    q.to = to;
    q.kind = BreakdownKind{BreakdownKind::Source::kEvents, d};
    q.limit = kDashboardTop;
    breakdowns.push_back(std::move(q));
  }
  absl::StatusOr<DashboardSnapshot> snapshot = reports_->ReadDashboard(
      request->site_id(), plans, breakdowns, TimeLeft(*context));
  if (!snapshot.ok()) return ToGrpcStatus(snapshot.status());
  const OverviewSnapshot& overview = snapshot->overview;
  *response->mutable_overview() = ToMetrics(overview.ranges[0]);
  for (size_t i = 0; i < buckets->size(); ++i) {
    ToPoint((*buckets)[i], overview.ranges[i + 1], response->add_points());
  }
  response->set_time_zone(zone_name);
  google::protobuf::RepeatedPtrField<v1::BreakdownRow>* lists[] = {
      response->mutable_top_pages(), response->mutable_top_referrers(),
      response->mutable_top_utm_sources(), response->mutable_top_events()};
  for (size_t i = 0; i < snapshot->breakdowns.size(); ++i) {
    for (const BreakdownValues& row : snapshot->breakdowns[i].rows) {
      ToRow(row, lists[i]->Add());
    }
  }
  response->set_pending_events(overview.pending_events);
  *response->mutable_as_of() = ToProtoTimestamp(overview.as_of);
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::ListEvents(grpc::ServerContext* context,
                                          const v1::ListEventsRequest* request,
                                          v1::ListEventsResponse* response) {
  if (absl::StatusOr<SiteRecord> site =
          AuthorizeRead(*context, request->site_id());
      !site.ok()) {
    return ToGrpcStatus(site.status());
  }
  absl::StatusOr<PageQuery> query = ParsePageQuery(*request, ListKind::kEvents);
  if (!query.ok()) return ToGrpcStatus(query.status());
  absl::StatusOr<std::vector<EventListRow>> rows =
      activity_->ListEvents(*query, TimeLeft(*context));
  if (!rows.ok()) return ToGrpcStatus(rows.status());
  response->set_next_page_token(EndPage(*query, ListKind::kEvents, &*rows));
  for (const EventListRow& r : *rows) {
    v1::EventRow* out = response->add_events();
    out->set_event_id(r.id);
    out->set_client_event_id(r.client_event_id);
    out->set_type(static_cast<v1::EventType>(r.type));
    out->set_name(r.name);
    *out->mutable_occurred_at() = ToProtoTimestamp(r.occurred_at);
    *out->mutable_received_at() = ToProtoTimestamp(r.received_at);
    out->set_visitor_id(r.visitor_id);
    out->set_session_id(r.session_id);
    out->set_user_id(r.user_id);
    out->set_path(r.path);
    out->set_title(r.title);
    out->set_referrer(r.referrer);
    if (absl::Status s =
            PropertiesFromJson(r.properties_json, out->mutable_properties());
        !s.ok()) {
      return ToGrpcStatus(s);
    }
    out->set_source(r.source);
    out->set_device(r.device);
    out->set_browser(r.browser);
    out->set_os(r.os);
    out->set_country(r.country);
    out->set_utm_source(r.utm_source);
    out->set_utm_medium(r.utm_medium);
    out->set_utm_campaign(r.utm_campaign);
  }
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::ListSessions(
    grpc::ServerContext* context, const v1::ListSessionsRequest* request,
    v1::ListSessionsResponse* response) {
  if (absl::StatusOr<SiteRecord> site =
          AuthorizeRead(*context, request->site_id());
      !site.ok()) {
    return ToGrpcStatus(site.status());
  }
  absl::StatusOr<PageQuery> query =
      ParsePageQuery(*request, ListKind::kSessions);
  if (!query.ok()) return ToGrpcStatus(query.status());
  absl::StatusOr<std::vector<SessionListRow>> rows =
      activity_->ListSessions(*query, TimeLeft(*context));
  if (!rows.ok()) return ToGrpcStatus(rows.status());
  response->set_next_page_token(EndPage(*query, ListKind::kSessions, &*rows));
  for (const SessionListRow& r : *rows) {
    v1::SessionRow* out = response->add_sessions();
    out->set_session_id(r.session_id);
    out->set_visitor_id(r.visitor_id);
    *out->mutable_started_at() = ToProtoTimestamp(r.started_at);
    *out->mutable_last_seen_at() = ToProtoTimestamp(r.last_seen_at);
    *out->mutable_duration() = TimeUtil::MicrosecondsToDuration(
        absl::ToInt64Microseconds(r.last_seen_at - r.started_at));
    out->set_pageviews(r.pageviews);
    out->set_events(r.events);
    out->set_entry_path(r.entry_path);
    out->set_exit_path(r.exit_path);
    out->set_referrer(r.referrer);
    out->set_utm_source(r.utm_source);
    out->set_utm_medium(r.utm_medium);
    out->set_utm_campaign(r.utm_campaign);
    out->set_device(r.device);
    out->set_browser(r.browser);
    out->set_os(r.os);
    out->set_country(r.country);
    out->set_bounced(r.pageviews <= 1);
  }
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::ListVisitors(
    grpc::ServerContext* context, const v1::ListVisitorsRequest* request,
    v1::ListVisitorsResponse* response) {
  if (absl::StatusOr<SiteRecord> site =
          AuthorizeRead(*context, request->site_id());
      !site.ok()) {
    return ToGrpcStatus(site.status());
  }
  absl::StatusOr<PageQuery> query =
      ParsePageQuery(*request, ListKind::kVisitors);
  if (!query.ok()) return ToGrpcStatus(query.status());
  absl::StatusOr<std::vector<VisitorListRow>> rows =
      activity_->ListVisitors(*query, TimeLeft(*context));
  if (!rows.ok()) return ToGrpcStatus(rows.status());
  response->set_next_page_token(EndPage(*query, ListKind::kVisitors, &*rows));
  for (const VisitorListRow& r : *rows) {
    v1::VisitorRow* out = response->add_visitors();
    out->set_visitor_id(r.visitor_id);
    *out->mutable_first_seen_at() = ToProtoTimestamp(r.first_seen_at);
    *out->mutable_last_seen_at() = ToProtoTimestamp(r.last_seen_at);
    out->set_user_id(r.user_id);
    if (r.identified_at.has_value()) {
      *out->mutable_identified_at() = ToProtoTimestamp(*r.identified_at);
    }
    out->set_traits(r.traits_json);
  }
  return grpc::Status::OK;
}

}  // namespace analytics::reducer
