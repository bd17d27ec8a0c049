// Reduction: rollup contributions, session clustering and merging, order
// independence, visitor buckets and updates, fault injection, referrer hosts.
#include "reducer-service/src/reduction.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace analytics::reducer {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

absl::Time At(const std::string& text) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, text, &t, &err)) << err;
  return t;
}

// A time on 2026-01-01 given as "HH:MM" or "HH:MM:SS[.ffffff]".
absl::Time T(const std::string& clock) {
  return At(
      absl::StrCat("2026-01-01T", clock, clock.size() == 5 ? ":00" : "", "Z"));
}

std::string Clock(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*S", t, absl::UTCTimeZone());
}

const char* GranularityName(Granularity g) {
  return g == Granularity::kHour ? "hour" : "day";
}

const char* DimensionName(Dimension d) {
  switch (d) {
    case Dimension::kOverview:
      return "overview";
    case Dimension::kEvent:
      return "event";
    case Dimension::kPage:
      return "page";
    case Dimension::kReferrer:
      return "referrer";
    case Dimension::kUtmSource:
      return "utm_source";
    case Dimension::kUtmMedium:
      return "utm_medium";
    case Dimension::kUtmCampaign:
      return "utm_campaign";
    case Dimension::kDevice:
      return "device";
    case Dimension::kBrowser:
      return "browser";
    case Dimension::kOs:
      return "os";
    case Dimension::kCountry:
      return "country";
  }
  return "?";
}

// One line per rollup row, e.g.
// "hour overview '' 2026-01-01T10:00:00 ev=3 pv=2 vis=0 ses=1 bnc=0 dur=25m".
std::vector<std::string> Lines(const RollupDeltas& rollups) {
  std::vector<std::string> lines;
  for (const auto& [k, d] : rollups) {
    lines.push_back(absl::StrCat(
        k.site_id == 1 ? "" : absl::StrCat("site", k.site_id, " "),
        GranularityName(k.granularity), " ", DimensionName(k.dimension), " '",
        k.key, "' ", Clock(k.bucket_start), " ev=", d.events,
        " pv=", d.pageviews, " vis=", d.visitors, " ses=", d.sessions,
        " bnc=", d.bounces,
        " dur=", absl::FormatDuration(absl::Microseconds(d.duration_us))));
  }
  return lines;
}

std::string Describe(const Session& s) {
  return absl::StrCat(
      s.site_id, "/", s.session_id, " ", Clock(s.started_at), "..",
      Clock(s.last_seen_at), " ids=", s.first_event_id, "..", s.last_event_id,
      " visitor=", s.visitor_id, " pv=", s.pageviews, " ev=", s.events,
      " entry=", s.entry_path, "@", s.entry_at ? Clock(*s.entry_at) : "none",
      "#", s.entry_event_id, " exit=", s.exit_path, "@",
      s.exit_at ? Clock(*s.exit_at) : "none", "#", s.exit_event_id,
      " ref=", s.referrer, " utm=", s.utm_source, "/", s.utm_medium, "/",
      s.utm_campaign, " ctx=", s.device, "/", s.browser, "/", s.os, "/",
      s.country);
}

std::string Describe(const VisitorBucket& b) {
  return absl::StrCat(
      b.site_id == 1 ? "" : absl::StrCat("site", b.site_id, " "),
      GranularityName(b.granularity), " ", Clock(b.bucket_start), " ",
      b.visitor_id);
}

std::string Describe(const VisitorUpdate& v) {
  return absl::StrCat(v.site_id, "/", v.visitor_id, " ", Clock(v.first_seen_at),
                      "..", Clock(v.last_seen_at), " identified=",
                      v.identified_at ? Clock(*v.identified_at) : "none",
                      " user=", v.user_id, " traits=", v.traits_json);
}

// Everything a plan writes, as text; failed events sorted by id since they
// keep input order.
std::string Describe(const BatchPlan& plan) {
  std::vector<std::string> parts;
  parts.push_back(absl::StrJoin(Lines(plan.rollups), "\n"));
  for (const SessionKey& k : plan.session_deletes) {
    parts.push_back(absl::StrCat("delete ", k.site_id, "/", k.session_id, " ",
                                 Clock(k.started_at)));
  }
  for (const Session& s : plan.session_upserts) {
    parts.push_back(absl::StrCat("upsert ", Describe(s)));
  }
  for (const VisitorBucket& b : plan.visitor_buckets) {
    parts.push_back(absl::StrCat("bucket ", Describe(b)));
  }
  for (const VisitorUpdate& v : plan.visitors) {
    parts.push_back(absl::StrCat("visitor ", Describe(v)));
  }
  std::vector<FailedEvent> failed = plan.failed;
  std::sort(failed.begin(), failed.end(),
            [](const FailedEvent& a, const FailedEvent& b) {
              return std::tie(a.site_id, a.event_id) <
                     std::tie(b.site_id, b.event_id);
            });
  for (const FailedEvent& f : failed) {
    parts.push_back(
        absl::StrCat("failed ", f.site_id, "/", f.event_id, " ", f.error));
  }
  return absl::StrJoin(parts, "\n");
}

std::vector<std::string> Describe(const std::vector<Session>& sessions) {
  std::vector<std::string> out;
  for (const Session& s : sessions) out.push_back(Describe(s));
  return out;
}

ReducerEvent Event(int64_t id, int type, const std::string& clock,
                   const std::string& session = "s1",
                   const std::string& visitor = "v1") {
  ReducerEvent e;
  e.site_id = 1;
  e.id = id;
  e.type = type;
  e.occurred_at = T(clock);
  e.visitor_id = visitor;
  e.session_id = session;
  return e;
}

ReducerEvent Pageview(int64_t id, const std::string& clock,
                      const std::string& path,
                      const std::string& session = "s1") {
  ReducerEvent e = Event(id, kPageview, clock, session);
  e.path = path;
  return e;
}

ReducerEvent Track(int64_t id, const std::string& clock,
                   const std::string& name, const std::string& session = "s1") {
  ReducerEvent e = Event(id, kTrack, clock, session);
  e.name = name;
  return e;
}

// A stored session "s1" of visitor v1 made of pageviews of "/old" between
// `from` and `to`.
Session Stored(const std::string& from, const std::string& to, int pageviews,
               int64_t first_id, int64_t last_id) {
  Session s;
  s.site_id = 1;
  s.session_id = "s1";
  s.visitor_id = "v1";
  s.started_at = T(from);
  s.last_seen_at = T(to);
  s.first_event_id = first_id;
  s.last_event_id = last_id;
  s.pageviews = pageviews;
  s.events = pageviews;
  s.entry_path = s.exit_path = "/old";
  s.entry_at = T(from);
  s.entry_event_id = first_id;
  s.exit_at = T(to);
  s.exit_event_id = last_id;
  return s;
}

// --- rollup contributions ---

TEST(PlanBatchTest, SmallBatchContributesEventsPagesAndOneSession) {
  ReducerEvent landing = Pageview(1, "10:05", "/");
  landing.referrer = "https://www.google.com/search?q=x";
  landing.utm_source = "news";
  std::vector<ReducerEvent> events = {landing, Track(2, "10:10", "signup"),
                                      Pageview(3, "10:30", "/pricing")};

  BatchPlan plan = PlanBatch(events, {});

  EXPECT_THAT(
      Lines(plan.rollups),
      UnorderedElementsAre(
          "hour overview '' 2026-01-01T10:00:00 ev=3 pv=2 vis=0 ses=1 bnc=0 "
          "dur=25m",
          "day overview '' 2026-01-01T00:00:00 ev=3 pv=2 vis=0 ses=1 bnc=0 "
          "dur=25m",
          "hour event 'signup' 2026-01-01T10:00:00 ev=1 pv=0 vis=0 ses=0 bnc=0 "
          "dur=0",
          "day event 'signup' 2026-01-01T00:00:00 ev=1 pv=0 vis=0 ses=0 bnc=0 "
          "dur=0",
          "hour page '/' 2026-01-01T10:00:00 ev=1 pv=1 vis=0 ses=0 bnc=0 dur=0",
          "day page '/' 2026-01-01T00:00:00 ev=1 pv=1 vis=0 ses=0 bnc=0 dur=0",
          "hour page '/pricing' 2026-01-01T10:00:00 ev=1 pv=1 vis=0 ses=0 "
          "bnc=0 dur=0",
          "day page '/pricing' 2026-01-01T00:00:00 ev=1 pv=1 vis=0 ses=0 bnc=0 "
          "dur=0",
          "hour referrer 'google.com' 2026-01-01T10:00:00 ev=1 pv=1 vis=0 "
          "ses=1 bnc=0 dur=25m",
          "day referrer 'google.com' 2026-01-01T00:00:00 ev=1 pv=1 vis=0 ses=1 "
          "bnc=0 dur=25m",
          "hour utm_source 'news' 2026-01-01T10:00:00 ev=1 pv=1 vis=0 ses=1 "
          "bnc=0 dur=25m",
          "day utm_source 'news' 2026-01-01T00:00:00 ev=1 pv=1 vis=0 ses=1 "
          "bnc=0 dur=25m"));
  EXPECT_THAT(plan.session_deletes, IsEmpty());
  EXPECT_THAT(plan.failed, IsEmpty());
}

TEST(PlanBatchTest, SessionRowTakesEntryExitAndAttributionFromItsEvents) {
  ReducerEvent landing = Pageview(1, "10:05", "/");
  landing.referrer = "https://www.google.com/search?q=x";
  landing.utm_source = "news";
  landing.device = "mobile";
  ReducerEvent later = Pageview(3, "10:30", "/pricing");
  later.referrer = "https://other.example/";
  later.utm_source = "ignored";

  BatchPlan plan = PlanBatch({landing, Track(2, "10:10", "signup"), later}, {});

  EXPECT_THAT(Describe(plan.session_upserts),
              ElementsAre("1/s1 2026-01-01T10:05:00..2026-01-01T10:30:00 "
                          "ids=1..3 visitor=v1 pv=2 ev=3 "
                          "entry=/@2026-01-01T10:05:00#1 "
                          "exit=/pricing@2026-01-01T10:30:00#3 "
                          "ref=google.com utm=news// ctx=mobile///"));
}

TEST(PlanBatchTest, SinglePageviewSessionIsABounce) {
  BatchPlan plan = PlanBatch({Pageview(1, "10:05", "/")}, {});
  EXPECT_THAT(
      Lines(plan.rollups),
      UnorderedElementsAre(
          "hour overview '' 2026-01-01T10:00:00 ev=1 pv=1 vis=0 ses=1 bnc=1 "
          "dur=0",
          "day overview '' 2026-01-01T00:00:00 ev=1 pv=1 vis=0 ses=1 bnc=1 "
          "dur=0",
          "hour page '/' 2026-01-01T10:00:00 ev=1 pv=1 vis=0 ses=0 bnc=0 dur=0",
          "day page '/' 2026-01-01T00:00:00 ev=1 pv=1 vis=0 ses=0 bnc=0 "
          "dur=0"));
}

TEST(PlanBatchTest, SessionWithoutPageviewsHasNoEntryAndCountsAsBounce) {
  BatchPlan plan =
      PlanBatch({Track(1, "10:00", "a"), Track(2, "10:20", "b")}, {});
  ASSERT_THAT(plan.session_upserts, SizeIs(1));
  const Session& s = plan.session_upserts[0];
  EXPECT_EQ(s.pageviews, 0);
  EXPECT_EQ(s.events, 2);
  EXPECT_FALSE(s.entry_at.has_value());
  EXPECT_FALSE(s.exit_at.has_value());
  EXPECT_TRUE(s.bounced());
  EXPECT_EQ(s.duration(), absl::Minutes(20));
}

TEST(PlanBatchTest, SessionCountsInItsStartBucketEventsInTheirOwn) {
  BatchPlan plan =
      PlanBatch({Pageview(1, "10:50", "/a"), Pageview(2, "11:10", "/b")}, {});
  EXPECT_THAT(
      Lines(plan.rollups),
      UnorderedElementsAre(
          "hour overview '' 2026-01-01T10:00:00 ev=1 pv=1 vis=0 ses=1 bnc=0 "
          "dur=20m",
          "hour overview '' 2026-01-01T11:00:00 ev=1 pv=1 vis=0 ses=0 bnc=0 "
          "dur=0",
          "day overview '' 2026-01-01T00:00:00 ev=2 pv=2 vis=0 ses=1 bnc=0 "
          "dur=20m",
          "hour page '/a' 2026-01-01T10:00:00 ev=1 pv=1 vis=0 ses=0 bnc=0 "
          "dur=0",
          "day page '/a' 2026-01-01T00:00:00 ev=1 pv=1 vis=0 ses=0 bnc=0 dur=0",
          "hour page '/b' 2026-01-01T11:00:00 ev=1 pv=1 vis=0 ses=0 bnc=0 "
          "dur=0",
          "day page '/b' 2026-01-01T00:00:00 ev=1 pv=1 vis=0 ses=0 bnc=0 "
          "dur=0"));
}

TEST(PlanBatchTest, UtmMediumAndCampaignAreDimensions) {
  ReducerEvent e = Track(1, "10:00", "x");
  e.utm_medium = "email";
  e.utm_campaign = "spring";
  BatchPlan plan = PlanBatch({e}, {});
  const RollupKey medium{1, Granularity::kHour, Dimension::kUtmMedium, "email",
                         T("10:00")};
  const RollupKey campaign{1, Granularity::kDay, Dimension::kUtmCampaign,
                           "spring", At("2026-01-01T00:00:00Z")};
  ASSERT_EQ(plan.rollups.count(medium), 1u);
  ASSERT_EQ(plan.rollups.count(campaign), 1u);
  EXPECT_EQ(plan.rollups.at(medium).events, 1);
  EXPECT_EQ(plan.rollups.at(medium).sessions, 1);
  EXPECT_EQ(plan.rollups.at(campaign).events, 1);
  EXPECT_EQ(plan.rollups.at(campaign).sessions, 1);
}

TEST(PlanBatchTest, EmptyBatchPlansNothing) {
  BatchPlan plan = PlanBatch({}, {Stored("10:00", "10:00", 1, 1, 1)});
  EXPECT_EQ(Describe(plan), "");
}

// --- session gap clustering ---

TEST(PlanBatchTest, GapOfExactlyTheTimeoutStaysInTheSession) {
  BatchPlan plan =
      PlanBatch({Pageview(1, "10:00", "/"), Pageview(2, "10:30", "/")}, {});
  ASSERT_THAT(plan.session_upserts, SizeIs(1));
  EXPECT_EQ(plan.session_upserts[0].events, 2);
  EXPECT_EQ(plan.session_upserts[0].last_seen_at, T("10:30"));
}

TEST(PlanBatchTest, GapLongerThanTheTimeoutStartsANewSession) {
  BatchPlan plan =
      PlanBatch({Pageview(1, "10:00", "/"), Pageview(2, "10:30", "/"),
                 Pageview(3, "11:00:00.000001", "/")},
                {});
  ASSERT_THAT(plan.session_upserts, SizeIs(2));
  EXPECT_EQ(plan.session_upserts[0].started_at, T("10:00"));
  EXPECT_EQ(plan.session_upserts[0].last_seen_at, T("10:30"));
  EXPECT_EQ(plan.session_upserts[0].events, 2);
  EXPECT_EQ(plan.session_upserts[1].started_at, T("11:00:00.000001"));
  EXPECT_EQ(plan.session_upserts[1].events, 1);
  EXPECT_EQ(
      plan.rollups
          .at({1, Granularity::kHour, Dimension::kOverview, "", T("11:00")})
          .sessions,
      1);
}

TEST(PlanBatchTest, UsesTheEventsSessionTimeout) {
  ReducerEvent a = Pageview(1, "10:00", "/");
  ReducerEvent b = Pageview(2, "10:11", "/");
  a.session_timeout = b.session_timeout = absl::Minutes(10);
  EXPECT_THAT(PlanBatch({a, b}, {}).session_upserts, SizeIs(2));
  a.session_timeout = b.session_timeout = absl::Minutes(11);
  EXPECT_THAT(PlanBatch({a, b}, {}).session_upserts, SizeIs(1));
}

TEST(PlanBatchTest, DifferentSessionIdsNeverMerge) {
  BatchPlan plan = PlanBatch(
      {Pageview(1, "10:00", "/", "s1"), Pageview(2, "10:01", "/", "s2")}, {});
  ASSERT_THAT(plan.session_upserts, SizeIs(2));
  EXPECT_EQ(plan.session_upserts[0].session_id, "s1");
  EXPECT_EQ(plan.session_upserts[1].session_id, "s2");
}

// --- merging with stored sessions ---

TEST(PlanBatchTest, LaterEventWithdrawsTheBounceOfAStoredSession) {
  BatchPlan plan = PlanBatch({Pageview(5, "10:10", "/b")},
                             {Stored("10:00", "10:00", 1, 1, 1)});

  EXPECT_THAT(plan.session_deletes, IsEmpty());  // same key: upserted over
  EXPECT_THAT(Describe(plan.session_upserts),
              ElementsAre("1/s1 2026-01-01T10:00:00..2026-01-01T10:10:00 "
                          "ids=1..5 visitor=v1 pv=2 ev=2 "
                          "entry=/old@2026-01-01T10:00:00#1 "
                          "exit=/b@2026-01-01T10:10:00#5 ref= utm=// ctx=///"));
  EXPECT_THAT(Lines(plan.rollups),
              UnorderedElementsAre("hour overview '' 2026-01-01T10:00:00 ev=1 "
                                   "pv=1 vis=0 ses=0 bnc=-1 dur=10m",
                                   "day overview '' 2026-01-01T00:00:00 ev=1 "
                                   "pv=1 vis=0 ses=0 bnc=-1 dur=10m",
                                   "hour page '/b' 2026-01-01T10:00:00 ev=1 "
                                   "pv=1 vis=0 ses=0 bnc=0 dur=0",
                                   "day page '/b' 2026-01-01T00:00:00 ev=1 "
                                   "pv=1 vis=0 ses=0 bnc=0 dur=0"));
}

TEST(PlanBatchTest, EarlierEventMovesAStoredSessionToAnEarlierBucket) {
  BatchPlan plan = PlanBatch({Pageview(5, "10:50", "/new")},
                             {Stored("11:05", "11:10", 2, 1, 2)});

  ASSERT_THAT(plan.session_deletes, SizeIs(1));
  EXPECT_EQ(plan.session_deletes[0].session_id, "s1");
  EXPECT_EQ(plan.session_deletes[0].started_at, T("11:05"));
  ASSERT_THAT(plan.session_upserts, SizeIs(1));
  EXPECT_EQ(plan.session_upserts[0].started_at, T("10:50"));
  EXPECT_EQ(plan.session_upserts[0].entry_path, "/new");
  EXPECT_EQ(plan.session_upserts[0].exit_path, "/old");
  EXPECT_EQ(plan.session_upserts[0].pageviews, 3);
  EXPECT_THAT(Lines(plan.rollups),
              UnorderedElementsAre("hour overview '' 2026-01-01T10:00:00 ev=1 "
                                   "pv=1 vis=0 ses=1 bnc=0 dur=20m",
                                   "hour overview '' 2026-01-01T11:00:00 ev=0 "
                                   "pv=0 vis=0 ses=-1 bnc=0 dur=-5m",
                                   "day overview '' 2026-01-01T00:00:00 ev=1 "
                                   "pv=1 vis=0 ses=0 bnc=0 dur=15m",
                                   "hour page '/new' 2026-01-01T10:00:00 ev=1 "
                                   "pv=1 vis=0 ses=0 bnc=0 dur=0",
                                   "day page '/new' 2026-01-01T00:00:00 ev=1 "
                                   "pv=1 vis=0 ses=0 bnc=0 dur=0"));
}

TEST(PlanBatchTest, EventBridgingTwoStoredSessionsMergesThem) {
  Session a = Stored("10:00", "10:00", 1, 1, 1);
  Session b = Stored("10:50", "10:50", 1, 2, 2);
  BatchPlan plan = PlanBatch({Pageview(3, "10:25", "/mid")}, {a, b});

  ASSERT_THAT(plan.session_deletes, SizeIs(1));
  EXPECT_EQ(plan.session_deletes[0].started_at, T("10:50"));
  ASSERT_THAT(plan.session_upserts, SizeIs(1));
  EXPECT_EQ(plan.session_upserts[0].started_at, T("10:00"));
  EXPECT_EQ(plan.session_upserts[0].last_seen_at, T("10:50"));
  EXPECT_EQ(plan.session_upserts[0].pageviews, 3);
  // Before: 2 sessions, 2 bounces, 0s. After: 1 session, 0 bounces, 50m.
  const RollupDelta& hour = plan.rollups.at(
      {1, Granularity::kHour, Dimension::kOverview, "", T("10:00")});
  EXPECT_EQ(hour.sessions, -1);
  EXPECT_EQ(hour.bounces, -2);
  EXPECT_EQ(hour.duration_us, absl::ToInt64Microseconds(absl::Minutes(50)));
  EXPECT_EQ(hour.events, 1);
}

TEST(PlanBatchTest, CorrectionsNeverTakeStoredTotalsBelowZero) {
  // Stored totals are what the stored sessions contributed; adding the plan's
  // deltas must give the contribution of the merged session, never less than 0.
  Session a = Stored("10:00", "10:00", 1, 1, 1);
  Session b = Stored("10:40", "10:45", 1, 2, 2);
  BatchPlan plan =
      PlanBatch({Track(3, "10:20", "t"), Pageview(4, "09:55", "/x")}, {a, b});
  const RollupKey key{1, Granularity::kHour, Dimension::kOverview, "",
                      T("10:00")};
  const RollupKey earlier{1, Granularity::kHour, Dimension::kOverview, "",
                          T("09:00")};
  const RollupDelta& d = plan.rollups.at(key);
  EXPECT_EQ(2 + d.sessions, 0);  // the session now starts at 09:55
  EXPECT_EQ(2 + d.bounces, 0);
  EXPECT_EQ(absl::ToInt64Microseconds(absl::Minutes(5)) + d.duration_us, 0);
  const RollupDelta& e = plan.rollups.at(earlier);
  EXPECT_EQ(e.sessions, 1);
  EXPECT_EQ(e.bounces, 0);
  EXPECT_EQ(e.duration_us, absl::ToInt64Microseconds(absl::Minutes(50)));
}

TEST(PlanBatchTest, StoredSessionOutOfReachIsLeftAlone) {
  BatchPlan plan = PlanBatch({Pageview(5, "12:00", "/")},
                             {Stored("10:00", "10:10", 2, 1, 2)});
  EXPECT_THAT(plan.session_deletes, IsEmpty());
  ASSERT_THAT(plan.session_upserts, SizeIs(1));
  EXPECT_EQ(plan.session_upserts[0].started_at, T("12:00"));
  EXPECT_EQ(plan.rollups.count(
                {1, Granularity::kHour, Dimension::kOverview, "", T("10:00")}),
            0u);
}

TEST(PlanBatchTest, StoredSessionOfAnotherSessionIdIsIgnored) {
  Session other = Stored("10:00", "10:00", 1, 1, 1);
  other.session_id = "s2";
  BatchPlan plan = PlanBatch({Pageview(5, "10:05", "/")}, {other});
  EXPECT_THAT(plan.session_deletes, IsEmpty());
  ASSERT_THAT(plan.session_upserts, SizeIs(1));
  EXPECT_EQ(plan.session_upserts[0].session_id, "s1");
  EXPECT_EQ(plan.session_upserts[0].events, 1);
}

// --- order independence ---

std::vector<ReducerEvent> MixedEvents() {
  std::vector<ReducerEvent> events;
  ReducerEvent landing = Pageview(1, "09:58", "/", "s1");
  landing.referrer = "https://news.example/a";
  landing.utm_campaign = "launch";
  events.push_back(landing);
  events.push_back(Track(2, "10:05", "signup", "s1"));
  events.push_back(Pageview(3, "10:05", "/pricing", "s1"));  // same time as 2
  events.push_back(Pageview(4, "10:40", "/docs", "s1"));
  events.push_back(Pageview(5, "11:30", "/", "s1"));  // new session
  ReducerEvent id1 = Event(6, kIdentify, "10:06", "s1");
  id1.user_id = "u-early";
  id1.properties_json = R"({"plan":"free"})";
  events.push_back(id1);
  ReducerEvent id2 = Event(7, kIdentify, "10:41", "s1");
  id2.user_id = "u-late";
  id2.properties_json = R"({"plan":"pro"})";
  events.push_back(id2);
  ReducerEvent other = Pageview(8, "10:10", "/", "s2");
  other.visitor_id = "v2";
  other.referrer = "http://www.search.example:8080/?q=1";
  events.push_back(other);
  ReducerEvent other2 = Track(9, "10:12", "click", "s2");
  other2.visitor_id = "v2";
  events.push_back(other2);
  ReducerEvent site2 = Pageview(10, "10:00", "/", "s1");
  site2.site_id = 2;
  events.push_back(site2);
  return events;
}

std::vector<Session> MixedStored() {
  Session s = Stored("09:30", "09:40", 2, 100, 101);  // joins s1 via 09:58
  Session far = Stored("08:00", "08:10", 1, 90, 90);  // untouched
  return {s, far};
}

TEST(PlanBatchTest, ArrivalOrderDoesNotChangeThePlan) {
  const std::vector<ReducerEvent> events = MixedEvents();
  const std::vector<Session> stored = MixedStored();
  const std::string expected = Describe(PlanBatch(events, stored));
  ASSERT_NE(expected, "");

  std::mt19937 random(20260101);
  for (int round = 0; round < 50; ++round) {
    std::vector<ReducerEvent> shuffled = events;
    std::vector<Session> shuffled_stored = stored;
    std::shuffle(shuffled.begin(), shuffled.end(), random);
    std::shuffle(shuffled_stored.begin(), shuffled_stored.end(), random);
    EXPECT_EQ(Describe(PlanBatch(shuffled, shuffled_stored)), expected)
        << "round " << round;
  }
}

TEST(PlanBatchTest, ReversedOrderGivesTheSamePlan) {
  std::vector<ReducerEvent> events = MixedEvents();
  const std::string expected = Describe(PlanBatch(events, MixedStored()));
  std::reverse(events.begin(), events.end());
  EXPECT_EQ(Describe(PlanBatch(events, MixedStored())), expected);
}

TEST(PlanBatchTest, BatchSplitAcrossPassesGivesTheSameSessions) {
  // Reducing a batch in two passes (the first pass's sessions stored) gives
  // the same final sessions as reducing it at once.
  std::vector<ReducerEvent> events = MixedEvents();
  std::erase_if(events, [](const ReducerEvent& e) {
    return e.site_id != 1 || e.session_id != "s1";
  });
  const BatchPlan at_once = PlanBatch(events, {});

  std::vector<ReducerEvent> first, second;
  for (size_t i = 0; i < events.size(); ++i) {
    (i % 2 == 0 ? first : second).push_back(events[i]);
  }
  const BatchPlan pass1 = PlanBatch(first, {});
  const BatchPlan pass2 = PlanBatch(second, pass1.session_upserts);

  std::vector<Session> final_sessions;
  for (const Session& s : pass1.session_upserts) {
    bool deleted = std::any_of(
        pass2.session_deletes.begin(), pass2.session_deletes.end(),
        [&](const SessionKey& k) { return k.started_at == s.started_at; });
    bool replaced = std::any_of(
        pass2.session_upserts.begin(), pass2.session_upserts.end(),
        [&](const Session& u) { return u.started_at == s.started_at; });
    if (!deleted && !replaced) final_sessions.push_back(s);
  }
  for (const Session& s : pass2.session_upserts) final_sessions.push_back(s);
  std::sort(final_sessions.begin(), final_sessions.end(),
            [](const Session& a, const Session& b) {
              return a.started_at < b.started_at;
            });
  EXPECT_EQ(Describe(final_sessions), Describe(at_once.session_upserts));
}

// --- visitors ---

TEST(PlanBatchTest, VisitorBucketsAreSortedAndUnique) {
  ReducerEvent v2 = Pageview(3, "10:20", "/");
  v2.visitor_id = "v2";
  v2.session_id = "s2";
  BatchPlan plan =
      PlanBatch({Pageview(1, "11:10", "/"), v2, Pageview(2, "10:15", "/"),
                 Pageview(4, "10:16", "/")},
                {});
  std::vector<std::string> buckets;
  for (const VisitorBucket& b : plan.visitor_buckets)
    buckets.push_back(Describe(b));
  EXPECT_THAT(
      buckets,
      ElementsAre("hour 2026-01-01T10:00:00 v1", "hour 2026-01-01T10:00:00 v2",
                  "hour 2026-01-01T11:00:00 v1", "day 2026-01-01T00:00:00 v1",
                  "day 2026-01-01T00:00:00 v2"));
}

TEST(PlanBatchTest, VisitorUpdateSpansTheBatchAndKeepsTheLatestIdentify) {
  ReducerEvent early = Event(2, kIdentify, "10:10");
  early.user_id = "u-early";
  early.properties_json = R"({"a":1})";
  ReducerEvent late = Event(3, kIdentify, "10:20");
  late.user_id = "u-late";
  late.properties_json = R"({"a":2})";
  // Same time as `late` but a smaller id: `late` still wins.
  ReducerEvent tie = Event(1, kIdentify, "10:20");
  tie.user_id = "u-tie";

  BatchPlan plan = PlanBatch(
      {late, Pageview(4, "10:30", "/"), early, tie, Pageview(5, "10:05", "/")},
      {});

  ASSERT_THAT(plan.visitors, SizeIs(1));
  EXPECT_EQ(Describe(plan.visitors[0]),
            "1/v1 2026-01-01T10:05:00..2026-01-01T10:30:00 "
            "identified=2026-01-01T10:20:00 user=u-late traits={\"a\":2}");
}

TEST(PlanBatchTest, VisitorWithoutIdentifyHasNoUserOrTraits) {
  BatchPlan plan = PlanBatch({Pageview(1, "10:05", "/")}, {});
  ASSERT_THAT(plan.visitors, SizeIs(1));
  EXPECT_FALSE(plan.visitors[0].identified_at.has_value());
  EXPECT_EQ(plan.visitors[0].user_id, "");
  EXPECT_EQ(plan.visitors[0].traits_json, "{}");
}

TEST(PlanBatchTest, VisitorsAreKeptApartBySite) {
  ReducerEvent other_site = Pageview(2, "10:05", "/");
  other_site.site_id = 2;
  BatchPlan plan = PlanBatch({Pageview(1, "10:05", "/"), other_site}, {});
  ASSERT_THAT(plan.visitors, SizeIs(2));
  EXPECT_EQ(plan.visitors[0].site_id, 1);
  EXPECT_EQ(plan.visitors[1].site_id, 2);
  EXPECT_THAT(plan.visitor_buckets, SizeIs(4));
}

TEST(AddFreshVisitorsTest, AddsOneOverviewVisitorPerFreshBucket) {
  RollupDeltas rollups;
  const RollupKey hour{1, Granularity::kHour, Dimension::kOverview, "",
                       T("10:00")};
  rollups[hour].events = 2;
  AddFreshVisitors({{1, Granularity::kHour, T("10:00"), "v1"},
                    {1, Granularity::kHour, T("10:00"), "v2"},
                    {1, Granularity::kDay, At("2026-01-01T00:00:00Z"), "v1"}},
                   &rollups);
  EXPECT_THAT(Lines(rollups),
              ElementsAre("hour overview '' 2026-01-01T10:00:00 ev=2 pv=0 "
                          "vis=2 ses=0 bnc=0 dur=0",
                          "day overview '' 2026-01-01T00:00:00 ev=0 pv=0 vis=1 "
                          "ses=0 bnc=0 dur=0"));
}

TEST(AddFreshVisitorsTest, NoFreshBucketsChangeNothing) {
  RollupDeltas rollups;
  AddFreshVisitors({}, &rollups);
  EXPECT_THAT(rollups, IsEmpty());
}

// --- fault injection ---

TEST(PlanBatchTest, FaultInjectionFailsExactlyTheNamedTrackEvent) {
  ReducerEvent pageview_named_boom = Pageview(1, "10:00", "/");
  pageview_named_boom.name = "boom";
  PlanOptions options;
  options.fail_event_name = "boom";

  BatchPlan plan = PlanBatch(
      {pageview_named_boom, Track(2, "10:01", "boom"), Track(3, "10:02", "ok")},
      {}, options);

  ASSERT_THAT(plan.failed, SizeIs(1));
  EXPECT_EQ(plan.failed[0].site_id, 1);
  EXPECT_EQ(plan.failed[0].event_id, 2);
  EXPECT_EQ(plan.failed[0].error,
            "fault injection: event name 'boom' is set to fail");
  EXPECT_EQ(plan.rollups.count(
                {1, Granularity::kHour, Dimension::kEvent, "boom", T("10:00")}),
            0u);
  EXPECT_EQ(
      plan.rollups
          .at({1, Granularity::kHour, Dimension::kOverview, "", T("10:00")})
          .events,
      2);
  ASSERT_THAT(plan.session_upserts, SizeIs(1));
  EXPECT_EQ(plan.session_upserts[0].events, 2);
  EXPECT_EQ(plan.session_upserts[0].last_event_id, 3);
}

TEST(PlanBatchTest, NoFaultInjectionWhenNameIsEmpty) {
  BatchPlan plan = PlanBatch({Track(1, "10:00", "")}, {});
  EXPECT_THAT(plan.failed, IsEmpty());
  EXPECT_THAT(plan.session_upserts, SizeIs(1));
}

// --- ReferrerHost ---

struct ReferrerCase {
  const char* referrer;
  const char* host;
};

void PrintTo(const ReferrerCase& c, std::ostream* os) {
  *os << "'" << c.referrer << "' -> '" << c.host << "'";
}

class ReferrerHostTest : public ::testing::TestWithParam<ReferrerCase> {};

TEST_P(ReferrerHostTest, ExtractsHost) {
  EXPECT_EQ(ReferrerHost(GetParam().referrer), GetParam().host);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ReferrerHostTest,
    ::testing::Values(
        ReferrerCase{"", ""},
        ReferrerCase{"https://example.com", "example.com"},
        ReferrerCase{"https://example.com/path?q=1#f", "example.com"},
        ReferrerCase{"https://www.Google.COM/search?q=x", "google.com"},
        ReferrerCase{"HTTP://WWW.EXAMPLE.ORG/", "example.org"},
        ReferrerCase{"http://example.com:8080/x", "example.com"},
        ReferrerCase{"https://user:pw@example.com:443/", "example.com"},
        ReferrerCase{"https://example.com?q=1", "example.com"},
        ReferrerCase{"https://example.com#top", "example.com"},
        ReferrerCase{"//cdn.example.com/lib.js", "cdn.example.com"},
        ReferrerCase{"android-app://com.google.android.gm/",
                     "com.google.android.gm"},
        ReferrerCase{"https://wwwexample.com/", "wwwexample.com"},
        ReferrerCase{"https://sub.www.example.com/", "sub.www.example.com"},
        ReferrerCase{"https://[::1]/", "[::1]"},
        ReferrerCase{"https://[::1]:8443/", "[::1]"},
        ReferrerCase{"https:///path", ""}, ReferrerCase{"not a url", ""},
        ReferrerCase{"/relative/path", ""},
        ReferrerCase{"/go?to=https://evil.example/", ""},
        ReferrerCase{"example.com/path", ""}));

}  // namespace
}  // namespace analytics::reducer
