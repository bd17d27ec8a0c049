// Command line -> call: targets, tokens, required flags and request fields
// of every subcommand.
#include "analyticsctl/src/requests.h"

#include <gtest/gtest.h>

#include "analyticsctl/src/values.h"

namespace analytics::cli {
namespace {

ParsedArgs Parse(std::vector<std::string> argv) {
  absl::StatusOr<ParsedArgs> args = ParseArgs(argv);
  EXPECT_TRUE(args.ok()) << args.status();
  return args.ok() ? *args : ParsedArgs{};
}

Environment Env(std::string admin_token = "admin-secret") {
  Environment env;
  env.now = absl::FromUnixSeconds(1767225600);  // 2026-01-01T00:00:00Z
  env.admin_token = std::move(admin_token);
  return env;
}

TEST(BuildCreateSiteTest, FillsRequestAndDefaults) {
  auto call = BuildCreateSite(
      Parse({"site", "create", "--slug=demo", "--name=Demo",
             "--allowed-origins=https://a.example,https://b.example",
             "--session_timeout=15m", "--time_zone=Europe/Berlin",
             "--output=env"}),
      Env());
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->target, kDefaultIngestTarget);
  EXPECT_EQ(call->timeout, kDefaultTimeout);
  EXPECT_EQ(call->token, "admin-secret");
  EXPECT_EQ(call->output, OutputFormat::kEnv);
  EXPECT_EQ(call->request.slug(), "demo");
  EXPECT_EQ(call->request.name(), "Demo");
  ASSERT_EQ(call->request.allowed_origins_size(), 2);
  EXPECT_EQ(call->request.allowed_origins(1), "https://b.example");
  EXPECT_EQ(FromProtoDuration(call->request.settings().session_timeout()),
            absl::Minutes(15));
  EXPECT_EQ(call->request.settings().time_zone(), "Europe/Berlin");
}

TEST(BuildCreateSiteTest, LeavesUnsetSettingsToTheServer) {
  auto call = BuildCreateSite(Parse({"--slug=demo"}), Env());
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_FALSE(call->request.has_settings());
  EXPECT_EQ(call->output, OutputFormat::kText);
}

TEST(BuildCreateSiteTest, TargetTimeoutAndTokenFlags) {
  auto call = BuildCreateSite(Parse({"--target=10.0.0.1:9", "--timeout=250ms",
                                     "--slug=demo", "--admin_token=from-flag"}),
                              Env());
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->target, "10.0.0.1:9");
  EXPECT_EQ(call->timeout, absl::Milliseconds(250));
  EXPECT_EQ(call->token, "from-flag");
}

TEST(BuildCreateSiteTest, UsageErrors) {
  const Environment env = Env();
  EXPECT_FALSE(BuildCreateSite(Parse({}), env).ok());  // no slug
  EXPECT_FALSE(BuildCreateSite(Parse({"--slug="}), env).ok());
  EXPECT_FALSE(BuildCreateSite(Parse({"--slug=a", "--read-key=x"}), env).ok());
  EXPECT_FALSE(
      BuildCreateSite(Parse({"--slug=a", "--session_timeout=0s"}), env).ok());
  EXPECT_FALSE(BuildCreateSite(Parse({"--slug=a", "--timeout=x"}), env).ok());
  EXPECT_FALSE(BuildCreateSite(Parse({"--slug=a", "--target="}), env).ok());
  EXPECT_FALSE(BuildCreateSite(Parse({"--slug=a", "--output=xml"}), env).ok());
  absl::Status no_token =
      BuildCreateSite(Parse({"--slug=a"}), Env("")).status();
  EXPECT_EQ(no_token.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(no_token.message()).find("ANALYTICS_ADMIN_TOKEN"),
            std::string::npos);
}

TEST(BuildGetSiteTest, ByIdOrSlugNotBoth) {
  auto by_id = BuildGetSite(Parse({"--site=12"}), Env());
  ASSERT_TRUE(by_id.ok()) << by_id.status();
  EXPECT_EQ(by_id->request.site_id(), 12);
  auto by_slug = BuildGetSite(Parse({"--slug=demo", "--output=json"}), Env());
  ASSERT_TRUE(by_slug.ok()) << by_slug.status();
  EXPECT_EQ(by_slug->request.slug(), "demo");
  EXPECT_EQ(by_slug->output, OutputFormat::kJson);
  EXPECT_FALSE(BuildGetSite(Parse({}), Env()).ok());
  EXPECT_FALSE(BuildGetSite(Parse({"--site=1", "--slug=demo"}), Env()).ok());
  EXPECT_FALSE(BuildGetSite(Parse({"--site=abc"}), Env()).ok());
  EXPECT_FALSE(BuildGetSite(Parse({"--site=1", "--output=env"}), Env()).ok());
}

TEST(BuildListSitesTest, NoOwnFlags) {
  EXPECT_TRUE(BuildListSites(Parse({"site", "list"}), Env()).ok());
  EXPECT_FALSE(BuildListSites(Parse({"--slug=x"}), Env()).ok());
}

TEST(BuildUpdateSiteTest, OnlyGivenFieldsGoIntoTheMask) {
  auto call = BuildUpdateSite(
      Parse({"site", "update", "--site=7", "--name=New name",
             "--time-zone=Asia/Kolkata", "--raw_retention=48h",
             "--property-allowlist=plan,seats", "--property_denylist=email"}),
      Env());
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->target, kDefaultIngestTarget);
  EXPECT_EQ(call->token, "admin-secret");
  const v1::UpdateSiteRequest& r = call->request;
  EXPECT_EQ(r.site_id(), 7);
  std::vector<std::string> paths(r.update_mask().paths().begin(),
                                 r.update_mask().paths().end());
  EXPECT_EQ(paths,
            (std::vector<std::string>{
                "name", "settings.time_zone", "settings.raw_retention",
                "settings.property_allowlist", "settings.property_denylist"}));
  EXPECT_EQ(r.site().name(), "New name");
  EXPECT_EQ(r.site().settings().time_zone(), "Asia/Kolkata");
  EXPECT_EQ(r.site().settings().raw_retention().seconds(), 48 * 3600);
  ASSERT_EQ(r.site().settings().property_allowlist_size(), 2);
  EXPECT_EQ(r.site().settings().property_allowlist(1), "seats");
  ASSERT_EQ(r.site().settings().property_denylist_size(), 1);
  EXPECT_EQ(r.site().settings().property_denylist(0), "email");
}

TEST(BuildUpdateSiteTest, AnEmptyListFlagClearsTheList) {
  auto call = BuildUpdateSite(
      Parse({"site", "update", "--site=7", "--allowed_origins="}), Env());
  ASSERT_TRUE(call.ok()) << call.status();
  ASSERT_EQ(call->request.update_mask().paths_size(), 1);
  EXPECT_EQ(call->request.update_mask().paths(0), "allowed_origins");
  EXPECT_EQ(call->request.site().allowed_origins_size(), 0);
}

TEST(BuildUpdateSiteTest, UsageErrors) {
  auto error = [](std::vector<std::string> argv) {
    return std::string(BuildUpdateSite(Parse(argv), Env()).status().message());
  };
  EXPECT_EQ(error({"--site=7"}),
            "site update: give at least one of --name, --allowed_origins, "
            "--session_timeout, --time_zone, --raw_retention, "
            "--property_allowlist, --property_denylist");
  EXPECT_EQ(error({"--name=x"}), "--site is required");
  EXPECT_NE(error({"--site=7", "--slug=x"}).find("--slug"), std::string::npos);
  EXPECT_NE(
      error({"--site=7", "--session_timeout=soon"}).find("--session_timeout"),
      std::string::npos);
}

TEST(BuildSiteStateTest, DisableAndEnableNeedTheSite) {
  auto call = BuildSetSiteState(Parse({"site", "disable", "--site=9"}),
                                "site disable", Env());
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->request.site_id(), 9);
  EXPECT_EQ(BuildSetSiteState(Parse({"site", "enable"}), "site enable", Env())
                .status()
                .message(),
            "--site is required");
  EXPECT_FALSE(
      BuildSetSiteState(Parse({"--site=9"}), "site enable", Env("")).ok());
}

TEST(BuildDeleteSiteTest, NeedsYesAndWaitsLongerByDefault) {
  auto call =
      BuildDeleteSite(Parse({"site", "delete", "--site=9", "--yes"}), Env());
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->request.site_id(), 9);
  EXPECT_EQ(call->timeout, kDefaultDeleteTimeout);
  EXPECT_EQ(BuildDeleteSite(Parse({"site", "delete", "--site=9"}), Env())
                .status()
                .message(),
            "site delete removes the site and all its data for good: add "
            "--yes");
  auto quick = BuildDeleteSite(
      Parse({"site", "delete", "--yes", "--site=9", "--timeout=30s"}), Env());
  ASSERT_TRUE(quick.ok()) << quick.status();
  EXPECT_EQ(quick->timeout, absl::Seconds(30));
}

TEST(ClientTlsFlagsTest, ReadEveryCommandsTlsFlags) {
  auto error = [](std::vector<std::string> argv) {
    return std::string(BuildListSites(Parse(argv), Env()).status().message());
  };
  EXPECT_EQ(error({"--tls-cert=a.pem"}),
            "--tls-cert and --tls-key go together: give both or neither");
  EXPECT_EQ(error({"--tls-cert=a.pem", "--tls-key=a.key"}),
            "--tls-cert needs --tls-ca (the CA that signed the server's "
            "certificate)");
  EXPECT_EQ(error({"--tls-ca=/nonexistent/ca.pem"}),
            "--tls-ca: cannot read '/nonexistent/ca.pem'");
  auto plain = BuildListSites(Parse({"site", "list"}), Env());
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_FALSE(plain->tls.enabled());
}

TEST(BuildRotateKeyTest, WriteKeyWithGrace) {
  auto call = BuildRotateWriteKey(Parse({"site", "rotate-write-key", "--site=7",
                                         "--grace=2h30m", "--output=env"}),
                                  Env());
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->target, kDefaultIngestTarget);
  EXPECT_EQ(call->timeout, kDefaultTimeout);
  EXPECT_EQ(call->token, "admin-secret");
  EXPECT_EQ(call->output, OutputFormat::kEnv);
  EXPECT_EQ(call->request.site_id(), 7);
  ASSERT_TRUE(call->request.has_grace_period());
  EXPECT_EQ(call->request.grace_period().seconds(), 9000);
  EXPECT_EQ(call->request.grace_period().nanos(), 0);
}

TEST(BuildRotateKeyTest, WithoutGraceTheServerDefaultApplies) {
  auto call = BuildRotateReadKey(
      Parse({"site", "rotate-read-key", "--site", "7"}), Env());
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->request.site_id(), 7);
  EXPECT_FALSE(call->request.has_grace_period());
  EXPECT_EQ(call->output, OutputFormat::kText);
}

TEST(BuildRotateKeyTest, ZeroGraceIsSentAsSet) {
  auto call = BuildRotateReadKey(
      Parse({"--site=7", "--grace=0s", "--output=json", "--target=10.0.0.1:9",
             "--admin_token=from-flag"}),
      Env(""));
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->target, "10.0.0.1:9");
  EXPECT_EQ(call->token, "from-flag");
  EXPECT_EQ(call->output, OutputFormat::kJson);
  ASSERT_TRUE(call->request.has_grace_period());
  EXPECT_EQ(call->request.grace_period().seconds(), 0);
  EXPECT_EQ(call->request.grace_period().nanos(), 0);
}

TEST(BuildRotateKeyTest, UsageErrorsNameTheCommand) {
  auto write_error = [](std::vector<std::string> argv,
                        std::string admin_token = "admin-secret") {
    return std::string(
        BuildRotateWriteKey(Parse(argv), Env(admin_token)).status().message());
  };
  auto read_error = [](std::vector<std::string> argv) {
    return std::string(
        BuildRotateReadKey(Parse(argv), Env()).status().message());
  };
  EXPECT_EQ(write_error({"--site=7"}), "");  // OK
  EXPECT_EQ(write_error({}), "--site is required");
  EXPECT_EQ(read_error({"--site="}), "--site is required");
  EXPECT_EQ(write_error({"--site=x"}),
            "--site: 'x' is not a site id (a positive integer)");
  EXPECT_EQ(write_error({"--site=7", "--grace=-1h"}),
            "--grace: '-1h' is not a duration of 0 or more such as 0s, 30m "
            "or 1h");
  EXPECT_EQ(read_error({"--site=7", "--grace=1d"}),
            "--grace: '1d' is not a duration of 0 or more such as 0s, 30m "
            "or 1h");
  EXPECT_EQ(write_error({"--site=7", "--slug=demo"}),
            "unknown flag --slug for 'site rotate-write-key'");
  EXPECT_EQ(read_error({"--site=7", "--all"}),
            "unknown flag --all for 'site rotate-read-key'");
  EXPECT_EQ(read_error({"--site=7", "--grace=1h", "--grace=2h"}),
            "--grace is given more than once");
  EXPECT_EQ(write_error({"--site=7", "--output=xml"}),
            "--output: 'xml' is not one of text, env, json");
  EXPECT_EQ(
      write_error({"--site=7"}, ""),
      "no admin token: set ANALYTICS_ADMIN_TOKEN (or pass --admin_token)");
}

TEST(BuildSendTest, OneEventWithEveryField) {
  auto call = BuildSend(
      Parse({"send", "--write-key=wk_1", "--visitor=v1", "--session=s1",
             "--type=track", "--name=signup", "--path=/join", "--title=Join",
             "--referrer=https://r.example/", "--user-id=u1", "--event-id=e1",
             "--at=-5m", "--props=plan=pro,seats=3", "--prop", "note=a,b",
             "--origin=https://a.example"}),
      Env(""));
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->target, kDefaultIngestTarget);
  EXPECT_EQ(call->token, "wk_1");
  EXPECT_EQ(call->request.origin(), "https://a.example");
  ASSERT_EQ(call->request.events_size(), 1);
  const v1::Event& e = call->request.events(0);
  EXPECT_EQ(e.type(), v1::TRACK);
  EXPECT_EQ(e.visitor_id(), "v1");
  EXPECT_EQ(e.session_id(), "s1");
  EXPECT_EQ(e.name(), "signup");
  EXPECT_EQ(e.path(), "/join");
  EXPECT_EQ(e.title(), "Join");
  EXPECT_EQ(e.referrer(), "https://r.example/");
  EXPECT_EQ(e.user_id(), "u1");
  EXPECT_EQ(e.event_id(), "e1");
  EXPECT_EQ(FromProtoTimestamp(e.occurred_at()), Env().now - absl::Minutes(5));
  ASSERT_EQ(e.properties_size(), 3);
  EXPECT_EQ(e.properties().at("plan").string_value(), "pro");
  EXPECT_EQ(e.properties().at("seats").number_value(), 3);
  EXPECT_EQ(e.properties().at("note").string_value(), "a,b");
}

TEST(BuildSendTest, MinimalEventLeavesTimeToTheServer) {
  auto call = BuildSend(Parse({"--write_key", "wk_1", "--visitor", "v",
                               "--session", "s", "--type", "pageview"}),
                        Env());
  ASSERT_TRUE(call.ok()) << call.status();
  const v1::Event& e = call->request.events(0);
  EXPECT_EQ(e.type(), v1::PAGEVIEW);
  EXPECT_FALSE(e.has_occurred_at());
  EXPECT_TRUE(e.properties().empty());
}

TEST(BuildSendTest, UsageErrors) {
  const std::vector<std::string> ok = {"--write-key=wk_1", "--visitor=v",
                                       "--session=s", "--type=pageview"};
  ASSERT_TRUE(BuildSend(Parse(ok), Env()).ok());
  // Each required flag, left out in turn.
  for (size_t skip = 0; skip < ok.size(); ++skip) {
    std::vector<std::string> argv;
    for (size_t i = 0; i < ok.size(); ++i) {
      if (i != skip) argv.push_back(ok[i]);
    }
    EXPECT_FALSE(BuildSend(Parse(argv), Env()).ok()) << ok[skip];
  }
  auto with = [&](const char* extra) {
    std::vector<std::string> argv = ok;
    argv.push_back(extra);
    return BuildSend(Parse(argv), Env()).status();
  };
  EXPECT_FALSE(with("--type=click").ok());  // last --type wins... and is bad
  EXPECT_FALSE(with("--at=yesterday").ok());
  EXPECT_FALSE(with("--props=a").ok());
  EXPECT_FALSE(with("--slug=x").ok());
  EXPECT_FALSE(with("--output=env").ok());
  EXPECT_FALSE(with("--admin_token=x").ok());
}

TEST(BuildSendTest, MissingWriteKeyMessageUsesDashes) {
  absl::Status s =
      BuildSend(Parse({"--visitor=v", "--session=s", "--type=pageview"}), Env())
          .status();
  EXPECT_EQ(s.message(), "--write-key is required");
}

TEST(BuildOverviewTest, RangeAndKey) {
  auto call = BuildOverview(Parse({"overview", "--read-key=rk_1", "--site=7",
                                   "--from=-1h", "--to=now"}),
                            Env());
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->target, kDefaultQueryTarget);
  EXPECT_EQ(call->token, "rk_1");
  EXPECT_EQ(call->request.site_id(), 7);
  EXPECT_EQ(FromProtoTimestamp(call->request.from()),
            Env().now - absl::Hours(1));
  EXPECT_EQ(FromProtoTimestamp(call->request.to()), Env().now);
  EXPECT_FALSE(call->request.compare_previous());
  EXPECT_EQ(call->output, OutputFormat::kText);
}

TEST(BuildOverviewTest, CompareSetsComparePrevious) {
  auto call = BuildOverview(
      Parse({"overview", "--compare", "--read-key=rk_1", "--site=7",
             "--from=-1h", "--to=now", "--output=json"}),
      Env());
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_TRUE(call->request.compare_previous());
  EXPECT_EQ(call->request.site_id(), 7);
  EXPECT_EQ(call->output, OutputFormat::kJson);
  EXPECT_EQ(BuildOverview(Parse({"--compare", "--compare", "--site=7",
                                 "--from=-1h", "--to=now"}),
                          Env())
                .status()
                .message(),
            "--compare is given more than once");
}

TEST(BuildOverviewTest, FallsBackToTheAdminToken) {
  const std::vector<std::string> argv = {"--site=7", "--from=-1h", "--to=now"};
  auto call = BuildOverview(Parse(argv), Env());
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->token, "admin-secret");
  absl::Status s = BuildOverview(Parse(argv), Env("")).status();
  EXPECT_EQ(s.message(), "--read-key is required");
}

TEST(BuildOverviewTest, UsageErrors) {
  EXPECT_FALSE(
      BuildOverview(Parse({"--read-key=rk", "--from=-1h", "--to=now"}), Env())
          .ok());
  EXPECT_FALSE(
      BuildOverview(Parse({"--read-key=rk", "--site=7", "--to=now"}), Env())
          .ok());
  EXPECT_FALSE(
      BuildOverview(
          Parse({"--read-key=rk", "--site=7", "--from=1h", "--to=now"}), Env())
          .ok());
  EXPECT_FALSE(
      BuildOverview(
          Parse({"--read-key=", "--site=7", "--from=-1h", "--to=now"}), Env())
          .ok());
}

TEST(BuildTimeseriesTest, FillsRequestAndDefaults) {
  auto call = BuildTimeseries(
      Parse({"timeseries", "--read-key=rk_1", "--site=7",
             "--from=2025-12-25T00:00:00Z", "--to=now", "--interval=day",
             "--time-zone=Asia/Kolkata", "--output=json"}),
      Env());
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->target, kDefaultQueryTarget);
  EXPECT_EQ(call->timeout, kDefaultTimeout);
  EXPECT_EQ(call->token, "rk_1");
  EXPECT_EQ(call->output, OutputFormat::kJson);
  EXPECT_EQ(call->request.site_id(), 7);
  EXPECT_EQ(call->request.from().seconds(), 1767225600 - 7 * 86400);
  EXPECT_EQ(FromProtoTimestamp(call->request.to()), Env().now);
  EXPECT_EQ(call->request.interval(), v1::DAY);
  EXPECT_EQ(call->request.time_zone(), "Asia/Kolkata");
}

TEST(BuildTimeseriesTest, SitesZoneAndAdminTokenByDefault) {
  auto call = BuildTimeseries(
      Parse({"--site=7", "--from=-1h", "--to=now", "--interval=HOUR",
             "--target=10.0.0.1:9", "--timeout=30s"}),
      Env());
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->target, "10.0.0.1:9");
  EXPECT_EQ(call->timeout, absl::Seconds(30));
  EXPECT_EQ(call->token, "admin-secret");
  EXPECT_EQ(call->output, OutputFormat::kText);
  EXPECT_EQ(call->request.interval(), v1::HOUR);
  EXPECT_EQ(call->request.time_zone(), "");
  auto week = BuildTimeseries(Parse({"--site=7", "--from=-1h", "--to=now",
                                     "--interval=week", "--admin_token=t"}),
                              Env(""));
  ASSERT_TRUE(week.ok()) << week.status();
  EXPECT_EQ(week->token, "t");
  EXPECT_EQ(week->request.interval(), v1::WEEK);
}

TEST(BuildTimeseriesTest, UsageErrors) {
  auto error = [](std::vector<std::string> argv,
                  std::string admin_token = "admin-secret") {
    return std::string(
        BuildTimeseries(Parse(argv), Env(admin_token)).status().message());
  };
  const std::vector<std::string> ok = {"--read-key=rk", "--site=7",
                                       "--from=-1h", "--to=now",
                                       "--interval=month"};
  EXPECT_EQ(error(ok), "");
  auto with = [&](const char* extra) {
    std::vector<std::string> argv = ok;
    argv.push_back(extra);
    return error(argv);
  };
  EXPECT_EQ(error({"--site=7", "--from=-1h", "--to=now", "--interval=day"}, ""),
            "--read-key is required");
  EXPECT_EQ(
      error({"--read-key=rk", "--from=-1h", "--to=now", "--interval=day"}),
      "--site is required");
  EXPECT_EQ(error({"--read-key=rk", "--site=7", "--to=now", "--interval=day"}),
            "--from is required");
  EXPECT_EQ(
      error({"--read-key=rk", "--site=7", "--from=-1h", "--interval=day"}),
      "--to is required");
  EXPECT_EQ(error({"--read-key=rk", "--site=7", "--from=-1h", "--to=now"}),
            "--interval is required");
  EXPECT_EQ(error({"--read-key=rk", "--site=7", "--from=-1h", "--to=now",
                   "--interval=quarter"}),
            "--interval: 'quarter' is not one of hour, day, week, month");
  EXPECT_EQ(error({"--read-key=rk", "--site=7", "--from=-1h", "--to=now",
                   "--interval="}),
            "--interval is required");
  EXPECT_EQ(with("--interval=day"), "--interval is given more than once");
  EXPECT_EQ(with("--compare"), "unknown flag --compare for 'timeseries'");
  EXPECT_EQ(with("--output=env"), "--output: 'env' is not one of text, json");
  EXPECT_EQ(with("--time-zone=UTC") + with("--time_zone=UTC"), "");
  EXPECT_EQ(error({"--read-key=", "--site=7", "--from=-1h", "--to=now",
                   "--interval=day"}),
            "the read key is empty");
}

TEST(BuildBreakdownTest, FillsRequest) {
  auto call = BuildBreakdown(
      Parse({"breakdown", "--read-key=rk_1", "--site=7",
             "--from=2025-12-25T00:00:00Z", "--to=now",
             "--dimension=utm-source", "--sort=pageviews", "--limit=250",
             "--page-token=tok_2", "--output=json"}),
      Env());
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->target, kDefaultQueryTarget);
  EXPECT_EQ(call->timeout, kDefaultTimeout);
  EXPECT_EQ(call->token, "rk_1");
  EXPECT_EQ(call->output, OutputFormat::kJson);
  EXPECT_EQ(call->request.site_id(), 7);
  EXPECT_EQ(call->request.from().seconds(), 1767225600 - 7 * 86400);
  EXPECT_EQ(call->request.from().nanos(), 0);
  EXPECT_EQ(FromProtoTimestamp(call->request.to()), Env().now);
  EXPECT_EQ(call->request.dimension(), v1::DIMENSION_UTM_SOURCE);
  EXPECT_EQ(call->request.sort_by(), v1::BREAKDOWN_METRIC_PAGEVIEWS);
  EXPECT_EQ(call->request.limit(), 250);
  EXPECT_EQ(call->request.page_token(), "tok_2");
}

TEST(BuildBreakdownTest, DefaultsAndAdminToken) {
  auto call = BuildBreakdown(
      Parse({"--site=7", "--from=-168h", "--to=now", "--dimension=page",
             "--target=10.0.0.1:9", "--timeout=30s"}),
      Env());
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->target, "10.0.0.1:9");
  EXPECT_EQ(call->timeout, absl::Seconds(30));
  EXPECT_EQ(call->token, "admin-secret");
  EXPECT_EQ(call->output, OutputFormat::kText);
  EXPECT_EQ(FromProtoTimestamp(call->request.from()),
            Env().now - absl::Hours(168));
  EXPECT_EQ(call->request.dimension(), v1::DIMENSION_PAGE);
  // Visitors, the server's default, sent explicitly.
  EXPECT_EQ(call->request.sort_by(), v1::BREAKDOWN_METRIC_VISITORS);
  EXPECT_EQ(call->request.limit(), 0);
  EXPECT_EQ(call->request.page_token(), "");
  auto flag_token = BuildBreakdown(Parse({"--site=7", "--from=-1h", "--to=now",
                                          "--dimension=os", "--admin_token=t"}),
                                   Env(""));
  ASSERT_TRUE(flag_token.ok()) << flag_token.status();
  EXPECT_EQ(flag_token->token, "t");
}

TEST(BuildBreakdownTest, EveryDimensionAndSort) {
  const std::pair<const char*, v1::Dimension> dimensions[] = {
      {"page", v1::DIMENSION_PAGE},
      {"entry-page", v1::DIMENSION_ENTRY_PAGE},
      {"exit_page", v1::DIMENSION_EXIT_PAGE},
      {"referrer", v1::DIMENSION_REFERRER},
      {"utm_source", v1::DIMENSION_UTM_SOURCE},
      {"utm-medium", v1::DIMENSION_UTM_MEDIUM},
      {"UTM_CAMPAIGN", v1::DIMENSION_UTM_CAMPAIGN},
      {"event", v1::DIMENSION_EVENT},
      {"device", v1::DIMENSION_DEVICE},
      {"browser", v1::DIMENSION_BROWSER},
      {"os", v1::DIMENSION_OS},
      {"country", v1::DIMENSION_COUNTRY},
  };
  for (const auto& [name, dimension] : dimensions) {
    auto call =
        BuildBreakdown(Parse({"--read-key=rk", "--site=7", "--from=-1h",
                              "--to=now", std::string("--dimension=") + name}),
                       Env());
    ASSERT_TRUE(call.ok()) << name << ": " << call.status();
    EXPECT_EQ(call->request.dimension(), dimension) << name;
  }
  const std::pair<const char*, v1::BreakdownMetric> sorts[] = {
      {"visitors", v1::BREAKDOWN_METRIC_VISITORS},
      {"events", v1::BREAKDOWN_METRIC_EVENTS},
      {"PageViews", v1::BREAKDOWN_METRIC_PAGEVIEWS},
      {"sessions", v1::BREAKDOWN_METRIC_SESSIONS},
  };
  for (const auto& [name, metric] : sorts) {
    auto call = BuildBreakdown(
        Parse({"--read-key=rk", "--site=7", "--from=-1h", "--to=now",
               "--dimension=page", std::string("--sort=") + name}),
        Env());
    ASSERT_TRUE(call.ok()) << name << ": " << call.status();
    EXPECT_EQ(call->request.sort_by(), metric) << name;
  }
}

TEST(BuildBreakdownTest, UsageErrors) {
  auto error = [](std::vector<std::string> argv,
                  std::string admin_token = "admin-secret") {
    return std::string(
        BuildBreakdown(Parse(argv), Env(admin_token)).status().message());
  };
  const std::vector<std::string> ok = {"--read-key=rk", "--site=7",
                                       "--from=-1h", "--to=now",
                                       "--dimension=referrer"};
  EXPECT_EQ(error(ok), "");
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = ok;
    argv.insert(argv.end(), extra.begin(), extra.end());
    return error(argv);
  };
  EXPECT_EQ(
      error({"--site=7", "--from=-1h", "--to=now", "--dimension=page"}, ""),
      "--read-key is required");
  EXPECT_EQ(error({"--read-key=", "--site=7", "--from=-1h", "--to=now",
                   "--dimension=page"}),
            "the read key is empty");
  EXPECT_EQ(
      error({"--read-key=rk", "--from=-1h", "--to=now", "--dimension=page"}),
      "--site is required");
  EXPECT_EQ(error({"--read-key=rk", "--site=0", "--from=-1h", "--to=now",
                   "--dimension=page"}),
            "--site: '0' is not a site id (a positive integer)");
  EXPECT_EQ(
      error({"--read-key=rk", "--site=7", "--to=now", "--dimension=page"}),
      "--from is required");
  EXPECT_EQ(
      error({"--read-key=rk", "--site=7", "--from=-1h", "--dimension=page"}),
      "--to is required");
  EXPECT_EQ(error({"--read-key=rk", "--site=7", "--from=1h", "--to=now",
                   "--dimension=page"}),
            "--from: '1h' is not a time: use RFC 3339 (2026-01-02T15:04:05Z), "
            "'now' or a relative time such as -1h");
  EXPECT_EQ(error({"--read-key=rk", "--site=7", "--from=-1h", "--to=never",
                   "--dimension=page"}),
            "--to: 'never' is not a time: use RFC 3339 "
            "(2026-01-02T15:04:05Z), 'now' or a relative time such as -1h");
  EXPECT_EQ(error({"--read-key=rk", "--site=7", "--from=-1h", "--to=now"}),
            "--dimension is required");
  EXPECT_EQ(error({"--read-key=rk", "--site=7", "--from=-1h", "--to=now",
                   "--dimension="}),
            "--dimension is required");
  EXPECT_EQ(error({"--read-key=rk", "--site=7", "--from=-1h", "--to=now",
                   "--dimension=path"}),
            "--dimension: 'path' is not one of page, entry-page, exit-page, "
            "referrer, utm-source, utm-medium, utm-campaign, event, device, "
            "browser, os, country");
  EXPECT_EQ(with({"--dimension=page"}), "--dimension is given more than once");
  EXPECT_EQ(with({"--sort=bounces"}),
            "--sort: 'bounces' is not one of visitors, events, pageviews, "
            "sessions");
  EXPECT_EQ(with({"--sort="}),
            "--sort: '' is not one of visitors, events, pageviews, sessions");
  EXPECT_EQ(with({"--sort=events", "--sort=visitors"}),
            "--sort is given more than once");
  EXPECT_EQ(with({"--limit=0"}), "--limit: '0' is not a limit from 1 to 1000");
  EXPECT_EQ(with({"--limit=1001"}),
            "--limit: '1001' is not a limit from 1 to 1000");
  EXPECT_EQ(with({"--limit=ten"}),
            "--limit: 'ten' is not a limit from 1 to 1000");
  EXPECT_EQ(with({"--limit=1"}) + with({"--limit=1000"}), "");
  EXPECT_EQ(with({"--page-token=a", "--page-token=b"}),
            "--page-token is given more than once");
  EXPECT_EQ(with({"--page-size=5"}),
            "unknown flag --page-size for 'breakdown'");
  EXPECT_EQ(with({"--interval=day"}),
            "unknown flag --interval for 'breakdown'");
  EXPECT_EQ(with({"--compare"}), "unknown flag --compare for 'breakdown'");
  EXPECT_EQ(with({"--output=env"}), "--output: 'env' is not one of text, json");
  // A page token may start with '-' (web-safe base64).
  auto dash =
      BuildBreakdown(Parse({"--site=7", "--from=-1h", "--to=now",
                            "--dimension=page", "--page-token", "-x_1"}),
                     Env());
  ASSERT_TRUE(dash.ok()) << dash.status();
  EXPECT_EQ(dash->request.page_token(), "-x_1");
}

TEST(BuildEventPropertyBreakdownTest, FillsRequestAndDefaults) {
  auto call = BuildEventPropertyBreakdown(
      Parse({"properties", "--read-key=rk_1", "--site=7", "--from=-24h",
             "--to=now", "--event=signup", "--key=plan", "--limit=20",
             "--output=json"}),
      Env());
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->target, kDefaultQueryTarget);
  EXPECT_EQ(call->timeout, kDefaultTimeout);
  EXPECT_EQ(call->token, "rk_1");
  EXPECT_EQ(call->output, OutputFormat::kJson);
  EXPECT_EQ(call->request.site_id(), 7);
  EXPECT_EQ(FromProtoTimestamp(call->request.from()),
            Env().now - absl::Hours(24));
  EXPECT_EQ(FromProtoTimestamp(call->request.to()), Env().now);
  EXPECT_EQ(call->request.event_name(), "signup");
  EXPECT_EQ(call->request.property_key(), "plan");
  EXPECT_EQ(call->request.limit(), 20);

  auto defaults = BuildEventPropertyBreakdown(
      Parse({"--site=7", "--from=-1h", "--to=now", "--event", "Sign Up",
             "--key", "a b=c"}),
      Env());
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->token, "admin-secret");
  EXPECT_EQ(defaults->output, OutputFormat::kText);
  EXPECT_EQ(defaults->request.event_name(), "Sign Up");
  EXPECT_EQ(defaults->request.property_key(), "a b=c");
  EXPECT_EQ(defaults->request.limit(), 0);
}

TEST(BuildEventPropertyBreakdownTest, UsageErrors) {
  auto error = [](std::vector<std::string> argv,
                  std::string admin_token = "admin-secret") {
    return std::string(
        BuildEventPropertyBreakdown(Parse(argv), Env(admin_token))
            .status()
            .message());
  };
  const std::vector<std::string> ok = {"--read-key=rk",  "--site=7",
                                       "--from=-1h",     "--to=now",
                                       "--event=signup", "--key=plan"};
  EXPECT_EQ(error(ok), "");
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = ok;
    argv.insert(argv.end(), extra.begin(), extra.end());
    return error(argv);
  };
  auto without = [&](const std::string& flag) {
    std::vector<std::string> argv;
    for (const std::string& arg : ok) {
      if (arg.rfind(flag + "=", 0) != 0) argv.push_back(arg);
    }
    return error(argv);
  };
  EXPECT_EQ(without("--read-key"), "");  // the admin token
  EXPECT_EQ(error({"--site=7", "--from=-1h", "--to=now", "--event=signup",
                   "--key=plan"},
                  ""),
            "--read-key is required");
  EXPECT_EQ(without("--site"), "--site is required");
  EXPECT_EQ(without("--from"), "--from is required");
  EXPECT_EQ(without("--to"), "--to is required");
  EXPECT_EQ(without("--event"), "--event is required");
  EXPECT_EQ(without("--key"), "--key is required");
  EXPECT_EQ(with({"--event="}), "--event is given more than once");
  EXPECT_EQ(error({"--read-key=rk", "--site=7", "--from=-1h", "--to=now",
                   "--event=", "--key=plan"}),
            "--event is required");
  EXPECT_EQ(error({"--read-key=rk", "--site=7", "--from=-1h", "--to=now",
                   "--event=signup", "--key="}),
            "--key is required");
  EXPECT_EQ(with({"--limit=0"}), "--limit: '0' is not a limit from 1 to 1000");
  EXPECT_EQ(with({"--limit=1001"}),
            "--limit: '1001' is not a limit from 1 to 1000");
  EXPECT_EQ(with({"--limit=-1"}),
            "--limit: '-1' is not a limit from 1 to 1000");
  EXPECT_EQ(with({"--limit=1000"}), "");
  EXPECT_EQ(with({"--dimension=page"}),
            "unknown flag --dimension for 'properties'");
  EXPECT_EQ(with({"--page-token=x"}),
            "unknown flag --page-token for 'properties'");
  EXPECT_EQ(with({"--name=signup"}), "unknown flag --name for 'properties'");
  EXPECT_EQ(with({"--output=env"}), "--output: 'env' is not one of text, json");
}

TEST(BuildDashboardSummaryTest, FillsRequest) {
  auto call = BuildDashboardSummary(
      Parse({"dashboard", "--read-key=rk_1", "--site=7",
             "--from=2025-12-01T00:00:00+01:00", "--to=now", "--interval=week",
             "--time-zone=Europe/Berlin", "--output=json"}),
      Env());
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->target, kDefaultQueryTarget);
  EXPECT_EQ(call->timeout, kDefaultTimeout);
  EXPECT_EQ(call->token, "rk_1");
  EXPECT_EQ(call->output, OutputFormat::kJson);
  EXPECT_EQ(call->request.site_id(), 7);
  EXPECT_EQ(call->request.from().seconds(), 1767225600 - 31 * 86400 - 3600);
  EXPECT_EQ(FromProtoTimestamp(call->request.to()), Env().now);
  EXPECT_EQ(call->request.interval(), v1::WEEK);
  EXPECT_EQ(call->request.time_zone(), "Europe/Berlin");
}

TEST(BuildDashboardSummaryTest, DayAndTheSitesZoneByDefault) {
  auto call = BuildDashboardSummary(
      Parse({"dashboard", "--site=7", "--from=-24h", "--to=now"}), Env());
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->token, "admin-secret");
  EXPECT_EQ(call->output, OutputFormat::kText);
  EXPECT_EQ(call->request.interval(), v1::DAY);
  EXPECT_EQ(call->request.time_zone(), "");
  for (const auto& [name, interval] :
       {std::pair<const char*, v1::Interval>{"hour", v1::HOUR},
        {"DAY", v1::DAY},
        {"week", v1::WEEK},
        {"month", v1::MONTH}}) {
    auto with_interval = BuildDashboardSummary(
        Parse({"--site=7", "--from=-24h", "--to=now",
               std::string("--interval=") + name, "--time_zone=UTC"}),
        Env());
    ASSERT_TRUE(with_interval.ok()) << with_interval.status();
    EXPECT_EQ(with_interval->request.interval(), interval) << name;
    EXPECT_EQ(with_interval->request.time_zone(), "UTC");
  }
}

TEST(BuildDashboardSummaryTest, UsageErrors) {
  auto error = [](std::vector<std::string> argv,
                  std::string admin_token = "admin-secret") {
    return std::string(BuildDashboardSummary(Parse(argv), Env(admin_token))
                           .status()
                           .message());
  };
  const std::vector<std::string> ok = {"--read-key=rk", "--site=7",
                                       "--from=-1h", "--to=now"};
  EXPECT_EQ(error(ok), "");
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = ok;
    argv.insert(argv.end(), extra.begin(), extra.end());
    return error(argv);
  };
  EXPECT_EQ(error({"--site=7", "--from=-1h", "--to=now"}, ""),
            "--read-key is required");
  EXPECT_EQ(error({"--read-key=rk", "--from=-1h", "--to=now"}),
            "--site is required");
  EXPECT_EQ(error({"--read-key=rk", "--site=7", "--to=now"}),
            "--from is required");
  EXPECT_EQ(error({"--read-key=rk", "--site=7", "--from=-1h"}),
            "--to is required");
  EXPECT_EQ(with({"--interval=quarter"}),
            "--interval: 'quarter' is not one of hour, day, week, month");
  EXPECT_EQ(with({"--interval="}),
            "--interval: '' is not one of hour, day, week, month");
  EXPECT_EQ(with({"--interval=day", "--interval=week"}),
            "--interval is given more than once");
  EXPECT_EQ(with({"--limit=10"}), "unknown flag --limit for 'dashboard'");
  EXPECT_EQ(with({"--dimension=page"}),
            "unknown flag --dimension for 'dashboard'");
  EXPECT_EQ(with({"--compare"}), "unknown flag --compare for 'dashboard'");
  EXPECT_EQ(with({"--output=env"}), "--output: 'env' is not one of text, json");
}

TEST(BuildListEventsTest, FillsRequestAndDefaults) {
  auto call = BuildListEvents(
      Parse({"events", "--read-key=rk_1", "--site=7",
             "--from=2025-12-31T00:00:00.5Z", "--to=-1h", "--page-size=250",
             "--page-token=tok_2", "--output=json"}),
      Env());
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->target, kDefaultQueryTarget);
  EXPECT_EQ(call->timeout, kDefaultTimeout);
  EXPECT_EQ(call->token, "rk_1");
  EXPECT_EQ(call->output, OutputFormat::kJson);
  EXPECT_EQ(call->request.site_id(), 7);
  ASSERT_TRUE(call->request.has_from());
  EXPECT_EQ(call->request.from().seconds(), 1767225600 - 86400);
  EXPECT_EQ(call->request.from().nanos(), 500000000);
  ASSERT_TRUE(call->request.has_to());
  EXPECT_EQ(FromProtoTimestamp(call->request.to()), Env().now - absl::Hours(1));
  EXPECT_EQ(call->request.page_size(), 250);
  EXPECT_EQ(call->request.page_token(), "tok_2");
}

TEST(BuildListEventsTest, RangePageSizeAndTokenAreOptional) {
  auto call = BuildListEvents(Parse({"events", "--site", "7"}), Env());
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->token, "admin-secret");
  EXPECT_EQ(call->output, OutputFormat::kText);
  EXPECT_EQ(call->request.site_id(), 7);
  EXPECT_FALSE(call->request.has_from());
  EXPECT_FALSE(call->request.has_to());
  EXPECT_EQ(call->request.page_size(), 0);
  EXPECT_EQ(call->request.page_token(), "");
  auto from_only =
      BuildListEvents(Parse({"--site=7", "--from=now", "--admin_token=t",
                             "--target=10.0.0.1:9", "--timeout=30s"}),
                      Env(""));
  ASSERT_TRUE(from_only.ok()) << from_only.status();
  EXPECT_EQ(from_only->token, "t");
  EXPECT_EQ(from_only->target, "10.0.0.1:9");
  EXPECT_EQ(from_only->timeout, absl::Seconds(30));
  EXPECT_EQ(FromProtoTimestamp(from_only->request.from()), Env().now);
  EXPECT_FALSE(from_only->request.has_to());
  // A page token may start with '-' (web-safe base64).
  auto dash =
      BuildListEvents(Parse({"--site=7", "--page-token", "-x_1"}), Env());
  ASSERT_TRUE(dash.ok()) << dash.status();
  EXPECT_EQ(dash->request.page_token(), "-x_1");
}

TEST(BuildListEventsTest, UsageErrors) {
  auto error = [](std::vector<std::string> argv,
                  std::string admin_token = "admin-secret") {
    return std::string(
        BuildListEvents(Parse(argv), Env(admin_token)).status().message());
  };
  EXPECT_EQ(error({"--read-key=rk", "--site=7"}), "");
  EXPECT_EQ(error({"--site=7"}, ""), "--read-key is required");
  EXPECT_EQ(error({"--read-key=", "--site=7"}), "the read key is empty");
  EXPECT_EQ(error({"--read-key=rk"}), "--site is required");
  EXPECT_EQ(error({"--read-key=rk", "--site=x"}),
            "--site: 'x' is not a site id (a positive integer)");
  EXPECT_EQ(error({"--read-key=rk", "--site=7", "--from=1h"}),
            "--from: '1h' is not a time: use RFC 3339 (2026-01-02T15:04:05Z), "
            "'now' or a relative time such as -1h");
  EXPECT_EQ(error({"--read-key=rk", "--site=7", "--to=yesterday"}),
            "--to: 'yesterday' is not a time: use RFC 3339 "
            "(2026-01-02T15:04:05Z), 'now' or a relative time such as -1h");
  EXPECT_EQ(error({"--read-key=rk", "--site=7", "--page-size=1001"}),
            "--page-size: '1001' is not a page size from 1 to 1000");
  EXPECT_EQ(error({"--read-key=rk", "--site=7", "--page-size=0"}),
            "--page-size: '0' is not a page size from 1 to 1000");
  EXPECT_EQ(
      error({"--read-key=rk", "--site=7", "--page-token=a", "--page-token=b"}),
      "--page-token is given more than once");
  EXPECT_EQ(error({"--read-key=rk", "--site=7", "--state=dead"}),
            "unknown flag --state for 'events'");
  EXPECT_EQ(error({"--read-key=rk", "--site=7", "--output=env"}),
            "--output: 'env' is not one of text, json");
}

TEST(BuildListSessionsAndVisitorsTest, SameFlagsOwnCommandName) {
  const std::vector<std::string> argv = {
      "--read-key=rk_1", "--site=7",      "--from=-24h",
      "--to=now",        "--page-size=5", "--page-token=tok_9"};
  auto sessions = BuildListSessions(Parse(argv), Env());
  ASSERT_TRUE(sessions.ok()) << sessions.status();
  EXPECT_EQ(sessions->target, kDefaultQueryTarget);
  EXPECT_EQ(sessions->token, "rk_1");
  EXPECT_EQ(sessions->request.site_id(), 7);
  EXPECT_EQ(FromProtoTimestamp(sessions->request.from()),
            Env().now - absl::Hours(24));
  EXPECT_EQ(FromProtoTimestamp(sessions->request.to()), Env().now);
  EXPECT_EQ(sessions->request.page_size(), 5);
  EXPECT_EQ(sessions->request.page_token(), "tok_9");
  auto visitors = BuildListVisitors(Parse(argv), Env());
  ASSERT_TRUE(visitors.ok()) << visitors.status();
  EXPECT_EQ(visitors->target, kDefaultQueryTarget);
  EXPECT_EQ(visitors->token, "rk_1");
  EXPECT_EQ(visitors->request.site_id(), 7);
  EXPECT_EQ(FromProtoTimestamp(visitors->request.from()),
            Env().now - absl::Hours(24));
  EXPECT_EQ(FromProtoTimestamp(visitors->request.to()), Env().now);
  EXPECT_EQ(visitors->request.page_size(), 5);
  EXPECT_EQ(visitors->request.page_token(), "tok_9");

  auto no_range = BuildListVisitors(Parse({"--site=7"}), Env());
  ASSERT_TRUE(no_range.ok()) << no_range.status();
  EXPECT_EQ(no_range->token, "admin-secret");
  EXPECT_FALSE(no_range->request.has_from());
  EXPECT_FALSE(no_range->request.has_to());
  EXPECT_EQ(no_range->request.page_size(), 0);

  EXPECT_EQ(BuildListSessions(Parse({"--site=7", "--compare"}), Env())
                .status()
                .message(),
            "unknown flag --compare for 'sessions'");
  EXPECT_EQ(BuildListVisitors(Parse({"--site=7", "--interval=day"}), Env())
                .status()
                .message(),
            "unknown flag --interval for 'visitors'");
  EXPECT_EQ(BuildListSessions(Parse({"--site=7"}), Env("")).status().message(),
            "--read-key is required");
}

TEST(BuildListFailedEventsTest, FillsRequestAndDefaults) {
  auto call = BuildListFailedEvents(
      Parse({"failed", "list", "--site=7", "--state=dead", "--page-size=250",
             "--page-token=tok_2", "--output=json"}),
      Env());
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->target, kDefaultIngestTarget);
  EXPECT_EQ(call->timeout, kDefaultTimeout);
  EXPECT_EQ(call->token, "admin-secret");
  EXPECT_EQ(call->output, OutputFormat::kJson);
  EXPECT_EQ(call->request.site_id(), 7);
  EXPECT_EQ(call->request.state(), v1::DEAD);
  EXPECT_EQ(call->request.page_size(), 250);
  EXPECT_EQ(call->request.page_token(), "tok_2");
}

TEST(BuildListFailedEventsTest, BothStatesAndServerPageSizeByDefault) {
  auto call = BuildListFailedEvents(Parse({"--site", "7"}), Env());
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->request.state(), v1::FAILED_EVENT_STATE_UNSPECIFIED);
  EXPECT_EQ(call->request.page_size(), 0);
  EXPECT_EQ(call->request.page_token(), "");
  EXPECT_EQ(call->output, OutputFormat::kText);
}

TEST(BuildListFailedEventsTest, UsageErrors) {
  auto error = [](std::vector<std::string> argv) {
    return std::string(
        BuildListFailedEvents(Parse(argv), Env()).status().message());
  };
  EXPECT_EQ(error({}), "--site is required");
  EXPECT_EQ(error({"--site=0"}),
            "--site: '0' is not a site id (a positive integer)");
  EXPECT_EQ(error({"--site=7", "--state=pending"}),
            "--state: 'pending' is not one of retrying, dead");
  EXPECT_EQ(error({"--site=7", "--page-size=0"}),
            "--page-size: '0' is not a page size from 1 to 1000");
  EXPECT_EQ(error({"--site=7", "--all"}),
            "unknown flag --all for 'failed list'");
  EXPECT_EQ(error({"--site=7", "--output=env"}),
            "--output: 'env' is not one of text, json");
  EXPECT_EQ(error({"--site=7"}), "");  // OK
}

TEST(BuildListFailedEventsTest, NeedsTheAdminToken) {
  absl::Status s = BuildListFailedEvents(Parse({"--site=7"}), Env("")).status();
  EXPECT_EQ(
      s.message(),
      "no admin token: set ANALYTICS_ADMIN_TOKEN (or pass --admin_token)");
}

TEST(BuildRetryFailedEventsTest, ListedIds) {
  auto call =
      BuildRetryFailedEvents(Parse({"failed", "retry", "--site=7",
                                    "--ids=11, 12,13", "--target=10.0.0.1:9"}),
                             Env());
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->target, "10.0.0.1:9");
  EXPECT_EQ(call->token, "admin-secret");
  EXPECT_EQ(call->output, OutputFormat::kText);
  EXPECT_EQ(call->request.site_id(), 7);
  EXPECT_EQ(std::vector<int64_t>(call->request.event_ids().begin(),
                                 call->request.event_ids().end()),
            (std::vector<int64_t>{11, 12, 13}));
  EXPECT_FALSE(call->request.all());
  EXPECT_EQ(call->request.state(), v1::FAILED_EVENT_STATE_UNSPECIFIED);
}

TEST(BuildRetryFailedEventsTest, AllWithOrWithoutState) {
  auto all = BuildRetryFailedEvents(
      Parse({"failed", "retry", "--all", "--site=7"}), Env());
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_TRUE(all->request.all());
  EXPECT_TRUE(all->request.event_ids().empty());
  EXPECT_EQ(all->request.state(), v1::FAILED_EVENT_STATE_UNSPECIFIED);
  auto dead = BuildRetryFailedEvents(
      Parse({"--site=7", "--all", "--state=dead"}), Env());
  ASSERT_TRUE(dead.ok()) << dead.status();
  EXPECT_TRUE(dead->request.all());
  EXPECT_EQ(dead->request.state(), v1::DEAD);
}

TEST(BuildRetryFailedEventsTest, UsageErrors) {
  auto error = [](std::vector<std::string> argv) {
    return std::string(
        BuildRetryFailedEvents(Parse(argv), Env()).status().message());
  };
  EXPECT_EQ(error({"--ids=1"}), "--site is required");
  EXPECT_EQ(error({"--site=7"}),
            "give exactly one of --ids=<id,id,...> and --all");
  EXPECT_EQ(error({"--site=7", "--ids=1", "--all"}),
            "give exactly one of --ids=<id,id,...> and --all");
  EXPECT_EQ(error({"--site=7", "--ids=1", "--state=dead"}),
            "--state goes only with --all");
  EXPECT_EQ(error({"--site=7", "--ids=1,-2"}),
            "--ids: '-2' is not an event id (a positive integer)");
  EXPECT_EQ(error({"--site=7", "--ids="}),
            "--ids lists no event ids (use e.g. 1,2,3)");
  EXPECT_EQ(error({"--site=7", "--all", "--state=both"}),
            "--state: 'both' is not one of retrying, dead");
  EXPECT_EQ(error({"--site=7", "--all", "--output=json"}),
            "--output: 'json' is not one of text");
  EXPECT_EQ(error({"--site=7", "--all", "--all"}),
            "--all is given more than once");
  EXPECT_EQ(error({"--site=7", "--all", "--page-size=5"}),
            "unknown flag --page-size for 'failed retry'");
}

TEST(BuildGetBacklogTest, OneSiteOrEverySite) {
  auto every = BuildGetBacklog(Parse({"backlog"}), Env());
  ASSERT_TRUE(every.ok()) << every.status();
  EXPECT_EQ(every->target, kDefaultIngestTarget);
  EXPECT_EQ(every->timeout, kDefaultTimeout);
  EXPECT_EQ(every->token, "admin-secret");
  EXPECT_EQ(every->request.site_id(), 0);
  EXPECT_EQ(every->output, OutputFormat::kText);
  auto one =
      BuildGetBacklog(Parse({"backlog", "--site=7", "--output=json"}), Env());
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->request.site_id(), 7);
  EXPECT_EQ(one->output, OutputFormat::kJson);
}

TEST(BuildGetBacklogTest, UsageErrors) {
  EXPECT_EQ(BuildGetBacklog(Parse({"--site="}), Env()).status().message(),
            "--site: '' is not a site id (a positive integer)");
  EXPECT_EQ(BuildGetBacklog(Parse({"--state=dead"}), Env()).status().message(),
            "unknown flag --state for 'backlog'");
  EXPECT_FALSE(BuildGetBacklog(Parse({}), Env("")).ok());
}

TEST(BuildRollupCheckTest, VerifyFillsRangeAndLongerTimeout) {
  auto call =
      BuildVerifyRollups(Parse({"rollups", "verify", "--site=7",
                                "--from=2025-12-30T00:00:00Z", "--to=now"}),
                         Env());
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->target, kDefaultIngestTarget);
  EXPECT_EQ(call->timeout, kDefaultRollupTimeout);
  EXPECT_EQ(call->timeout, absl::Minutes(5));
  EXPECT_EQ(call->token, "admin-secret");
  EXPECT_EQ(call->output, OutputFormat::kText);
  EXPECT_EQ(call->request.site_id(), 7);
  EXPECT_EQ(call->request.from().seconds(), 1767225600 - 2 * 86400);
  EXPECT_EQ(call->request.from().nanos(), 0);
  EXPECT_EQ(call->request.to().seconds(), 1767225600);
}

TEST(BuildRollupCheckTest, RebuildTakesTheSameFlagsAndTimeout) {
  auto call = BuildRebuildRollups(
      Parse({"rollups", "rebuild", "--site=3", "--from=-48h", "--to=-24h",
             "--timeout=30s", "--output=json"}),
      Env());
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->timeout, absl::Seconds(30));
  EXPECT_EQ(call->output, OutputFormat::kJson);
  EXPECT_EQ(call->request.site_id(), 3);
  EXPECT_EQ(FromProtoTimestamp(call->request.from()),
            Env().now - absl::Hours(48));
  EXPECT_EQ(FromProtoTimestamp(call->request.to()),
            Env().now - absl::Hours(24));
}

TEST(BuildRollupCheckTest, UsageErrorsNameTheCommand) {
  const Environment env = Env();
  EXPECT_EQ(BuildVerifyRollups(Parse({"--from=-1h", "--to=now"}), env)
                .status()
                .message(),
            "--site is required");
  EXPECT_EQ(BuildVerifyRollups(Parse({"--site=7", "--to=now"}), env)
                .status()
                .message(),
            "--from is required");
  EXPECT_EQ(BuildRebuildRollups(Parse({"--site=7", "--from=-1h"}), env)
                .status()
                .message(),
            "--to is required");
  EXPECT_EQ(
      BuildRebuildRollups(Parse({"--site=7", "--from=1h", "--to=now"}), env)
          .status()
          .message(),
      "--from: '1h' is not a time: use RFC 3339 (2026-01-02T15:04:05Z), 'now' "
      "or a relative time such as -1h");
  EXPECT_EQ(BuildVerifyRollups(
                Parse({"--site=7", "--from=-1h", "--to=now", "--all"}), env)
                .status()
                .message(),
            "unknown flag --all for 'rollups verify'");
  EXPECT_EQ(BuildRebuildRollups(
                Parse({"--site=7", "--from=-1h", "--to=now", "--key=x"}), env)
                .status()
                .message(),
            "unknown flag --key for 'rollups rebuild'");
  EXPECT_EQ(
      BuildRebuildRollups(
          Parse({"--site=7", "--from=-1h", "--to=now", "--output=env"}), env)
          .status()
          .message(),
      "--output: 'env' is not one of text, json");
}

}  // namespace
}  // namespace analytics::cli
