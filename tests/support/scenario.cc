// Traffic generators and the independent recount.
#include "tests/support/scenario.h"

#include <algorithm>
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

std::vector<ScenarioEvent> RandomTraffic(absl::Time start, absl::Duration span,
                                         int visitors,
                                         absl::Duration session_timeout,
                                         uint32_t seed) {
  std::mt19937_64 rng(seed);
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  const int64_t span_us = absl::ToInt64Microseconds(span);
  const int64_t timeout_us = absl::ToInt64Microseconds(session_timeout);
  const char* kPaths[] = {"/", "/pricing", "/docs", "/blog/a", "/signup"};
  const char* kReferrers[] = {"", "https://www.google.com/search?q=x",
                              "https://news.ycombinator.com/item?id=1",
                              "android-app://com.slack"};
  const char* kSources[] = {"", "newsletter", "twitter"};
  const char* kDevices[] = {"desktop", "mobile", "tablet"};
  const char* kCountries[] = {"DE", "US", "IN", ""};
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
        if (e.type == v1::TRACK) e.name = roll == 6 ? "signup" : "click";
        if (e.type == v1::IDENTIFY) e.user_id = absl::StrCat("u-", v);
        e.path = kPaths[uniform(0, 4)];
        e.referrer = kReferrers[uniform(0, 3)];
        e.utm_source = kSources[uniform(0, 2)];
        e.device = kDevices[uniform(0, 2)];
        e.country = kCountries[uniform(0, 3)];
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

ExpectedOverview Recount(const std::vector<ScenarioEvent>& events,
                         absl::Time from, absl::Time to,
                         absl::Duration session_timeout) {
  ExpectedOverview out;
  std::set<std::string> visitors;
  std::map<std::string, std::vector<const ScenarioEvent*>> by_session;
  for (const ScenarioEvent& e : events) {
    by_session[e.session_id].push_back(&e);
    if (e.at < from || e.at >= to) continue;
    ++out.events;
    if (e.type == v1::PAGEVIEW) ++out.pageviews;
    visitors.insert(e.visitor_id);
  }
  out.visitors = static_cast<int64_t>(visitors.size());
  for (auto& [id, list] : by_session) {
    std::sort(list.begin(), list.end(),
              [](const ScenarioEvent* a, const ScenarioEvent* b) {
                return a->at < b->at;
              });
    size_t i = 0;
    while (i < list.size()) {
      size_t j = i;
      int pageviews = list[i]->type == v1::PAGEVIEW ? 1 : 0;
      while (j + 1 < list.size() &&
             list[j + 1]->at - list[j]->at <= session_timeout) {
        ++j;
        if (list[j]->type == v1::PAGEVIEW) ++pageviews;
      }
      const absl::Time started = list[i]->at;
      if (started >= from && started < to) {
        ++out.sessions;
        if (pageviews <= 1) ++out.bounces;
        out.duration_us += absl::ToInt64Microseconds(list[j]->at - started);
      }
      i = j + 1;
    }
  }
  return out;
}

void ExpectOverviewMatches(const ExpectedOverview& expected,
                           const v1::Overview& actual) {
  EXPECT_EQ(actual.events(), expected.events);
  EXPECT_EQ(actual.pageviews(), expected.pageviews);
  EXPECT_EQ(actual.sessions(), expected.sessions);
  EXPECT_EQ(actual.visitors(), expected.visitors);
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
  out.mutable_context()->set_utm_source(event.utm_source);
  out.mutable_context()->set_device(event.device);
  out.mutable_context()->set_country(event.country);
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
