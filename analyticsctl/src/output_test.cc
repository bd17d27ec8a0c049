// Output formats, above all the env lines scripts/run reads.
#include "analyticsctl/src/output.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <tuple>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "analyticsctl/src/values.h"

namespace analytics::cli {
namespace {

absl::Time At(const char* text) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, text, &t, &err)) << err;
  return t;
}

v1::CreateSiteResponse Created() {
  v1::CreateSiteResponse created;
  created.mutable_site()->set_site_id(7);
  created.mutable_site()->set_slug("demo");
  created.set_write_key("wk_abc-_1");
  created.set_read_key("rk_def-_2");
  return created;
}

TEST(CreatedSiteEnvTest, ExactlyThreeSourceableLines) {
  EXPECT_EQ(CreatedSiteEnv(Created()),
            "SITE_ID=7\nWRITE_KEY=wk_abc-_1\nREAD_KEY=rk_def-_2\n");
}

TEST(CreatedSiteTextTest, ShowsIdAndBothKeys) {
  const std::string text = CreatedSiteText(Created());
  EXPECT_NE(text.find("created site 7 (demo)"), std::string::npos);
  EXPECT_NE(text.find("wk_abc-_1"), std::string::npos);
  EXPECT_NE(text.find("rk_def-_2"), std::string::npos);
}

v1::RotateKeyResponse Rotated() {
  v1::RotateKeyResponse rotated;
  rotated.set_key("wk_new-_3");
  // The grace period ends between two seconds; the text rounds down.
  *rotated.mutable_previous_keys_expire_at() =
      ToProtoTimestamp(At("2026-01-01T01:00:00.123456Z"));
  return rotated;
}

TEST(RotatedKeyEnvTest, ExactlyOneSourceableLine) {
  v1::RotateKeyResponse rotated = Rotated();
  EXPECT_EQ(RotatedKeyEnv(KeyKind::kWrite, rotated), "WRITE_KEY=wk_new-_3\n");
  rotated.set_key("rk_new-_4");
  EXPECT_EQ(RotatedKeyEnv(KeyKind::kRead, rotated), "READ_KEY=rk_new-_4\n");
}

TEST(RotatedKeyTextTest, NewKeyShownOnceAndWhenThePreviousEnd) {
  EXPECT_EQ(RotatedKeyText(KeyKind::kWrite, 7, Rotated()),
            "rotated the write key of site 7\n"
            "write key: wk_new-_3\n"
            "previous write keys stop working at 2026-01-01T01:00:00Z\n"
            "Store the new key now: it is shown only this once.\n");
  v1::RotateKeyResponse read;
  read.set_key("rk_new-_4");
  *read.mutable_previous_keys_expire_at() =
      ToProtoTimestamp(At("2026-01-01T00:00:00Z"));
  EXPECT_EQ(RotatedKeyText(KeyKind::kRead, 12, read),
            "rotated the read key of site 12\n"
            "read key: rk_new-_4\n"
            "previous read keys stop working at 2026-01-01T00:00:00Z\n"
            "Store the new key now: it is shown only this once.\n");
}

TEST(RotatedKeyTextTest, ExpiryNotReported) {
  v1::RotateKeyResponse rotated;
  rotated.set_key("wk_new-_3");
  EXPECT_EQ(RotatedKeyText(KeyKind::kWrite, 7, rotated),
            "rotated the write key of site 7\n"
            "write key: wk_new-_3\n"
            "previous write keys stop working at a time the server did not "
            "report\n"
            "Store the new key now: it is shown only this once.\n");
}

TEST(ParseOutputFormatTest, DefaultsToTextAndChecksAllowed) {
  const std::set<OutputFormat> text_json = {OutputFormat::kText,
                                            OutputFormat::kJson};
  EXPECT_EQ(*ParseOutputFormat("", text_json), OutputFormat::kText);
  EXPECT_EQ(*ParseOutputFormat("json", text_json), OutputFormat::kJson);
  EXPECT_FALSE(ParseOutputFormat("env", text_json).ok());
  EXPECT_FALSE(ParseOutputFormat("yaml", text_json).ok());
  EXPECT_EQ(*ParseOutputFormat("env", {OutputFormat::kEnv}),
            OutputFormat::kEnv);
}

TEST(StatusCodeNameTest, NamesCodesLikeGrpc) {
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::UNAVAILABLE), "UNAVAILABLE");
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::DEADLINE_EXCEEDED),
            "DEADLINE_EXCEEDED");
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::UNAUTHENTICATED),
            "UNAUTHENTICATED");
  EXPECT_EQ(StatusCodeName(static_cast<grpc::StatusCode>(99)), "CODE_99");
}

TEST(SiteTextTest, OneLinePerField) {
  v1::Site site;
  site.set_site_id(3);
  site.set_slug("shop");
  site.set_name("Shop");
  *site.mutable_settings()->mutable_session_timeout() =
      ToProtoDuration(absl::Minutes(30));
  site.mutable_settings()->set_time_zone("Europe/Berlin");
  *site.mutable_created_at() = ToProtoTimestamp(At("2026-01-02T03:04:05Z"));
  const std::string text = SiteText(site);
  EXPECT_NE(text.find("site_id:         3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("allowed_origins: (any)\n"), std::string::npos);
  EXPECT_NE(text.find("session_timeout: 30m\n"), std::string::npos);
  EXPECT_NE(text.find("time_zone:       Europe/Berlin\n"), std::string::npos);
  EXPECT_NE(text.find("created_at:      2026-01-02T03:04:05Z\n"),
            std::string::npos);
}

TEST(SiteTextTest, PropertyListsAndDeletion) {
  v1::Site site;
  site.set_site_id(3);
  EXPECT_NE(SiteText(site).find("prop_allowlist:  (every key)\n"),
            std::string::npos);
  EXPECT_NE(SiteText(site).find("prop_denylist:   (none)\n"),
            std::string::npos);
  EXPECT_EQ(SiteText(site).find("deleted"), std::string::npos);
  site.mutable_settings()->add_property_allowlist("plan");
  site.mutable_settings()->add_property_allowlist("seats");
  site.mutable_settings()->add_property_denylist("email");
  site.set_deleted(true);
  const std::string text = SiteText(site);
  EXPECT_NE(text.find("prop_allowlist:  plan, seats\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("prop_denylist:   email\n"), std::string::npos);
  EXPECT_NE(text.find("deleted:         true (data being purged)\n"),
            std::string::npos);
}

TEST(DeleteProgressTextTest, DonePurgingAndWaiting) {
  v1::DeleteSiteResponse response;
  response.set_rows_deleted(1234);
  EXPECT_EQ(DeleteProgressText(7, response),
            "site 7: 1234 rows purged, more to come\n");
  response.set_rows_deleted(0);
  EXPECT_EQ(DeleteProgressText(7, response),
            "site 7: data purged, waiting for the server's quiet period\n");
  response.set_done(true);
  response.set_rows_deleted(1234);
  EXPECT_EQ(DeleteProgressText(7, response), "deleted site 7 (1234 rows)\n");
}

TEST(SiteListTextTest, HeaderAndRowsOrNoSites) {
  v1::ListSitesResponse list;
  EXPECT_EQ(SiteListText(list), "no sites\n");
  list.add_sites()->set_slug("demo");
  list.add_sites()->set_slug("shop");
  const std::string text = SiteListText(list);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
  EXPECT_EQ(text.rfind("SITE_ID", 0), 0u);
}

TEST(IngestResultTextTest, CountsAndRejections) {
  v1::IngestResponse response;
  response.set_accepted(0);
  v1::Rejection* r = response.add_rejected();
  r->set_index(0);
  r->set_field("name");
  r->set_reason("required for TRACK");
  EXPECT_EQ(IngestResultText(response),
            "accepted:   0\nduplicates: 0\n"
            "rejected:   event 0: name: required for TRACK\n");
}

TEST(OverviewTextTest, EveryNumber) {
  v1::Overview overview;
  overview.set_events(12);
  overview.set_pageviews(10);
  overview.set_sessions(4);
  overview.set_visitors(3);
  overview.set_bounce_rate(0.25);
  *overview.mutable_average_session_duration() =
      ToProtoDuration(absl::Seconds(90));
  overview.set_pending_events(2);
  *overview.mutable_as_of() = ToProtoTimestamp(At("2026-01-02T03:04:05.5Z"));
  EXPECT_EQ(OverviewText(overview, /*compare=*/false),
            "events:                   12\n"
            "pageviews:                10\n"
            "sessions:                 4\n"
            "visitors:                 3\n"
            "bounce_rate:              0.2500\n"
            "average_session_duration: 1m30s\n"
            "pending_events:           2\n"
            "as_of:                    2026-01-02T03:04:05.5Z\n");
}

TEST(OverviewTextTest, CompareShowsPreviousAndChange) {
  v1::Overview overview;
  overview.set_events(12);
  overview.set_pageviews(10);
  overview.set_sessions(4);
  overview.set_visitors(3);
  overview.set_bounce_rate(0.25);
  *overview.mutable_average_session_duration() =
      ToProtoDuration(absl::Seconds(90));
  overview.set_pending_events(2);
  *overview.mutable_as_of() = ToProtoTimestamp(At("2026-01-02T03:04:05Z"));
  v1::Metrics* previous = overview.mutable_previous();
  previous->set_events(8);
  previous->set_pageviews(10);
  previous->set_visitors(2);
  previous->set_bounce_rate(0.5);
  *previous->mutable_average_session_duration() =
      ToProtoDuration(absl::Seconds(80));
  v1::MetricChanges* change = overview.mutable_change();
  change->set_events(0.5);
  change->set_pageviews(-0.0);  // no change, whatever the sign
  // No sessions before: no ratio, so the server sends no change.
  change->set_visitors(0.5);
  change->set_bounce_rate(-0.5);
  change->set_average_session_duration(0.125);
  EXPECT_EQ(OverviewText(overview, /*compare=*/true),
            "                          current      previous     change\n"
            "events:                   12           8            +50.0%\n"
            "pageviews:                10           10           +0.0%\n"
            "sessions:                 4            0            n/a\n"
            "visitors:                 3            2            +50.0%\n"
            "bounce_rate:              0.2500       0.5000       -50.0%\n"
            "average_session_duration: 1m30s        1m20s        +12.5%\n"
            "pending_events:           2\n"
            "as_of:                    2026-01-02T03:04:05Z\n");
}

TEST(OverviewTextTest, CompareRoundsToOneDecimal) {
  v1::Overview overview;
  overview.mutable_change()->set_events(1.23456);
  overview.mutable_change()->set_pageviews(-0.0004);  // rounds to no change
  overview.mutable_change()->set_visitors(-1);
  const std::string text = OverviewText(overview, /*compare=*/true);
  EXPECT_NE(text.find("events:                   0            0            "
                      "+123.5%\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\npageviews:                0            0            "
                      "+0.0%\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\nvisitors:                 0            0            "
                      "-100.0%\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\naverage_session_duration: 0            0            "
                      "n/a\n"),
            std::string::npos)
      << text;
}

v1::Timeseries Timeseries(const char* zone) {
  v1::Timeseries timeseries;
  timeseries.set_time_zone(zone);
  timeseries.set_pending_events(5);
  *timeseries.mutable_as_of() = ToProtoTimestamp(At("2026-03-31T12:00:00.25Z"));
  // Day buckets across the switch to summer time in Berlin.
  v1::TimeseriesPoint* first = timeseries.add_points();
  *first->mutable_bucket_start() = ToProtoTimestamp(At("2026-03-28T23:00:00Z"));
  v1::Metrics* m = first->mutable_metrics();
  m->set_events(12);
  m->set_pageviews(10);
  m->set_sessions(4);
  m->set_visitors(3);
  m->set_bounce_rate(0.25);
  *m->mutable_average_session_duration() = ToProtoDuration(absl::Seconds(90));
  v1::TimeseriesPoint* second = timeseries.add_points();
  *second->mutable_bucket_start() =
      ToProtoTimestamp(At("2026-03-29T22:00:00Z"));
  return timeseries;
}

TEST(TimeseriesTextTest, BucketStartsInTheResponsesZone) {
  EXPECT_EQ(TimeseriesText(Timeseries("Europe/Berlin")),
            "time_zone: Europe/Berlin\n"
            "BUCKET_START              EVENTS     PAGEVIEWS  SESSIONS   "
            "VISITORS   BOUNCE_RATE AVG_DURATION\n"
            "2026-03-29T00:00:00+01:00 12         10         4          "
            "3          0.2500      1m30s\n"
            "2026-03-30T00:00:00+02:00 0          0          0          "
            "0          0.0000      0\n"
            "pending_events: 5\n"
            "as_of:          2026-03-31T12:00:00.25Z\n");
}

TEST(TimeseriesTextTest, HalfHourOffsets) {
  const std::string text = TimeseriesText(Timeseries("Asia/Kolkata"));
  EXPECT_EQ(text.rfind("time_zone: Asia/Kolkata\n", 0), 0u) << text;
  EXPECT_NE(text.find("\n2026-03-29T04:30:00+05:30 12 "), std::string::npos)
      << text;
  EXPECT_NE(text.find("\n2026-03-30T03:30:00+05:30 0  "), std::string::npos)
      << text;
}

TEST(TimeseriesTextTest, FallsBackToUtcForAZoneNotKnownHere) {
  const std::string text = TimeseriesText(Timeseries("Mars/Olympus_Mons"));
  EXPECT_EQ(text.rfind("time_zone: Mars/Olympus_Mons (not known here: times "
                       "in UTC)\nBUCKET_START ",
                       0),
            0u)
      << text;
  EXPECT_NE(text.find("\n2026-03-28T23:00:00+00:00 12 "), std::string::npos)
      << text;
  EXPECT_EQ(
      TimeseriesText(Timeseries(""))
          .rfind("time_zone: (not given: times in UTC)\nBUCKET_START ", 0),
      0u);
}

TEST(TimeseriesTextTest, NoBuckets) {
  v1::Timeseries timeseries;
  timeseries.set_time_zone("UTC");
  EXPECT_EQ(TimeseriesText(timeseries),
            "time_zone: UTC\n"
            "no buckets\n"
            "pending_events: 0\n"
            "as_of:          1970-01-01T00:00:00Z\n");
}

v1::BreakdownRow* AddRow(
    google::protobuf::RepeatedPtrField<v1::BreakdownRow>* rows,
    const std::string& key, int64_t visitors, int64_t events, int64_t pageviews,
    int64_t sessions) {
  v1::BreakdownRow* row = rows->Add();
  row->set_key(key);
  row->set_visitors(visitors);
  row->set_events(events);
  row->set_pageviews(pageviews);
  row->set_sessions(sessions);
  return row;
}

v1::Breakdown Breakdown() {
  v1::Breakdown breakdown;
  AddRow(breakdown.mutable_rows(), "/", 120, 300, 280, 150);
  AddRow(breakdown.mutable_rows(), "/pricing", 45, 60, 60, 50);
  AddRow(breakdown.mutable_rows(), "", 3, 3, 0, 3);
  AddRow(breakdown.mutable_rows(), "/a\tb", 1, 1, 1, 1);
  breakdown.set_next_page_token("tok_b");
  breakdown.set_pending_events(2);
  *breakdown.mutable_as_of() = ToProtoTimestamp(At("2026-01-08T00:00:01Z"));
  return breakdown;
}

v1::GetBreakdownRequest BreakdownRequest(v1::Dimension dimension) {
  v1::GetBreakdownRequest request;
  request.set_site_id(7);
  *request.mutable_from() = ToProtoTimestamp(At("2026-01-01T00:00:00Z"));
  *request.mutable_to() = ToProtoTimestamp(At("2026-01-08T00:00:00.5Z"));
  request.set_dimension(dimension);
  return request;
}

TEST(BreakdownTextTest, OneAlignedLinePerRowThenNextPage) {
  EXPECT_EQ(BreakdownText(Breakdown(), BreakdownRequest(v1::DIMENSION_PAGE)),
            "PAGE     VISITORS   EVENTS     PAGEVIEWS  SESSIONS\n"
            "/        120        300        280        150\n"
            "/pricing 45         60         60         50\n"
            "(none)   3          3          0          3\n"
            "/a\\tb    1          1          1          1\n"
            "pending_events: 2\n"
            "as_of:          2026-01-08T00:00:01Z\n"
            "next page: --from=2026-01-01T00:00:00Z "
            "--to=2026-01-08T00:00:00.5Z --page-token=tok_b\n");
}

TEST(BreakdownTextTest, LastPageAndEmptyPages) {
  v1::Breakdown last = Breakdown();
  last.clear_next_page_token();
  const std::string text =
      BreakdownText(last, BreakdownRequest(v1::DIMENSION_PAGE));
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 7) << text;
  EXPECT_EQ(text.find("next page"), std::string::npos);
  EXPECT_TRUE(absl::EndsWith(text, "\nas_of:          2026-01-08T00:00:01Z\n"))
      << text;
  EXPECT_EQ(BreakdownText(v1::Breakdown(), v1::GetBreakdownRequest()),
            "no rows\n"
            "pending_events: 0\n"
            "as_of:          1970-01-01T00:00:00Z\n");
  v1::Breakdown empty_page;
  empty_page.set_next_page_token("tok_3");
  EXPECT_EQ(BreakdownText(empty_page, BreakdownRequest(v1::DIMENSION_OS)),
            "no rows\n"
            "pending_events: 0\n"
            "as_of:          1970-01-01T00:00:00Z\n"
            "next page: --from=2026-01-01T00:00:00Z "
            "--to=2026-01-08T00:00:00.5Z --page-token=tok_3\n");
}

TEST(BreakdownTextTest, HeaderNamesTheDimension) {
  const std::pair<v1::Dimension, const char*> headers[] = {
      {v1::DIMENSION_PAGE, "PAGE"},
      {v1::DIMENSION_ENTRY_PAGE, "ENTRY_PAGE"},
      {v1::DIMENSION_EXIT_PAGE, "EXIT_PAGE"},
      {v1::DIMENSION_REFERRER, "REFERRER"},
      {v1::DIMENSION_UTM_SOURCE, "UTM_SOURCE"},
      {v1::DIMENSION_UTM_MEDIUM, "UTM_MEDIUM"},
      {v1::DIMENSION_UTM_CAMPAIGN, "UTM_CAMPAIGN"},
      {v1::DIMENSION_EVENT, "EVENT"},
      {v1::DIMENSION_DEVICE, "DEVICE"},
      {v1::DIMENSION_BROWSER, "BROWSER"},
      {v1::DIMENSION_OS, "OS"},
      {v1::DIMENSION_COUNTRY, "COUNTRY"},
      {v1::DIMENSION_UNSPECIFIED, "KEY"},
      {static_cast<v1::Dimension>(99), "KEY"},
  };
  v1::Breakdown breakdown;
  AddRow(breakdown.mutable_rows(), "x", 1, 2, 3, 4);
  for (const auto& [dimension, header] : headers) {
    const std::string text =
        BreakdownText(breakdown, BreakdownRequest(dimension));
    // The key column is as wide as the header when the keys are shorter.
    const std::string pad(std::string(header).size() - 1, ' ');
    EXPECT_EQ(text.rfind(absl::StrCat(header, " VISITORS   EVENTS     ",
                                      "PAGEVIEWS  SESSIONS\nx", pad,
                                      " 1          2          3          4\n"),
                         0),
              0u)
        << text;
  }
}

TEST(BreakdownTextTest, NonAsciiKeysLineUpAndLongKeysAreCapped) {
  v1::Breakdown breakdown;
  AddRow(breakdown.mutable_rows(),
         "/\xc3\xbc"
         "ber",
         2, 2, 2, 2);  // "/über": 5 characters, 6 bytes
  AddRow(breakdown.mutable_rows(), "M\xc3\xbcnchen-Zentrum", 1, 1, 1, 1);
  EXPECT_EQ(BreakdownText(breakdown, BreakdownRequest(v1::DIMENSION_PAGE)),
            "PAGE            VISITORS   EVENTS     PAGEVIEWS  SESSIONS\n"
            "/\xc3\xbc"
            "ber           2          2          2          2\n"
            "M\xc3\xbcnchen-Zentrum 1          1          1          1\n"
            "pending_events: 0\n"
            "as_of:          1970-01-01T00:00:00Z\n");
  v1::Breakdown long_keys;
  const std::string long_key =
      absl::StrCat("/", std::string(69, 'a'));  // 70 characters
  AddRow(long_keys.mutable_rows(), long_key, 1, 1, 1, 1);
  AddRow(long_keys.mutable_rows(), "/", 1, 1, 1, 1);
  const std::string text =
      BreakdownText(long_keys, BreakdownRequest(v1::DIMENSION_PAGE));
  // The column stops at 60 characters; the longer key pushes its own line.
  EXPECT_EQ(text.rfind(absl::StrCat("PAGE", std::string(56, ' '),
                                    " VISITORS   EVENTS     PAGEVIEWS  "
                                    "SESSIONS\n",
                                    long_key,
                                    " 1          1          1     "
                                    "     1\n/",
                                    std::string(59, ' '), " 1 "),
                       0),
            0u)
      << text;
}

TEST(EventPropertyBreakdownTextTest, TotalThenOneLinePerValue) {
  v1::EventPropertyBreakdown breakdown;
  breakdown.set_events(120);
  const std::tuple<const char*, int64_t, int64_t, int64_t> rows[] = {
      {"pro", 80, 40, 45}, {"", 5, 5, 5},     {"2.5", 3, 2, 2},
      {"null", 1, 1, 1},   {"a\nb", 1, 1, 1},
  };
  for (const auto& [value, events, visitors, sessions] : rows) {
    v1::PropertyValueRow* row = breakdown.add_rows();
    row->set_value(value);
    row->set_events(events);
    row->set_visitors(visitors);
    row->set_sessions(sessions);
  }
  breakdown.set_pending_events(4);
  *breakdown.mutable_as_of() = ToProtoTimestamp(At("2026-01-02T03:04:05.5Z"));
  EXPECT_EQ(EventPropertyBreakdownText(breakdown),
            "total_events:   120\n"
            "VALUE EVENTS     VISITORS   SESSIONS\n"
            "pro   80         40         45\n"
            "\"\"    5          5          5\n"
            "2.5   3          2          2\n"
            "null  1          1          1\n"
            "a\\nb  1          1          1\n"
            "pending_events: 4\n"
            "as_of:          2026-01-02T03:04:05.5Z\n");
}

TEST(EventPropertyBreakdownTextTest, NoValues) {
  v1::EventPropertyBreakdown breakdown;
  breakdown.set_events(7);  // events of that name, none with the property
  EXPECT_EQ(EventPropertyBreakdownText(breakdown),
            "total_events:   7\n"
            "no values\n"
            "pending_events: 0\n"
            "as_of:          1970-01-01T00:00:00Z\n");
}

v1::DashboardSummary Dashboard() {
  v1::DashboardSummary summary;
  v1::Metrics* m = summary.mutable_overview();
  m->set_events(12);
  m->set_pageviews(10);
  m->set_sessions(4);
  m->set_visitors(3);
  m->set_bounce_rate(0.25);
  *m->mutable_average_session_duration() = ToProtoDuration(absl::Seconds(90));
  summary.set_time_zone("Europe/Berlin");
  v1::TimeseriesPoint* first = summary.add_points();
  *first->mutable_bucket_start() = ToProtoTimestamp(At("2025-12-31T23:00:00Z"));
  *first->mutable_metrics() = *m;
  v1::TimeseriesPoint* second = summary.add_points();
  *second->mutable_bucket_start() =
      ToProtoTimestamp(At("2026-01-01T23:00:00Z"));
  AddRow(summary.mutable_top_pages(), "/", 3, 12, 10, 4);
  AddRow(summary.mutable_top_pages(), "/pricing", 1, 2, 2, 1);
  AddRow(summary.mutable_top_referrers(), "news.example", 2, 5, 5, 2);
  AddRow(summary.mutable_top_events(), "signup", 1, 2, 0, 1);
  summary.set_pending_events(2);
  *summary.mutable_as_of() = ToProtoTimestamp(At("2026-01-02T03:04:05Z"));
  return summary;
}

TEST(DashboardSummaryTextTest, OverviewSeriesAndTopTables) {
  EXPECT_EQ(DashboardSummaryText(Dashboard()),
            "events:                   12\n"
            "pageviews:                10\n"
            "sessions:                 4\n"
            "visitors:                 3\n"
            "bounce_rate:              0.2500\n"
            "average_session_duration: 1m30s\n"
            "pending_events:           2\n"
            "as_of:                    2026-01-02T03:04:05Z\n"
            "\n"
            "time_zone: Europe/Berlin\n"
            "BUCKET_START              EVENTS     PAGEVIEWS  SESSIONS   "
            "VISITORS   BOUNCE_RATE AVG_DURATION\n"
            "2026-01-01T00:00:00+01:00 12         10         4          "
            "3          0.2500      1m30s\n"
            "2026-01-02T00:00:00+01:00 0          0          0          "
            "0          0.0000      0\n"
            "\n"
            "PAGE     VISITORS   EVENTS     PAGEVIEWS  SESSIONS\n"
            "/        3          12         10         4\n"
            "/pricing 1          2          2          1\n"
            "\n"
            "REFERRER     VISITORS   EVENTS     PAGEVIEWS  SESSIONS\n"
            "news.example 2          5          5          2\n"
            "\n"
            "no utm sources\n"
            "\n"
            "EVENT  VISITORS   EVENTS     PAGEVIEWS  SESSIONS\n"
            "signup 1          2          0          1\n");
}

TEST(DashboardSummaryTextTest, EmptySummary) {
  EXPECT_EQ(DashboardSummaryText(v1::DashboardSummary()),
            "events:                   0\n"
            "pageviews:                0\n"
            "sessions:                 0\n"
            "visitors:                 0\n"
            "bounce_rate:              0.0000\n"
            "average_session_duration: 0\n"
            "pending_events:           0\n"
            "as_of:                    1970-01-01T00:00:00Z\n"
            "\n"
            "time_zone: (not given: times in UTC)\n"
            "no buckets\n"
            "\n"
            "no pages\n"
            "\n"
            "no referrers\n"
            "\n"
            "no utm sources\n"
            "\n"
            "no track events\n");
}

v1::ListFailedEventsResponse FailedEvents() {
  v1::ListFailedEventsResponse list;
  v1::FailedEvent* retrying = list.add_events();
  retrying->set_site_id(7);
  retrying->set_event_id(42);
  retrying->set_state(v1::RETRYING);
  retrying->set_attempts(3);
  retrying->set_last_error("db: deadlock\ndetected");
  *retrying->mutable_last_failed_at() =
      ToProtoTimestamp(At("2026-01-02T03:04:05.5Z"));
  *retrying->mutable_next_attempt_at() =
      ToProtoTimestamp(At("2026-01-02T03:09:05Z"));
  retrying->set_type(v1::TRACK);
  retrying->set_name("signup");
  v1::FailedEvent* dead = list.add_events();
  dead->set_site_id(7);
  dead->set_event_id(43);
  dead->set_state(v1::DEAD);
  dead->set_attempts(10);
  dead->set_last_error("bad\tpath");
  *dead->mutable_last_failed_at() =
      ToProtoTimestamp(At("2026-01-02T04:00:00Z"));
  // Ignored: a dead event has no next attempt.
  *dead->mutable_next_attempt_at() =
      ToProtoTimestamp(At("2026-01-02T05:00:00Z"));
  dead->set_type(v1::PAGEVIEW);
  list.set_next_page_token("tok_2");
  return list;
}

TEST(FailedEventsTextTest, OneLinePerEventThenNextPage) {
  EXPECT_EQ(FailedEventsText(FailedEvents()),
            "EVENT_ID   STATE    ATTEMPTS LAST_FAILED_AT       "
            "NEXT_ATTEMPT_AT      EVENT                    LAST_ERROR\n"
            "42         retrying 3        2026-01-02T03:04:05Z "
            "2026-01-02T03:09:05Z track/signup             "
            "db: deadlock\\ndetected\n"
            "43         dead     10       2026-01-02T04:00:00Z "
            "-                    pageview                 bad\\tpath\n"
            "next page: --page-token=tok_2\n");
}

TEST(FailedEventsTextTest, LastPageAndEmptyPages) {
  v1::ListFailedEventsResponse list = FailedEvents();
  list.clear_next_page_token();
  const std::string text = FailedEventsText(list);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3) << text;
  EXPECT_EQ(text.find("next page"), std::string::npos);
  EXPECT_EQ(FailedEventsText(v1::ListFailedEventsResponse()),
            "no failed events\n");
  v1::ListFailedEventsResponse empty_page;
  empty_page.set_next_page_token("tok_3");
  EXPECT_EQ(FailedEventsText(empty_page),
            "no failed events\nnext page: --page-token=tok_3\n");
}

TEST(FailedEventsTextTest, UnknownEnumValuesAndControlCharacters) {
  v1::ListFailedEventsResponse list;
  v1::FailedEvent* e = list.add_events();
  e->set_event_id(1);
  e->set_state(static_cast<v1::FailedEventState>(7));
  e->set_type(static_cast<v1::EventType>(9));
  e->set_name("a\x01z");
  e->set_last_error("x\ry");
  const std::string text = FailedEventsText(list);
  EXPECT_NE(text.find("\n1          state_7  0        1970-01-01T00:00:00Z "
                      "-                    type_9/a\\x01z            x\\ry\n"),
            std::string::npos)
      << text;
}

v1::ListEventsResponse Events() {
  v1::ListEventsResponse list;
  v1::EventRow* track = list.add_events();
  track->set_event_id(42);
  track->set_type(v1::TRACK);
  track->set_name("signup");
  track->set_path("/pricing");  // The name wins.
  *track->mutable_occurred_at() =
      ToProtoTimestamp(At("2026-01-02T03:04:05.123456Z"));
  track->set_visitor_id("v1");
  track->set_session_id("s1");
  v1::EventRow* pageview = list.add_events();
  pageview->set_event_id(41);
  pageview->set_type(v1::PAGEVIEW);
  pageview->set_path("/docs");
  *pageview->mutable_occurred_at() =
      ToProtoTimestamp(At("2026-01-02T03:00:00Z"));
  pageview->set_visitor_id("v\n2");
  pageview->set_session_id("s\t2");
  list.set_next_page_token("tok_2");
  return list;
}

TEST(EventListTextTest, OneLinePerEventThenNextPage) {
  EXPECT_EQ(EventListText(Events(), v1::ListEventsRequest()),
            "OCCURRED_AT          EVENT_ID   TYPE     NAME/PATH                "
            "VISITOR_ID           SESSION_ID\n"
            "2026-01-02T03:04:05Z 42         track    signup                   "
            "v1                   s1\n"
            "2026-01-02T03:00:00Z 41         pageview /docs                    "
            "v\\n2                 s\\t2\n"
            "next page: --page-token=tok_2\n");
}

TEST(EventListTextTest, NextPageRepeatsTheRangeExactly) {
  v1::ListEventsRequest request;
  *request.mutable_from() = ToProtoTimestamp(At("2026-01-01T00:00:00Z"));
  *request.mutable_to() = ToProtoTimestamp(At("2026-01-02T04:00:00.5Z"));
  const std::string text = EventListText(Events(), request);
  EXPECT_TRUE(
      absl::EndsWith(text,
                     "\nnext page: --from=2026-01-01T00:00:00Z "
                     "--to=2026-01-02T04:00:00.5Z --page-token=tok_2\n"))
      << text;
  v1::ListEventsRequest to_only;
  *to_only.mutable_to() = ToProtoTimestamp(At("2026-01-02T04:00:00.000001Z"));
  EXPECT_TRUE(absl::EndsWith(EventListText(Events(), to_only),
                             "\nnext page: --to=2026-01-02T04:00:00.000001Z "
                             "--page-token=tok_2\n"));
}

TEST(EventListTextTest, LastPageEmptyPagesAndOddRows) {
  v1::ListEventsResponse list = Events();
  list.clear_next_page_token();
  const std::string text = EventListText(list, v1::ListEventsRequest());
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3) << text;
  EXPECT_EQ(text.find("next page"), std::string::npos);
  EXPECT_EQ(EventListText(v1::ListEventsResponse(), v1::ListEventsRequest()),
            "no events\n");
  v1::ListEventsResponse empty_page;
  empty_page.set_next_page_token("tok_3");
  EXPECT_EQ(EventListText(empty_page, v1::ListEventsRequest()),
            "no events\nnext page: --page-token=tok_3\n");
  v1::ListEventsResponse odd;
  v1::EventRow* e = odd.add_events();
  e->set_event_id(1);
  e->set_type(static_cast<v1::EventType>(9));
  e->set_visitor_id("v\x7f");
  e->set_session_id("s");
  EXPECT_EQ(EventListText(odd, v1::ListEventsRequest()),
            "OCCURRED_AT          EVENT_ID   TYPE     NAME/PATH                "
            "VISITOR_ID           SESSION_ID\n"
            "1970-01-01T00:00:00Z 1          type_9   -                        "
            "v\\x7f                s\n");
}

v1::ListSessionsResponse Sessions() {
  v1::ListSessionsResponse list;
  v1::SessionRow* long_one = list.add_sessions();
  long_one->set_session_id("s1");
  long_one->set_visitor_id("v1");
  *long_one->mutable_started_at() =
      ToProtoTimestamp(At("2026-01-02T03:00:00.25Z"));
  *long_one->mutable_duration() =
      ToProtoDuration(absl::Seconds(90) + absl::Milliseconds(700));
  long_one->set_pageviews(3);
  long_one->set_events(5);
  long_one->set_entry_path("/");
  long_one->set_exit_path("/pricing");
  v1::SessionRow* bounce = list.add_sessions();
  bounce->set_session_id("s2");
  bounce->set_visitor_id("v2");
  *bounce->mutable_started_at() = ToProtoTimestamp(At("2026-01-02T02:00:00Z"));
  bounce->set_events(1);
  bounce->set_bounced(true);
  list.set_next_page_token("tok_s");
  return list;
}

TEST(SessionListTextTest, OneLinePerSessionThenNextPage) {
  v1::ListSessionsRequest request;
  *request.mutable_from() = ToProtoTimestamp(At("2026-01-01T00:00:00.123Z"));
  EXPECT_EQ(SessionListText(Sessions(), request),
            "STARTED_AT           SESSION_ID           VISITOR_ID           "
            "DURATION  PAGEVIEWS EVENTS  ENTRY -> EXIT                    "
            "BOUNCED\n"
            "2026-01-02T03:00:00Z s1                   v1                   "
            "1m30s     3         5       / -> /pricing                    "
            "no\n"
            "2026-01-02T02:00:00Z s2                   v2                   "
            "0s        0         1       -                                "
            "yes\n"
            "next page: --from=2026-01-01T00:00:00.123Z --page-token=tok_s\n");
}

TEST(SessionListTextTest, EmptyPagesSubSecondsAndControlCharacters) {
  EXPECT_EQ(
      SessionListText(v1::ListSessionsResponse(), v1::ListSessionsRequest()),
      "no sessions\n");
  v1::ListSessionsResponse list;
  v1::SessionRow* row = list.add_sessions();
  row->set_session_id("s\r3");
  row->set_visitor_id("v3");
  *row->mutable_duration() = ToProtoDuration(absl::Milliseconds(400));
  row->set_pageviews(1);
  row->set_events(2);
  row->set_entry_path("/a\nb");
  EXPECT_EQ(SessionListText(list, v1::ListSessionsRequest()),
            "STARTED_AT           SESSION_ID           VISITOR_ID           "
            "DURATION  PAGEVIEWS EVENTS  ENTRY -> EXIT                    "
            "BOUNCED\n"
            "1970-01-01T00:00:00Z s\\r3                 v3                   "
            "0s        1         2       /a\\nb -> -                       "
            "no\n");
}

TEST(VisitorListTextTest, OneLinePerVisitorThenNextPage) {
  v1::ListVisitorsResponse list;
  v1::VisitorRow* identified = list.add_visitors();
  identified->set_visitor_id("v1");
  *identified->mutable_first_seen_at() =
      ToProtoTimestamp(At("2025-12-01T00:00:00Z"));
  *identified->mutable_last_seen_at() =
      ToProtoTimestamp(At("2026-01-02T03:04:05.9Z"));
  identified->set_user_id("u\x01");
  v1::VisitorRow* anonymous = list.add_visitors();
  anonymous->set_visitor_id("v2");
  *anonymous->mutable_first_seen_at() =
      ToProtoTimestamp(At("2026-01-01T10:00:00Z"));
  *anonymous->mutable_last_seen_at() =
      ToProtoTimestamp(At("2026-01-01T11:00:00Z"));
  list.set_next_page_token("tok_v");
  v1::ListVisitorsRequest request;
  *request.mutable_from() = ToProtoTimestamp(At("2025-12-25T00:00:00Z"));
  *request.mutable_to() = ToProtoTimestamp(At("2026-01-03T00:00:00Z"));
  EXPECT_EQ(
      VisitorListText(list, request),
      "LAST_SEEN_AT         VISITOR_ID               FIRST_SEEN_AT        "
      "USER_ID\n"
      "2026-01-02T03:04:05Z v1                       2025-12-01T00:00:00Z "
      "u\\x01\n"
      "2026-01-01T11:00:00Z v2                       2026-01-01T10:00:00Z "
      "-\n"
      "next page: --from=2025-12-25T00:00:00Z --to=2026-01-03T00:00:00Z "
      "--page-token=tok_v\n");
  list.clear_next_page_token();
  EXPECT_EQ(VisitorListText(list, request).find("next page"),
            std::string::npos);
  EXPECT_EQ(
      VisitorListText(v1::ListVisitorsResponse(), v1::ListVisitorsRequest()),
      "no visitors\n");
}

TEST(RetryResultTextTest, RequeuedCount) {
  v1::RetryFailedEventsResponse response;
  response.set_requeued(12);
  EXPECT_EQ(RetryResultText(response), "requeued: 12\n");
  EXPECT_EQ(RetryResultText(v1::RetryFailedEventsResponse()), "requeued: 0\n");
}

TEST(BacklogTextTest, OneLinePerSite) {
  v1::GetBacklogResponse backlog;
  EXPECT_EQ(BacklogText(backlog), "no backlog\n");
  v1::Backlog* busy = backlog.add_sites();
  busy->set_site_id(3);
  busy->set_pending(120);
  *busy->mutable_oldest_pending_age() =
      ToProtoDuration(absl::Milliseconds(3723500));  // 1h2m3.5s
  busy->set_retrying(2);
  busy->set_dead(1);
  v1::Backlog* stuck = backlog.add_sites();
  stuck->set_site_id(7);
  stuck->set_dead(4);
  v1::Backlog* fresh = backlog.add_sites();
  fresh->set_site_id(9);
  fresh->set_pending(1);
  *fresh->mutable_oldest_pending_age() =
      ToProtoDuration(absl::Milliseconds(300));
  EXPECT_EQ(BacklogText(backlog),
            "SITE_ID  PENDING    OLDEST_PENDING   RETRYING   DEAD\n"
            "3        120        1h2m3s           2          1\n"
            "7        0          -                0          4\n"
            "9        1          <1s              0          0\n");
}

v1::RollupCheckResponse RollupCheck() {
  v1::RollupCheckResponse check;
  *check.mutable_from() = ToProtoTimestamp(At("2026-01-01T00:00:00Z"));
  *check.mutable_to() = ToProtoTimestamp(At("2026-01-03T00:00:00Z"));
  check.set_rows_checked(480);
  check.set_rows_different(3);
  v1::RollupDifference* overview = check.add_differences();
  overview->set_granularity(1);
  overview->set_dimension(0);
  *overview->mutable_bucket_start() =
      ToProtoTimestamp(At("2026-01-01T00:00:00Z"));
  overview->mutable_expected()->set_events(12);
  overview->mutable_expected()->set_pageviews(5);
  overview->mutable_expected()->set_duration_us(90000000);
  overview->mutable_actual()->set_events(10);
  overview->mutable_actual()->set_pageviews(5);
  v1::RollupDifference* page = check.add_differences();
  page->set_granularity(0);
  page->set_dimension(2);
  page->set_key("/a \"b\"\\");
  *page->mutable_bucket_start() = ToProtoTimestamp(At("2026-01-02T05:00:00Z"));
  page->mutable_expected()->set_pageviews(2);
  page->mutable_expected()->set_visitors(1);
  page->mutable_actual()->set_pageviews(3);
  page->mutable_actual()->set_visitors(1);
  page->mutable_actual()->set_sessions(1);
  page->mutable_actual()->set_bounces(1);
  return check;
}

TEST(RollupCheckTextTest, VerifyListsEachDifferingValue) {
  EXPECT_EQ(RollupCheckText(RollupCheck(), /*rebuild=*/false),
            "range:          [2026-01-01T00:00:00Z, 2026-01-03T00:00:00Z)\n"
            "rows_checked:   480\n"
            "rows_different: 3\n"
            "differences:\n"
            "  day 2026-01-01T00:00:00Z overview: events expected 12, actual "
            "10; duration_us expected 90000000, actual 0\n"
            "  hour 2026-01-02T05:00:00Z page \"/a \\\"b\\\"\\\\\": pageviews "
            "expected 2, actual 3; sessions expected 0, actual 1; bounces "
            "expected 0, actual 1\n"
            "  (only the first 2 of 3 are listed)\n");
}

TEST(RollupCheckTextTest, RebuildSaysWhetherItRewrote) {
  v1::RollupCheckResponse clean;
  *clean.mutable_from() = ToProtoTimestamp(At("2026-01-01T00:00:00Z"));
  *clean.mutable_to() = ToProtoTimestamp(At("2026-01-02T00:00:00Z"));
  clean.set_rows_checked(10);
  EXPECT_EQ(RollupCheckText(clean, /*rebuild=*/true),
            "range:          [2026-01-01T00:00:00Z, 2026-01-02T00:00:00Z)\n"
            "rows_checked:   10\n"
            "rows_different: 0\n"
            "rewritten:      no\n");
  v1::RollupCheckResponse rebuilt = RollupCheck();
  rebuilt.set_rewritten(true);
  const std::string text = RollupCheckText(rebuilt, /*rebuild=*/true);
  EXPECT_EQ(text.rfind("range:          [2026-01-01T00:00:00Z, "
                       "2026-01-03T00:00:00Z)\nrows_checked:   480\n"
                       "rows_different: 3\nrewritten:      yes\ndifferences:\n",
                       0),
            0u)
      << text;
}

TEST(RollupCheckTextTest, EveryGranularityAndDimensionName) {
  const std::pair<int, const char*> granularities[] = {
      {0, "hour"}, {1, "day"}, {5, "granularity_5"}};
  const std::pair<int, const char*> dimensions[] = {
      {1, "event"},      {2, "page"},         {3, "referrer"},
      {4, "utm_source"}, {5, "utm_medium"},   {6, "utm_campaign"},
      {7, "device"},     {8, "browser"},      {9, "os"},
      {10, "country"},   {11, "dimension_11"}};
  for (const auto& [granularity, granularity_name] : granularities) {
    for (const auto& [dimension, dimension_name] : dimensions) {
      v1::RollupCheckResponse check;
      check.set_rows_different(1);
      v1::RollupDifference* d = check.add_differences();
      d->set_granularity(granularity);
      d->set_dimension(dimension);
      d->set_key("k");
      d->mutable_actual()->set_visitors(2);
      EXPECT_NE(RollupCheckText(check, false)
                    .find(absl::StrCat("differences:\n  ", granularity_name,
                                       " 1970-01-01T00:00:00Z ", dimension_name,
                                       " \"k\": visitors expected 0, actual "
                                       "2\n")),
                std::string::npos)
          << granularity << " " << dimension;
    }
  }
  v1::RollupCheckResponse same;
  same.set_rows_different(1);
  same.add_differences()->set_dimension(1);
  EXPECT_NE(
      RollupCheckText(same, false)
          .find("  hour 1970-01-01T00:00:00Z event \"\": (same values)\n"),
      std::string::npos);
}

TEST(ToJsonTest, FailedEventsWithEnumNames) {
  absl::StatusOr<std::string> json = ToJson(FailedEvents());
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_NE(json->find("\"state\": \"DEAD\""), std::string::npos) << *json;
  EXPECT_NE(json->find("\"event_id\": \"43\""), std::string::npos);
  EXPECT_NE(json->find("\"next_page_token\": \"tok_2\""), std::string::npos);
}

TEST(ToJsonTest, ListRowsWithEnumNamesAndTimes) {
  absl::StatusOr<std::string> json = ToJson(Events());
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_NE(json->find("\"type\": \"TRACK\""), std::string::npos) << *json;
  EXPECT_NE(json->find("\"occurred_at\": \"2026-01-02T03:04:05.123456Z\""),
            std::string::npos);
  EXPECT_NE(json->find("\"next_page_token\": \"tok_2\""), std::string::npos);
  json = ToJson(Sessions());
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_NE(json->find("\"duration\": \"90.700s\""), std::string::npos)
      << *json;
  EXPECT_NE(json->find("\"bounced\": true"), std::string::npos);
}

TEST(ToJsonTest, ProtoFieldNamesAndDefaults) {
  v1::Overview overview;
  overview.set_events(5);
  absl::StatusOr<std::string> json = ToJson(overview);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_NE(json->find("\"events\": \"5\""), std::string::npos) << *json;
  EXPECT_NE(json->find("\"pending_events\": \"0\""), std::string::npos);
  EXPECT_EQ(json->back(), '\n');
}

TEST(ToJsonTest, BreakdownsAndDashboard) {
  absl::StatusOr<std::string> json = ToJson(Breakdown());
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_NE(json->find("\"key\": \"/pricing\""), std::string::npos) << *json;
  EXPECT_NE(json->find("\"visitors\": \"45\""), std::string::npos);
  EXPECT_NE(json->find("\"next_page_token\": \"tok_b\""), std::string::npos);
  json = ToJson(Dashboard());
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_NE(json->find("\"top_utm_sources\": []"), std::string::npos) << *json;
  EXPECT_NE(json->find("\"top_referrers\": ["), std::string::npos);
  EXPECT_NE(json->find("\"bounce_rate\": 0.25"), std::string::npos);
}

TEST(ToJsonTest, RotatedKey) {
  absl::StatusOr<std::string> json = ToJson(Rotated());
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_NE(json->find("\"key\": \"wk_new-_3\""), std::string::npos) << *json;
  EXPECT_NE(json->find("\"previous_keys_expire_at\": "
                       "\"2026-01-01T01:00:00.123456Z\""),
            std::string::npos)
      << *json;
}

TEST(ToJsonTest, TimeseriesPointsAndZone) {
  absl::StatusOr<std::string> json = ToJson(Timeseries("Europe/Berlin"));
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_NE(json->find("\"time_zone\": \"Europe/Berlin\""), std::string::npos)
      << *json;
  EXPECT_NE(json->find("\"bucket_start\": \"2026-03-28T23:00:00Z\""),
            std::string::npos);
  EXPECT_NE(json->find("\"pending_events\": \"5\""), std::string::npos);
}

}  // namespace
}  // namespace analytics::cli
