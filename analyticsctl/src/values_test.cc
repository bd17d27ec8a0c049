// Flag value parsing: times, durations, ids, lists, types, intervals,
// breakdown limits, dimensions and metrics, tokens, properties and the exact
// proto time conversions.
#include "analyticsctl/src/values.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"

namespace analytics::cli {
namespace {

absl::Time At(const char* text) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, text, &t, &err)) << err;
  return t;
}

TEST(ParseTimeArgTest, NowRelativeAndRfc3339) {
  const absl::Time now = At("2026-03-01T12:00:00Z");
  EXPECT_EQ(*ParseTimeArg("now", now), now);
  EXPECT_EQ(*ParseTimeArg("-1h", now), At("2026-03-01T11:00:00Z"));
  EXPECT_EQ(*ParseTimeArg("-90s", now), At("2026-03-01T11:58:30Z"));
  EXPECT_EQ(*ParseTimeArg("+5m", now), At("2026-03-01T12:05:00Z"));
  EXPECT_EQ(*ParseTimeArg("2026-01-02T15:04:05.25+02:00", now),
            At("2026-01-02T13:04:05.25Z"));
}

TEST(ParseTimeArgTest, RejectsAmbiguousAndInfiniteTimes) {
  const absl::Time now = absl::UnixEpoch();
  for (const char* bad : {"", "1h", "yesterday", "2026-01-02", "-inf",
                          "infinite-future", "-1x", "2026-01-02T15:04:05"}) {
    EXPECT_EQ(ParseTimeArg(bad, now).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

// Found by tests/fuzz/cli_args_fuzz.cc (corpus/cli_args/time-overflow-*):
// a finite offset whose sum with `now` overflows used to come back as an
// infinite time, and ToProtoTimestamp then wrote nanos = -1.
TEST(ParseTimeArgTest, RejectsOffsetsThatOverflowTime) {
  const absl::Time now = At("2026-03-01T12:00:00Z");
  for (const char* bad : {"+9223372036854775807s", "+2562047788015215h"}) {
    EXPECT_EQ(ParseTimeArg(bad, now).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_EQ(ParseTimeArg("-9223372036854775807s", At("0001-01-01T00:00:00Z"))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  // The largest offsets that still fit are times like any other.
  EXPECT_TRUE(ParseTimeArg("-9223372036854775807s", now).ok());
}

TEST(ParsePositiveDurationTest, AcceptsOnlyFinitePositiveDurations) {
  EXPECT_EQ(*ParsePositiveDuration("timeout", "5s"), absl::Seconds(5));
  EXPECT_EQ(*ParsePositiveDuration("timeout", "1h30m"), absl::Minutes(90));
  for (const char* bad : {"0", "-1s", "inf", "5", "soon"}) {
    EXPECT_FALSE(ParsePositiveDuration("timeout", bad).ok()) << bad;
  }
}

TEST(ParseNonNegativeDurationTest, AcceptsZeroButNotNegativeOrInfinite) {
  EXPECT_EQ(*ParseNonNegativeDuration("grace", "0s"), absl::ZeroDuration());
  EXPECT_EQ(*ParseNonNegativeDuration("grace", "0"), absl::ZeroDuration());
  EXPECT_EQ(*ParseNonNegativeDuration("grace", "1h30m"), absl::Minutes(90));
  EXPECT_EQ(ParseNonNegativeDuration("grace", "-1h").status().message(),
            "--grace: '-1h' is not a duration of 0 or more such as 0s, 30m "
            "or 1h");
  for (const char* bad : {"", "inf", "5", "soon", "-0.5s"}) {
    EXPECT_FALSE(ParseNonNegativeDuration("grace", bad).ok()) << bad;
  }
}

TEST(ParseSiteIdTest, PositiveIntegersOnly) {
  EXPECT_EQ(*ParseSiteId("42"), 42);
  for (const char* bad : {"0", "-1", "x", "1.5", ""}) {
    EXPECT_FALSE(ParseSiteId(bad).ok()) << bad;
  }
}

TEST(ParseEventIdsTest, CommaSeparatedPositiveIntegers) {
  EXPECT_EQ(*ParseEventIds("ids", "1, 2,,30"),
            (std::vector<int64_t>{1, 2, 30}));
  EXPECT_EQ(*ParseEventIds("ids", "9223372036854775807"),
            (std::vector<int64_t>{INT64_MAX}));
  EXPECT_EQ(ParseEventIds("ids", "1,x").status().message(),
            "--ids: 'x' is not an event id (a positive integer)");
  EXPECT_EQ(ParseEventIds("ids", " , ").status().message(),
            "--ids lists no event ids (use e.g. 1,2,3)");
  for (const char* bad : {"", "0", "-1", "1.5", "9223372036854775808"}) {
    EXPECT_EQ(ParseEventIds("ids", bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(ParsePageSizeTest, OneToOneThousand) {
  EXPECT_EQ(*ParsePageSize("1"), 1);
  EXPECT_EQ(*ParsePageSize("1000"), 1000);
  EXPECT_EQ(ParsePageSize("1001").status().message(),
            "--page-size: '1001' is not a page size from 1 to 1000");
  for (const char* bad : {"0", "-5", "", "ten", "2.5", "99999999999"}) {
    EXPECT_FALSE(ParsePageSize(bad).ok()) << bad;
  }
}

TEST(ParseFailedEventStateTest, RetryingOrDeadInAnyCase) {
  EXPECT_EQ(*ParseFailedEventState("retrying"), v1::RETRYING);
  EXPECT_EQ(*ParseFailedEventState("DEAD"), v1::DEAD);
  EXPECT_EQ(ParseFailedEventState("failed").status().message(),
            "--state: 'failed' is not one of retrying, dead");
  EXPECT_FALSE(ParseFailedEventState("").ok());
  EXPECT_FALSE(ParseFailedEventState("unspecified").ok());
}

TEST(ParseIntervalTest, HourDayWeekMonthInAnyCase) {
  EXPECT_EQ(*ParseInterval("hour"), v1::HOUR);
  EXPECT_EQ(*ParseInterval("Day"), v1::DAY);
  EXPECT_EQ(*ParseInterval("WEEK"), v1::WEEK);
  EXPECT_EQ(*ParseInterval("month"), v1::MONTH);
  EXPECT_EQ(ParseInterval("1h").status().message(),
            "--interval: '1h' is not one of hour, day, week, month");
  for (const char* bad : {"", "year", "hours", "interval_unspecified", "1"}) {
    EXPECT_EQ(ParseInterval(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(ParseLimitTest, OneToOneThousand) {
  EXPECT_EQ(*ParseLimit("1"), 1);
  EXPECT_EQ(*ParseLimit("100"), 100);
  EXPECT_EQ(*ParseLimit("1000"), 1000);
  EXPECT_EQ(ParseLimit("1001").status().message(),
            "--limit: '1001' is not a limit from 1 to 1000");
  EXPECT_EQ(ParseLimit("0").status().message(),
            "--limit: '0' is not a limit from 1 to 1000");
  for (const char* bad : {"-5", "", "ten", "2.5", "99999999999", "1e3"}) {
    EXPECT_EQ(ParseLimit(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(ParseDimensionTest, EveryNameWithDashOrUnderscoreInAnyCase) {
  const std::pair<const char*, v1::Dimension> names[] = {
      {"page", v1::DIMENSION_PAGE},
      {"entry-page", v1::DIMENSION_ENTRY_PAGE},
      {"exit-page", v1::DIMENSION_EXIT_PAGE},
      {"referrer", v1::DIMENSION_REFERRER},
      {"utm-source", v1::DIMENSION_UTM_SOURCE},
      {"utm-medium", v1::DIMENSION_UTM_MEDIUM},
      {"utm-campaign", v1::DIMENSION_UTM_CAMPAIGN},
      {"event", v1::DIMENSION_EVENT},
      {"device", v1::DIMENSION_DEVICE},
      {"browser", v1::DIMENSION_BROWSER},
      {"os", v1::DIMENSION_OS},
      {"country", v1::DIMENSION_COUNTRY},
  };
  for (const auto& [name, dimension] : names) {
    EXPECT_EQ(*ParseDimension(name), dimension) << name;
    std::string underscore = name;
    std::replace(underscore.begin(), underscore.end(), '-', '_');
    EXPECT_EQ(*ParseDimension(underscore), dimension) << underscore;
    EXPECT_EQ(*ParseDimension(absl::AsciiStrToUpper(underscore)), dimension)
        << underscore;
  }
  EXPECT_EQ(*ParseDimension("Entry_Page"), v1::DIMENSION_ENTRY_PAGE);
  EXPECT_EQ(ParseDimension("path").status().message(),
            "--dimension: 'path' is not one of page, entry-page, exit-page, "
            "referrer, utm-source, utm-medium, utm-campaign, event, device, "
            "browser, os, country");
  for (const char* bad : {"", "pages", "utm", "utmsource", "dimension_page",
                          "unspecified", "1", " page"}) {
    EXPECT_EQ(ParseDimension(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(ParseBreakdownMetricTest, FourMetricsInAnyCase) {
  EXPECT_EQ(*ParseBreakdownMetric("visitors"), v1::BREAKDOWN_METRIC_VISITORS);
  EXPECT_EQ(*ParseBreakdownMetric("Events"), v1::BREAKDOWN_METRIC_EVENTS);
  EXPECT_EQ(*ParseBreakdownMetric("PAGEVIEWS"), v1::BREAKDOWN_METRIC_PAGEVIEWS);
  EXPECT_EQ(*ParseBreakdownMetric("sessions"), v1::BREAKDOWN_METRIC_SESSIONS);
  EXPECT_EQ(ParseBreakdownMetric("bounce_rate").status().message(),
            "--sort: 'bounce_rate' is not one of visitors, events, pageviews, "
            "sessions");
  for (const char* bad : {"", "visitor", "unspecified", "1"}) {
    EXPECT_EQ(ParseBreakdownMetric(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(SplitListTest, TrimsAndDropsEmpties) {
  EXPECT_EQ(
      SplitList(" https://a.example, ,https://b.example,"),
      (std::vector<std::string>{"https://a.example", "https://b.example"}));
  EXPECT_TRUE(SplitList("").empty());
}

TEST(ParseEventTypeTest, KnownTypesInAnyCase) {
  EXPECT_EQ(*ParseEventType("pageview"), v1::PAGEVIEW);
  EXPECT_EQ(*ParseEventType("TRACK"), v1::TRACK);
  EXPECT_EQ(*ParseEventType("Identify"), v1::IDENTIFY);
  EXPECT_FALSE(ParseEventType("click").ok());
  EXPECT_FALSE(ParseEventType("").ok());
}

TEST(CheckTokenTest, PrintableAsciiAndNeverEchoed) {
  EXPECT_TRUE(CheckToken("write key", "wk_AbC-_09").ok());
  EXPECT_FALSE(CheckToken("write key", "").ok());
  absl::Status s = CheckToken("write key", "wk_secret\n");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(std::string(s.message()).find("secret"), std::string::npos);
}

TEST(ParsePropertyValueTest, TypesValues) {
  EXPECT_EQ(*ParsePropertyValue("true"), PropertyValue(true));
  EXPECT_EQ(*ParsePropertyValue("false"), PropertyValue(false));
  EXPECT_EQ(*ParsePropertyValue("null"), PropertyValue(nullptr));
  EXPECT_EQ(*ParsePropertyValue("42"), PropertyValue(42.0));
  EXPECT_EQ(*ParsePropertyValue("-1.5e3"), PropertyValue(-1500.0));
  EXPECT_EQ(*ParsePropertyValue("0"), PropertyValue(0.0));
  EXPECT_EQ(*ParsePropertyValue("pro"), PropertyValue(std::string("pro")));
  EXPECT_EQ(*ParsePropertyValue(""), PropertyValue(std::string()));
  // Not JSON numbers: kept as typed.
  for (const char* text :
       {"007", "0x10", "1.", ".5", "+1", "1e", "inf", "NaN", "1 "}) {
    EXPECT_EQ(*ParsePropertyValue(text), PropertyValue(std::string(text)))
        << text;
  }
  EXPECT_EQ(*ParsePropertyValue("\"true\""),
            PropertyValue(std::string("true")));
  EXPECT_EQ(*ParsePropertyValue("\"\""), PropertyValue(std::string()));
  EXPECT_FALSE(ParsePropertyValue("1e999").ok());
}

TEST(AddPropertyTest, KeyValueListsAndErrors) {
  PropertyMap props;
  ASSERT_TRUE(AddPropertyList("plan=pro, seats=3,beta=true", &props).ok());
  ASSERT_TRUE(AddProperty("note=a,b=c", &props).ok());
  EXPECT_EQ(props.size(), 4u);
  EXPECT_EQ(props["plan"], PropertyValue(std::string("pro")));
  EXPECT_EQ(props["seats"], PropertyValue(3.0));
  EXPECT_EQ(props["beta"], PropertyValue(true));
  EXPECT_EQ(props["note"], PropertyValue(std::string("a,b=c")));

  EXPECT_FALSE(AddProperty("plan=free", &props).ok());  // given twice
  EXPECT_FALSE(AddProperty("novalue", &props).ok());
  EXPECT_FALSE(AddProperty("=x", &props).ok());
  EXPECT_FALSE(AddPropertyList("a=1,b", &props).ok());
}

TEST(ToProtoTest, PropertyValues) {
  EXPECT_TRUE(ToProto(PropertyValue(nullptr)).has_null_value());
  EXPECT_TRUE(ToProto(PropertyValue(true)).bool_value());
  EXPECT_EQ(ToProto(PropertyValue(2.5)).number_value(), 2.5);
  EXPECT_EQ(ToProto(PropertyValue(std::string("x"))).string_value(), "x");
}

TEST(ProtoTimeTest, ExactRoundTrips) {
  const absl::Time before_epoch = absl::UnixEpoch() - absl::Milliseconds(1500);
  google::protobuf::Timestamp ts = ToProtoTimestamp(before_epoch);
  EXPECT_EQ(ts.seconds(), -2);
  EXPECT_EQ(ts.nanos(), 500000000);
  EXPECT_EQ(FromProtoTimestamp(ts), before_epoch);
  const absl::Time t = At("2026-01-02T03:04:05.123456789Z");
  EXPECT_EQ(FromProtoTimestamp(ToProtoTimestamp(t)), t);

  google::protobuf::Duration d = ToProtoDuration(-absl::Milliseconds(1500));
  EXPECT_EQ(d.seconds(), -1);
  EXPECT_EQ(d.nanos(), -500000000);
  EXPECT_EQ(FromProtoDuration(d), -absl::Milliseconds(1500));
  EXPECT_EQ(FromProtoDuration(ToProtoDuration(absl::Minutes(30))),
            absl::Minutes(30));
}

}  // namespace
}  // namespace analytics::cli
