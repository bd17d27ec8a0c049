// Traffic generators and the independent recount.
#include "tests/support/scenario.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace analytics::testing {

std::vector<ScenarioEvent> PricingFunnel(absl::Time first_hour, int visitors) {
  std::vector<ScenarioEvent> events;
  for (int i = 0; i < visitors; ++i) {
    const int half = i < visitors / 2 ? 0 : 1;
    // Spread over the first 50 minutes of their hour.
    const int slot = half == 0 ? i : i - visitors / 2;
    const absl::Duration spacing =
        absl::Seconds(3000) / std::max(1, (visitors + 1) / 2);
    const absl::Time start = first_hour + absl::Hours(half) + spacing * slot;
    const std::string visitor = absl::StrCat("visitor-", i);
    const std::string session = absl::StrCat("session-", i);
    auto add = [&](int n, v1::EventType type, std::string name,
                   std::string path) {
      ScenarioEvent e;
      e.event_id = absl::StrCat("funnel-", i, "-", n);
      e.type = type;
      e.name = std::move(name);
      e.at = start + absl::Seconds(n);
      e.visitor_id = visitor;
      e.session_id = session;
      e.path = std::move(path);
      if (type == v1::IDENTIFY) e.user_id = absl::StrCat("user-", i);
      events.push_back(std::move(e));
    };
    add(0, v1::IDENTIFY, "", "");
    add(1, v1::PAGEVIEW, "", "/");
    add(2, v1::TRACK, "plan_selected", "/");
    add(3, v1::PAGEVIEW, "", "/pricing");
    add(4, v1::TRACK, "plan_selected", "/pricing");
  }
  return events;
}

namespace {

// A referrer URL and the host the product must derive from it.
struct ReferrerCase {
  const char* url;
  const char* host;
};

constexpr ReferrerCase kReferrers[] = {
    {"", ""},
    {"", ""},
    {"", ""},
    {"https://www.Google.com/search?q=a", "google.com"},
    {"https://google.com/", "google.com"},
    {"http://news.ycombinator.com:8080/x", "news.ycombinator.com"},
    {"https://news.ycombinator.com/item?id=1", "news.ycombinator.com"},
    {"HTTPS://WWW.BING.COM", "bing.com"},
    {"https://t.co/AbC", "t.co"},
    {"android-app://com.slack", "com.slack"},
    {"https://Sub.Example.org:443/path#frag", "sub.example.org"},
    {"https://duckduckgo.com?q=x", "duckduckgo.com"},
    // No host: no referrer row.
    {"/internal/link", ""},
};

v1::PropertyValue StringValue(const std::string& s) {
  v1::PropertyValue v;
  v.set_string_value(s);
  return v;
}
v1::PropertyValue NumberValue(double d) {
  v1::PropertyValue v;
  v.set_number_value(d);
  return v;
}
v1::PropertyValue BoolValue(bool b) {
  v1::PropertyValue v;
  v.set_bool_value(b);
  return v;
}
v1::PropertyValue NullValue() {
  v1::PropertyValue v;
  v.set_null_value(true);
  return v;
}

}  // namespace

std::vector<ScenarioEvent> RandomTraffic(absl::Time start, absl::Duration span,
                                         int visitors,
                                         absl::Duration session_timeout,
                                         uint32_t seed) {
  // `rng` decides times, sessions and types exactly as earlier versions of
  // this generator did (same draws in the same order), so the shape of every
  // existing test's traffic is unchanged; `attr` draws the attributes.
  std::mt19937_64 rng(seed);
  std::mt19937_64 attr(seed ^ 0x5bd1e995u);
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(attr);
  };
  // An element of a table.
  auto one_of = [&](const auto& table) {
    return table[pick(0, std::size(table) - 1)];
  };
  auto chance = [&](int percent) { return pick(0, 99) < percent; };
  const int64_t span_us = absl::ToInt64Microseconds(span);
  const int64_t timeout_us = absl::ToInt64Microseconds(session_timeout);
  const char* kPaths[] = {"/", "/pricing", "/docs", "/blog/a", "/signup"};
  // Byte order differs from any collation here: upper case before lower
  // case, '_' between them, UTF-8 after ASCII.
  const char* kRarePaths[] = {"/Pricing",     "/docs/api", "/_drafts",
                              "/caf\xc3\xa9", "/a b",      "/blog/b",
                              "/Z",           "/pricing/"};
  const char* kNames[] = {"click", "click", "purchase", "download", "Share"};
  const char* kSources[] = {"",        "",       "newsletter", "twitter",
                            "Twitter", "google", "linkedin"};
  const char* kMediums[] = {"", "", "email", "social", "cpc"};
  const char* kCampaigns[] = {
      "", "", "", "spring", "Spring", "launch-2026", "black_friday"};
  const char* kDevices[] = {"", "desktop", "mobile", "tablet"};
  const char* kBrowsers[] = {"", "Chrome", "Firefox", "Safari", "Edge"};
  const char* kOses[] = {"", "Windows", "macOS", "iOS", "Android", "Linux"};
  const char* kCountries[] = {"", "DE", "US", "IN", "FR", "BR"};
  const char* kPlans[] = {"free",       "pro",      "team",
                          "Enterprise", "pro plus", "\xc3\xa9lite"};
  const double kSeats[] = {1, 2, 10, 2.5, 0.5, 100, -3};
  const double kAmounts[] = {9.5, 19, 100, 12.75};
  const char* kTargets[] = {"cta", "nav", "footer"};
  const char* kFiles[] = {"a.pdf", "b.zip"};
  std::vector<ScenarioEvent> events;
  int serial = 0;
  for (int v = 0; v < visitors; ++v) {
    const std::string visitor = absl::StrCat("rv-", v);
    const int sessions = static_cast<int>(uniform(1, 4));
    std::string session_id;
    absl::Time t = start + absl::Microseconds(uniform(0, span_us / 2));
    for (int s = 0; s < sessions; ++s) {
      // Every third follow-up session reuses the id: the gap must split it.
      if (s == 0 || uniform(0, 2) != 0) {
        session_id = absl::StrCat("rs-", v, "-", s);
      }
      // Acquisition and device facts vary by session and event, so the
      // first event's values must win regardless of arrival order.
      const int n = static_cast<int>(uniform(1, 6));
      for (int k = 0; k < n; ++k) {
        if (t >= start + span) break;
        ScenarioEvent e;
        e.event_id = absl::StrCat("r-", serial++);
        const int64_t roll = uniform(0, 9);
        e.type = roll < 6 ? v1::PAGEVIEW : roll < 9 ? v1::TRACK : v1::IDENTIFY;
        if (e.type == v1::TRACK) e.name = roll == 6 ? "signup" : one_of(kNames);
        if (e.type == v1::IDENTIFY) e.user_id = absl::StrCat("u-", v);
        // The draws the attributes once took, kept for the sequence.
        const int64_t path = uniform(0, 4);
        uniform(0, 3);
        uniform(0, 2);
        uniform(0, 2);
        uniform(0, 3);
        const int64_t path_roll = pick(0, 9);
        e.path = path_roll < 6   ? kPaths[path]
                 : path_roll < 8 ? one_of(kRarePaths)
                                 : absl::StrCat("/p/", pick(0, 119));
        const ReferrerCase& referrer = one_of(kReferrers);
        e.referrer = referrer.url;
        e.referrer_host = referrer.host;
        e.utm_source = one_of(kSources);
        e.utm_medium = one_of(kMediums);
        e.utm_campaign = one_of(kCampaigns);
        e.device = one_of(kDevices);
        e.browser = one_of(kBrowsers);
        e.os = one_of(kOses);
        e.country = one_of(kCountries);
        if (e.type == v1::TRACK) {
          auto& p = e.properties;
          if (e.name == "signup" || e.name == "purchase") {
            if (chance(80)) p["plan"] = StringValue(one_of(kPlans));
            if (chance(60)) p["seats"] = NumberValue(one_of(kSeats));
            if (chance(50)) p["annual"] = BoolValue(chance(50));
            if (e.name == "signup" && chance(20)) {
              p["coupon"] = chance(50) ? NullValue() : StringValue("SPRING");
            }
            if (e.name == "purchase" && chance(90)) {
              p["amount"] = NumberValue(one_of(kAmounts));
            }
          } else if (e.name == "click") {
            if (chance(70)) p["target"] = StringValue(one_of(kTargets));
            if (chance(20)) p["plan"] = StringValue(one_of(kPlans));
          } else if (chance(50)) {
            p["file"] = StringValue(one_of(kFiles));
          }
        }
        e.at = t;
        e.visitor_id = visitor;
        e.session_id = session_id;
        events.push_back(std::move(e));
        // Inside a session: 1 s .. 0.9 * timeout, so no split.
        t += absl::Microseconds(uniform(1'000'000, timeout_us * 9 / 10));
      }
      // Between sessions: clearly more than the timeout.
      t += absl::Microseconds(uniform(timeout_us * 11 / 10, timeout_us * 8));
    }
  }
  return events;
}

std::vector<ScenarioSession> Sessionize(
    const std::vector<ScenarioEvent>& events, absl::Duration session_timeout) {
  std::map<std::string, std::vector<const ScenarioEvent*>> by_session;
  for (const ScenarioEvent& e : events) by_session[e.session_id].push_back(&e);
  std::vector<ScenarioSession> sessions;
  for (auto& [id, list] : by_session) {
    std::stable_sort(list.begin(), list.end(),
                     [](const ScenarioEvent* a, const ScenarioEvent* b) {
                       return a->at < b->at;
                     });
    size_t i = 0;
    while (i < list.size()) {
      ScenarioSession session;
      session.events.push_back(list[i]);
      while (i + 1 < list.size() &&
             list[i + 1]->at - list[i]->at <= session_timeout) {
        session.events.push_back(list[++i]);
      }
      sessions.push_back(std::move(session));
      ++i;
    }
  }
  return sessions;
}

ExpectedOverview Recount(const std::vector<ScenarioEvent>& events,
                         absl::Time from, absl::Time to,
                         absl::Duration session_timeout) {
  ExpectedOverview out;
  std::set<std::string> visitors;
  for (const ScenarioEvent& e : events) {
    if (e.at < from || e.at >= to) continue;
    ++out.events;
    if (e.type == v1::PAGEVIEW) ++out.pageviews;
    visitors.insert(e.visitor_id);
  }
  out.visitors = static_cast<int64_t>(visitors.size());
  for (const ScenarioSession& session : Sessionize(events, session_timeout)) {
    const absl::Time started = session.events.front()->at;
    if (started < from || started >= to) continue;
    int pageviews = 0;
    for (const ScenarioEvent* e : session.events) {
      if (e->type == v1::PAGEVIEW) ++pageviews;
    }
    ++out.sessions;
    if (pageviews <= 1) ++out.bounces;
    out.duration_us +=
        absl::ToInt64Microseconds(session.events.back()->at - started);
  }
  return out;
}

int64_t MetricOf(const ExpectedBreakdownRow& row, v1::BreakdownMetric metric) {
  switch (metric) {
    case v1::BREAKDOWN_METRIC_EVENTS:
      return row.events;
    case v1::BREAKDOWN_METRIC_PAGEVIEWS:
      return row.pageviews;
    case v1::BREAKDOWN_METRIC_SESSIONS:
      return row.sessions;
    default:
      return row.visitors;
  }
}

namespace {

// The event's own value for an event dimension; empty: no row.
std::string EventKey(const ScenarioEvent& e, v1::Dimension dimension) {
  switch (dimension) {
    case v1::DIMENSION_PAGE:
      return e.type == v1::PAGEVIEW ? e.path : "";
    case v1::DIMENSION_EVENT:
      return e.type == v1::TRACK ? e.name : "";
    case v1::DIMENSION_REFERRER:
      return e.referrer_host;
    case v1::DIMENSION_UTM_SOURCE:
      return e.utm_source;
    case v1::DIMENSION_UTM_MEDIUM:
      return e.utm_medium;
    case v1::DIMENSION_UTM_CAMPAIGN:
      return e.utm_campaign;
    case v1::DIMENSION_DEVICE:
      return e.device;
    case v1::DIMENSION_BROWSER:
      return e.browser;
    case v1::DIMENSION_OS:
      return e.os;
    case v1::DIMENSION_COUNTRY:
      return e.country;
    default:
      ADD_FAILURE() << "not an event dimension: " << dimension;
      return "";
  }
}

// A row under construction: sessions are counted (entry / exit page) or
// their distinct ids collected (event dimensions).
struct DistinctCounter {
  int64_t events = 0;
  int64_t pageviews = 0;
  int64_t sessions = 0;
  std::set<std::string> visitor_ids;
  std::set<std::string> session_ids;
};

}  // namespace

std::vector<ExpectedBreakdownRow> RecountBreakdown(
    const std::vector<ScenarioEvent>& events, absl::Time from, absl::Time to,
    v1::Dimension dimension, v1::BreakdownMetric sort_by,
    absl::Duration session_timeout) {
  std::map<std::string, DistinctCounter> by_key;
  const bool by_sessions = dimension == v1::DIMENSION_ENTRY_PAGE ||
                           dimension == v1::DIMENSION_EXIT_PAGE;
  if (by_sessions) {
    for (const ScenarioSession& session : Sessionize(events, session_timeout)) {
      const absl::Time started = session.events.front()->at;
      if (started < from || started >= to) continue;
      const ScenarioEvent* first = nullptr;
      const ScenarioEvent* last = nullptr;
      int64_t pageviews = 0;
      for (const ScenarioEvent* e : session.events) {
        if (e->type != v1::PAGEVIEW) continue;
        ++pageviews;
        if (last != nullptr && last->at == e->at && last->path != e->path) {
          ADD_FAILURE() << "scenario: pageviews of session " << e->session_id
                        << " share the instant " << absl::FormatTime(e->at)
                        << "; entry / exit page would depend on event ids";
        }
        if (first == nullptr) first = e;
        last = e;
      }
      if (first == nullptr) continue;
      const ScenarioEvent* page =
          dimension == v1::DIMENSION_ENTRY_PAGE ? first : last;
      if (page->path.empty()) continue;
      DistinctCounter& c = by_key[page->path];
      ++c.sessions;
      c.events += static_cast<int64_t>(session.events.size());
      c.pageviews += pageviews;
      c.visitor_ids.insert(session.events.front()->visitor_id);
    }
  } else {
    for (const ScenarioEvent& e : events) {
      if (e.at < from || e.at >= to) continue;
      std::string key = EventKey(e, dimension);
      if (key.empty()) continue;
      DistinctCounter& c = by_key[std::move(key)];
      ++c.events;
      if (e.type == v1::PAGEVIEW) ++c.pageviews;
      c.visitor_ids.insert(e.visitor_id);
      c.session_ids.insert(e.session_id);
    }
  }
  std::vector<ExpectedBreakdownRow> rows;
  for (const auto& [key, c] : by_key) {
    ExpectedBreakdownRow row;
    row.key = key;
    row.events = c.events;
    row.pageviews = c.pageviews;
    row.visitors = static_cast<int64_t>(c.visitor_ids.size());
    row.sessions =
        by_sessions ? c.sessions : static_cast<int64_t>(c.session_ids.size());
    rows.push_back(std::move(row));
  }
  // std::string compares as unsigned bytes (char_traits<char>::lt).
  std::stable_sort(
      rows.begin(), rows.end(),
      [sort_by](const ExpectedBreakdownRow& a, const ExpectedBreakdownRow& b) {
        const int64_t x = MetricOf(a, sort_by);
        const int64_t y = MetricOf(b, sort_by);
        if (x != y) return x > y;
        return a.key < b.key;
      });
  return rows;
}

std::string PropertyText(const v1::PropertyValue& value) {
  switch (value.kind_case()) {
    case v1::PropertyValue::kStringValue:
      return value.string_value();
    case v1::PropertyValue::kBoolValue:
      return value.bool_value() ? "true" : "false";
    case v1::PropertyValue::kNullValue:
      return "null";
    case v1::PropertyValue::kNumberValue: {
      const double d = value.number_value();
      if (d == std::trunc(d) && std::abs(d) < 1e15) {
        return absl::StrCat(static_cast<int64_t>(d));
      }
      // "%.6g": exact for the short decimals the generators use.
      return absl::StrCat(d);
    }
    default:
      ADD_FAILURE() << "property value without a kind";
      return "";
  }
}

ExpectedPropertyBreakdown RecountPropertyBreakdown(
    const std::vector<ScenarioEvent>& events, absl::Time from, absl::Time to,
    const std::string& event_name, const std::string& property_key) {
  ExpectedPropertyBreakdown out;
  std::map<std::string, DistinctCounter> by_value;
  for (const ScenarioEvent& e : events) {
    if (e.at < from || e.at >= to) continue;
    if (e.type != v1::TRACK || e.name != event_name) continue;
    ++out.events;
    auto it = e.properties.find(property_key);
    if (it == e.properties.end()) continue;
    DistinctCounter& c = by_value[PropertyText(it->second)];
    ++c.events;
    c.visitor_ids.insert(e.visitor_id);
    c.session_ids.insert(e.session_id);
  }
  for (const auto& [value, c] : by_value) {
    out.rows.push_back(
        {.value = value,
         .events = c.events,
         .visitors = static_cast<int64_t>(c.visitor_ids.size()),
         .sessions = static_cast<int64_t>(c.session_ids.size())});
  }
  std::stable_sort(
      out.rows.begin(), out.rows.end(),
      [](const ExpectedPropertyRow& a, const ExpectedPropertyRow& b) {
        if (a.events != b.events) return a.events > b.events;
        return a.value < b.value;
      });
  return out;
}

bool DistinctCountAgrees(int64_t actual, int64_t expected) {
  if (expected <= kExactDistinctLimit) return actual == expected;
  return std::abs(static_cast<double>(actual - expected)) <=
         0.02 * static_cast<double>(expected);
}

void ExpectOverviewMatches(const ExpectedOverview& expected,
                           const v1::Overview& actual) {
  EXPECT_EQ(actual.events(), expected.events);
  EXPECT_EQ(actual.pageviews(), expected.pageviews);
  EXPECT_EQ(actual.sessions(), expected.sessions);
  EXPECT_TRUE(DistinctCountAgrees(actual.visitors(), expected.visitors))
      << "visitors " << actual.visitors() << ", expected " << expected.visitors
      << " (exact up to " << kExactDistinctLimit << ", else within 2%)";
  const double bounce_rate =
      expected.sessions == 0
          ? 0.0
          : static_cast<double>(expected.bounces) / expected.sessions;
  EXPECT_DOUBLE_EQ(actual.bounce_rate(), bounce_rate);
  const int64_t duration_us =
      expected.sessions == 0 ? 0 : expected.duration_us / expected.sessions;
  EXPECT_EQ(actual.average_session_duration().seconds() * 1000000 +
                actual.average_session_duration().nanos() / 1000,
            duration_us);
  EXPECT_EQ(actual.pending_events(), 0);
}

v1::Event ToProto(const ScenarioEvent& event) {
  v1::Event out;
  out.set_event_id(event.event_id);
  out.set_type(event.type);
  out.set_name(event.name);
  *out.mutable_occurred_at() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
          absl::ToUnixMicros(event.at));
  out.set_visitor_id(event.visitor_id);
  out.set_session_id(event.session_id);
  out.set_path(event.path);
  out.set_user_id(event.user_id);
  out.set_referrer(event.referrer);
  v1::Context& context = *out.mutable_context();
  context.set_utm_source(event.utm_source);
  context.set_utm_medium(event.utm_medium);
  context.set_utm_campaign(event.utm_campaign);
  context.set_device(event.device);
  context.set_browser(event.browser);
  context.set_os(event.os);
  context.set_country(event.country);
  for (const auto& [key, value] : event.properties) {
    (*out.mutable_properties())[key] = value;
  }
  return out;
}

std::vector<v1::IngestRequest> ToRequests(
    const std::vector<ScenarioEvent>& events, int batch_size) {
  std::vector<v1::IngestRequest> requests;
  for (size_t i = 0; i < events.size(); ++i) {
    if (i % batch_size == 0) requests.emplace_back();
    *requests.back().add_events() = ToProto(events[i]);
  }
  return requests;
}

}  // namespace analytics::testing
