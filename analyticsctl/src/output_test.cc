// Output formats, above all the env lines scripts/run reads.
#include "analyticsctl/src/output.h"

#include <gtest/gtest.h>

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
  EXPECT_EQ(OverviewText(overview),
            "events:                   12\n"
            "pageviews:                10\n"
            "sessions:                 4\n"
            "visitors:                 3\n"
            "bounce_rate:              0.2500\n"
            "average_session_duration: 1m30s\n"
            "pending_events:           2\n"
            "as_of:                    2026-01-02T03:04:05.5Z\n");
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

}  // namespace
}  // namespace analytics::cli
