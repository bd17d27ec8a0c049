// QueryService.ListEvents/ListSessions/ListVisitors through the real services
// and a real PostgreSQL: paging with small pages returns exactly the rows the
// tables hold, once each and newest first, while new data arrives between
// pages (newer rows stay out of the run, older late rows come in, and rows
// whose sort key moves behave as documented); ranges against a brute-force
// filter of the tables; tokens and keys misused; the caller's deadline.
#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/time/pg_time.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "tests/support/scenario.h"
#include "tests/support/stack.h"

namespace analytics::testing {
namespace {

using google::protobuf::util::TimeUtil;

constexpr absl::Duration kSessionTimeout = absl::Minutes(30);

// A row's sort key: (time in epoch microseconds, tie-breaker). Events use
// the decimal event id only for display; their order is (time, id).
using EventKey = std::pair<int64_t, int64_t>;
using TextKey = std::pair<int64_t, std::string>;

int64_t Micros(const google::protobuf::Timestamp& ts) {
  return TimeUtil::TimestampToMicroseconds(ts);
}

google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

template <typename Request, typename Response>
using ListMethod = grpc::Status (v1::QueryService::Stub::*)(
    grpc::ClientContext*, const Request&, Response*);

template <typename Key>
std::vector<Key> NewestFirst(std::vector<Key> keys) {
  std::sort(keys.begin(), keys.end(), std::greater<>());
  return keys;
}

template <typename Key>
std::string Show(const std::vector<Key>& keys) {
  std::string out;
  for (const Key& k : keys)
    absl::StrAppend(&out, "(", k.first, ",", k.second, ") ");
  return out;
}

class ActivityListTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ServiceStack>> stack = ServiceStack::Start();
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = std::move(*stack);
    absl::StatusOr<v1::CreateSiteResponse> site = stack_->CreateSite("shop");
    ASSERT_TRUE(site.ok()) << site.status();
    site_ = *site;
    start_ = FloorHour(absl::Now()) - absl::Hours(48);
  }

  int64_t site_id() const { return site_.site().site_id(); }

  void Ingest(const std::vector<v1::IngestRequest>& requests,
              const std::string& write_key = "") {
    for (const auto& request : requests) {
      v1::IngestResponse response;
      grpc::Status status =
          stack_->Ingest(write_key.empty() ? site_.write_key() : write_key,
                         request, &response);
      ASSERT_TRUE(status.ok()) << status.error_message();
      ASSERT_EQ(response.accepted(), request.events_size());
      ASSERT_EQ(response.rejected_size(), 0) << response.rejected(0).reason();
    }
  }
  void Ingest(const std::vector<ScenarioEvent>& events) {
    Ingest(ToRequests(events, 50));
  }

  void Drain() {
    absl::StatusOr<int> reduced = stack_->Drain();
    ASSERT_TRUE(reduced.ok()) << reduced.status();
  }

  // A single pageview.
  static ScenarioEvent Pageview(const std::string& id,
                                const std::string& visitor,
                                const std::string& session, absl::Time at) {
    ScenarioEvent e;
    e.event_id = id;
    e.at = at;
    e.visitor_id = visitor;
    e.session_id = session;
    e.path = "/" + id;
    return e;
  }

  // The generated traffic, plus a dozen events, sessions and visitors that
  // share one instant, so small pages split ties between rows.
  std::vector<ScenarioEvent> Traffic(int visitors, uint32_t seed) {
    std::vector<ScenarioEvent> events =
        RandomTraffic(start_, absl::Hours(40), visitors, kSessionTimeout, seed);
    const absl::Time tie = start_ + absl::Hours(20) + absl::Microseconds(7);
    for (int i = 0; i < 12; ++i) {
      events.push_back(Pageview(absl::StrCat("tie-", i), absl::StrCat("tv-", i),
                                absl::StrCat("ts-", i), tie));
    }
    std::shuffle(events.begin(), events.end(), std::mt19937(seed));
    return events;
  }

  // Every page of a listing; `between(page, response)` runs after each page
  // that has a next one. Checks the page sizes on the way.
  template <typename Request, typename Response>
  std::vector<Response> PageThrough(
      ListMethod<Request, Response> method, Request request,
      const std::function<void(int, const Response&)>& between = {},
      const std::string& key = "") {
    std::vector<Response> pages;
    const int page_size = request.page_size() == 0 ? 50 : request.page_size();
    for (int page = 0; page < 10000; ++page) {
      Response response;
      auto context = AuthorizedContext(key.empty() ? site_.read_key() : key);
      grpc::Status status =
          (stack_->query().*method)(context.get(), request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) return pages;
      pages.push_back(response);
      const int rows = RowCount(response);
      if (response.next_page_token().empty()) {
        EXPECT_LE(rows, page_size);
        return pages;
      }
      EXPECT_EQ(rows, page_size) << "page " << page;
      if (between) between(page, response);
      request.set_page_token(response.next_page_token());
    }
    ADD_FAILURE() << "the listing does not end";
    return pages;
  }

  static int RowCount(const v1::ListEventsResponse& r) {
    return r.events_size();
  }
  static int RowCount(const v1::ListSessionsResponse& r) {
    return r.sessions_size();
  }
  static int RowCount(const v1::ListVisitorsResponse& r) {
    return r.visitors_size();
  }

  static std::vector<EventKey> Keys(
      const std::vector<v1::ListEventsResponse>& pages) {
    std::vector<EventKey> keys;
    for (const auto& page : pages) {
      for (const auto& e : page.events()) {
        keys.emplace_back(Micros(e.occurred_at()), e.event_id());
      }
    }
    return keys;
  }
  static std::vector<TextKey> Keys(
      const std::vector<v1::ListSessionsResponse>& pages) {
    std::vector<TextKey> keys;
    for (const auto& page : pages) {
      for (const auto& s : page.sessions()) {
        keys.emplace_back(Micros(s.started_at()), s.session_id());
      }
    }
    return keys;
  }
  static std::vector<TextKey> Keys(
      const std::vector<v1::ListVisitorsResponse>& pages) {
    std::vector<TextKey> keys;
    for (const auto& page : pages) {
      for (const auto& v : page.visitors()) {
        keys.emplace_back(Micros(v.last_seen_at()), v.visitor_id());
      }
    }
    return keys;
  }

  // Straight from the tables, in no particular order.
  std::vector<EventKey> StoredEvents(int64_t site) {
    std::vector<EventKey> keys;
    for (const auto& row : stack_->db().Query(
             "SELECT (extract(epoch FROM occurred_at) * 1000000)::bigint, id "
             "FROM events WHERE site_id = $1 AND NOT bot",
             site)) {
      keys.emplace_back(row[0].as<int64_t>(), row[1].as<int64_t>());
    }
    return keys;
  }
  std::vector<TextKey> StoredSessions(int64_t site) {
    std::vector<TextKey> keys;
    for (const auto& row : stack_->db().Query(
             "SELECT (extract(epoch FROM started_at) * 1000000)::bigint, "
             "session_id FROM sessions WHERE site_id = $1",
             site)) {
      keys.emplace_back(row[0].as<int64_t>(), row[1].as<std::string>());
    }
    return keys;
  }
  std::vector<TextKey> StoredVisitors(int64_t site) {
    std::vector<TextKey> keys;
    for (const auto& row : stack_->db().Query(
             "SELECT (extract(epoch FROM last_seen_at) * 1000000)::bigint, "
             "visitor_id FROM visitors WHERE site_id = $1",
             site)) {
      keys.emplace_back(row[0].as<int64_t>(), row[1].as<std::string>());
    }
    return keys;
  }
  // The server id of the event a client id names.
  int64_t EventId(const std::string& client_event_id) {
    return stack_->db().QueryInt(
        "SELECT id FROM events WHERE site_id = $1 AND client_event_id = $2",
        site_id(), client_event_id);
  }

  std::unique_ptr<ServiceStack> stack_;
  v1::CreateSiteResponse site_;
  absl::Time start_;
};

template <typename Request>
Request ListRequest(int64_t site_id, int page_size) {
  Request request;
  request.set_site_id(site_id);
  request.set_page_size(page_size);
  return request;
}

TEST_F(ActivityListTest, EventsPageThroughEveryStoredEventOnceWhileNewArrive) {
  std::vector<ScenarioEvent> events = Traffic(30, 7);
  // Properties of every kind travel back as ingested.
  ScenarioEvent tagged = Pageview("tagged", "tv-0", "ts-0", start_);
  v1::IngestRequest tagged_request;
  *tagged_request.add_events() = ToProto(tagged);
  {
    v1::Event& e = *tagged_request.mutable_events(0);
    e.set_type(v1::TRACK);
    e.set_name("signup");
    e.set_title("Sign up");
    e.set_referrer("https://example.com/a?b=c");
    (*e.mutable_properties())["plan"].set_string_value("pro \"x\" \xc3\xa9");
    (*e.mutable_properties())["seats"].set_number_value(0.1 + 0.2);
    (*e.mutable_properties())["big"].set_number_value(1e21);
    (*e.mutable_properties())["trial"].set_bool_value(false);
    (*e.mutable_properties())["coupon"].set_null_value(true);
    e.mutable_context()->set_source("web");
    e.mutable_context()->set_utm_medium("email");
    e.mutable_context()->set_utm_campaign("spring");
    e.mutable_context()->set_user_agent(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36");
  }
  // Bot events are stored but never listed.
  v1::IngestRequest bots;
  bots.mutable_context()->set_user_agent(
      "Mozilla/5.0 (compatible; Googlebot/2.1; "
      "+http://www.google.com/bot.html)");
  for (int i = 0; i < 5; ++i) {
    *bots.add_events() = ToProto(Pageview(absl::StrCat("bot-", i), "bot", "bot",
                                          start_ + absl::Hours(i)));
  }
  // Half reduced, half still queued: both are listed.
  const size_t half = events.size() / 2;
  Ingest(std::vector<ScenarioEvent>(events.begin(), events.begin() + half));
  Drain();
  Ingest(std::vector<ScenarioEvent>(events.begin() + half, events.end()));
  Ingest({tagged_request, bots});
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_EQ(
      stack_->db().QueryInt(
          "SELECT count(*) FROM events WHERE site_id = $1 AND bot", site_id()),
      5);
  ASSERT_GT(
      stack_->db().QueryInt(
          "SELECT count(*) FROM event_queue WHERE site_id = $1", site_id()),
      100);

  const std::vector<EventKey> before = NewestFirst(StoredEvents(site_id()));
  ASSERT_EQ(before.size(), events.size() + 1);
  // Client ids of events stored during the run below / above the cursor of
  // the page after which they were stored.
  std::vector<std::string> late_below, late_above;
  auto between = [&](int page, const v1::ListEventsResponse& response) {
    const v1::EventRow& last = response.events(response.events_size() - 1);
    const absl::Time cursor = absl::FromUnixMicros(Micros(last.occurred_at()));
    std::vector<ScenarioEvent> late;
    auto add = [&](absl::Time at, std::vector<std::string>* into) {
      const std::string id =
          absl::StrCat("late-", late_below.size() + late_above.size());
      late.push_back(Pageview(id, "lv", "ls", at));
      into->push_back(id);
    };
    // Newer than everything, and just above the cursor: not in this run.
    if (page % 3 == 0) add(absl::Now(), &late_above);
    add(cursor + absl::Microseconds(1), &late_above);
    // At the cursor's instant: sorts above it (its id is larger).
    add(cursor, &late_above);
    // Just below the cursor, and older than everything: in this run.
    add(cursor - absl::Microseconds(1), &late_below);
    if (page % 4 == 1) add(start_ - absl::Hours(page + 1), &late_below);
    Ingest(late);
  };
  const std::vector<v1::ListEventsResponse> pages = PageThrough(
      &v1::QueryService::Stub::ListEvents,
      ListRequest<v1::ListEventsRequest>(site_id(), 7),
      std::function<void(int, const v1::ListEventsResponse&)>(between));
  ASSERT_FALSE(HasFailure());
  ASSERT_GT(pages.size(), 20u);

  // Exactly the events present at the start plus those stored below the
  // cursor, newest first, each once.
  std::set<int64_t> below_ids;
  for (const std::string& id : late_below) below_ids.insert(EventId(id));
  std::vector<EventKey> expected = before;
  for (const EventKey& k : StoredEvents(site_id())) {
    if (below_ids.count(k.second) > 0) expected.push_back(k);
  }
  expected = NewestFirst(expected);
  const std::vector<EventKey> listed = Keys(pages);
  EXPECT_EQ(listed, expected)
      << "listed:   " << Show(listed) << "\nexpected: " << Show(expected);
  EXPECT_EQ(StoredEvents(site_id()).size(),
            before.size() + late_below.size() + late_above.size());

  // The fields of one event, and no bots.
  const v1::EventRow* found = nullptr;
  for (const auto& page : pages) {
    for (const auto& e : page.events()) {
      EXPECT_FALSE(absl::StartsWith(e.client_event_id(), "bot-"));
      if (e.client_event_id() == "tagged") found = &e;
    }
  }
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->event_id(), EventId("tagged"));
  EXPECT_EQ(found->type(), v1::TRACK);
  EXPECT_EQ(found->name(), "signup");
  EXPECT_EQ(Micros(found->occurred_at()), absl::ToUnixMicros(start_));
  EXPECT_GT(Micros(found->received_at()), absl::ToUnixMicros(start_));
  EXPECT_EQ(found->visitor_id(), "tv-0");
  EXPECT_EQ(found->session_id(), "ts-0");
  EXPECT_EQ(found->path(), "/tagged");
  EXPECT_EQ(found->title(), "Sign up");
  EXPECT_EQ(found->referrer(), "https://example.com/a?b=c");
  EXPECT_EQ(found->source(), "web");
  EXPECT_EQ(found->utm_medium(), "email");
  EXPECT_EQ(found->utm_campaign(), "spring");
  EXPECT_EQ(found->device(), "desktop");
  EXPECT_EQ(found->browser(), "Chrome");
  EXPECT_EQ(found->os(), "Windows");
  ASSERT_EQ(found->properties_size(), 5);
  EXPECT_EQ(found->properties().at("plan").string_value(),
            "pro \"x\" \xc3\xa9");
  EXPECT_EQ(found->properties().at("seats").number_value(), 0.1 + 0.2);
  EXPECT_EQ(found->properties().at("big").number_value(), 1e21);
  EXPECT_EQ(found->properties().at("trial").kind_case(),
            v1::PropertyValue::kBoolValue);
  EXPECT_FALSE(found->properties().at("trial").bool_value());
  EXPECT_EQ(found->properties().at("coupon").kind_case(),
            v1::PropertyValue::kNullValue);

  // A scenario event: the client's id and its context.
  const ScenarioEvent& sample = events.front();
  bool sample_found = false;
  for (const auto& page : pages) {
    for (const auto& e : page.events()) {
      if (e.client_event_id() != sample.event_id) continue;
      sample_found = true;
      EXPECT_EQ(e.type(), sample.type);
      EXPECT_EQ(e.visitor_id(), sample.visitor_id);
      EXPECT_EQ(e.user_id(), sample.user_id);
      EXPECT_EQ(e.device(), sample.device);
      EXPECT_EQ(e.country(), sample.country);
      EXPECT_EQ(e.utm_source(), sample.utm_source);
      EXPECT_TRUE(e.properties().empty());
    }
  }
  EXPECT_TRUE(sample_found);
}

TEST_F(ActivityListTest, EventsDefaultPageSizeAndLimits) {
  Ingest(Traffic(25, 3));
  ASSERT_FALSE(HasFatalFailure());
  const size_t stored = StoredEvents(site_id()).size();
  ASSERT_GT(stored, 50u);
  // page_size 0 means 50; 1000 is allowed and here holds everything.
  std::vector<v1::ListEventsResponse> pages =
      PageThrough(&v1::QueryService::Stub::ListEvents,
                  ListRequest<v1::ListEventsRequest>(site_id(), 0));
  ASSERT_GT(pages.size(), 1u);
  EXPECT_EQ(pages[0].events_size(), 50);
  EXPECT_EQ(Keys(pages), NewestFirst(StoredEvents(site_id())));
  pages = PageThrough(&v1::QueryService::Stub::ListEvents,
                      ListRequest<v1::ListEventsRequest>(site_id(), 1000));
  ASSERT_EQ(pages.size(), 1u);
  EXPECT_EQ(static_cast<size_t>(pages[0].events_size()), stored);
  EXPECT_TRUE(pages[0].next_page_token().empty());
  // A page that ends exactly at the last row has no next token.
  pages = PageThrough(
      &v1::QueryService::Stub::ListEvents,
      ListRequest<v1::ListEventsRequest>(site_id(), static_cast<int>(stored)));
  ASSERT_EQ(pages.size(), 1u);
  for (int bad : {-1, 1001}) {
    v1::ListEventsResponse response;
    auto context = AuthorizedContext(site_.read_key());
    grpc::Status status = stack_->query().ListEvents(
        context.get(), ListRequest<v1::ListEventsRequest>(site_id(), bad),
        &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_TRUE(absl::StartsWith(status.error_message(), "page_size: "))
        << status.error_message();
  }
}

TEST_F(ActivityListTest, SessionsPageThroughTheTableOnceWhileNewArrive) {
  Ingest(Traffic(40, 11));
  ASSERT_FALSE(HasFatalFailure());
  Drain();
  const std::vector<TextKey> before = NewestFirst(StoredSessions(site_id()));
  ASSERT_GT(before.size(), 60u);

  // After page 1: a new session newer than all (not in this run), one older
  // than all (in it), a session already returned and one not yet reached
  // grow at their end (start unchanged: each still listed once).
  const std::string grown_late = before.back().second;
  std::string grown_early;
  int grown_late_events = 0;
  auto between = [&](int page, const v1::ListSessionsResponse& response) {
    if (page != 0) return;
    grown_early = response.sessions(0).session_id();
    const auto row = stack_->db().Query(
        "SELECT visitor_id, (extract(epoch FROM last_seen_at) * 1000000)::"
        "bigint, events FROM sessions WHERE site_id = $1 AND session_id = $2 "
        "AND (extract(epoch FROM started_at) * 1000000)::bigint = $3",
        site_id(), grown_late, before.back().first);
    ASSERT_EQ(row.size(), 1u);
    grown_late_events = row[0][2].as<int>();
    std::vector<ScenarioEvent> late = {
        Pageview("new-top", "nv-top", "ns-top", absl::Now()),
        Pageview("new-old", "nv-old", "ns-old", start_ - absl::Hours(5)),
        Pageview(
            "grow-early", response.sessions(0).visitor_id(), grown_early,
            absl::FromUnixMicros(Micros(response.sessions(0).last_seen_at())) +
                absl::Seconds(1)),
        Pageview(
            "grow-late", row[0][0].as<std::string>(), grown_late,
            absl::FromUnixMicros(row[0][1].as<int64_t>()) + absl::Seconds(1))};
    Ingest(late);
    Drain();
  };
  const std::vector<v1::ListSessionsResponse> pages = PageThrough(
      &v1::QueryService::Stub::ListSessions,
      ListRequest<v1::ListSessionsRequest>(site_id(), 7),
      std::function<void(int, const v1::ListSessionsResponse&)>(between));
  ASSERT_FALSE(HasFailure());

  std::vector<TextKey> expected = before;
  for (const TextKey& k : StoredSessions(site_id())) {
    if (k.second == "ns-old") expected.push_back(k);
  }
  ASSERT_EQ(expected.size(), before.size() + 1);
  expected = NewestFirst(expected);
  EXPECT_EQ(Keys(pages), expected)
      << "listed:   " << Show(Keys(pages)) << "\nexpected: " << Show(expected);

  // Every row as the table holds it now (the run read the grown session not
  // yet reached after it grew).
  std::map<TextKey, const v1::SessionRow*> listed;
  for (const auto& page : pages) {
    for (const auto& s : page.sessions()) {
      listed[{Micros(s.started_at()), s.session_id()}] = &s;
    }
  }
  int checked = 0;
  for (const auto& row : stack_->db().Query(
           "SELECT session_id, (extract(epoch FROM started_at) * 1000000)::"
           "bigint, (extract(epoch FROM last_seen_at) * 1000000)::bigint, "
           "visitor_id, pageviews, events, entry_path, exit_path, referrer, "
           "utm_source, device, country FROM sessions WHERE site_id = $1",
           site_id())) {
    const std::string id = row[0].as<std::string>();
    auto it = listed.find({row[1].as<int64_t>(), id});
    if (id == "ns-top") {
      EXPECT_EQ(it, listed.end());
      continue;
    }
    ASSERT_NE(it, listed.end()) << id;
    const v1::SessionRow& s = *it->second;
    SCOPED_TRACE(id);
    if (id == grown_early) {
      // Returned before it grew.
      EXPECT_EQ(Micros(s.last_seen_at()) + 1000000, row[2].as<int64_t>());
      EXPECT_EQ(s.events() + 1, row[5].as<int>());
      continue;
    }
    if (id == grown_late) {
      EXPECT_EQ(s.events(), grown_late_events + 1);
    }
    EXPECT_EQ(Micros(s.last_seen_at()), row[2].as<int64_t>());
    EXPECT_EQ(TimeUtil::DurationToMicroseconds(s.duration()),
              row[2].as<int64_t>() - row[1].as<int64_t>());
    EXPECT_EQ(s.visitor_id(), row[3].as<std::string>());
    EXPECT_EQ(s.pageviews(), row[4].as<int>());
    EXPECT_EQ(s.bounced(), row[4].as<int>() <= 1);
    EXPECT_EQ(s.events(), row[5].as<int>());
    EXPECT_EQ(s.entry_path(), row[6].as<std::string>());
    EXPECT_EQ(s.exit_path(), row[7].as<std::string>());
    EXPECT_EQ(s.referrer(), row[8].as<std::string>());
    EXPECT_EQ(s.utm_source(), row[9].as<std::string>());
    EXPECT_EQ(s.device(), row[10].as<std::string>());
    EXPECT_EQ(s.country(), row[11].as<std::string>());
    ++checked;
  }
  EXPECT_EQ(checked + 1, static_cast<int>(listed.size()));
}

TEST_F(ActivityListTest, VisitorsPageThroughTheTableOnceWhileNewArrive) {
  std::vector<ScenarioEvent> events = Traffic(45, 5);
  ScenarioEvent identify = Pageview("identify", "iv", "is", start_);
  identify.type = v1::IDENTIFY;
  identify.user_id = "user-iv";
  v1::IngestRequest identify_request;
  *identify_request.add_events() = ToProto(identify);
  (*identify_request.mutable_events(0)->mutable_properties())["plan"]
      .set_string_value("pro");
  Ingest(events);
  Ingest({identify_request});
  ASSERT_FALSE(HasFatalFailure());
  Drain();
  const std::vector<TextKey> before = NewestFirst(StoredVisitors(site_id()));
  ASSERT_GT(before.size(), 50u);

  // After page 1: a new visitor newer than all (not in this run) and one
  // older than all (in it); a visitor not reached yet is seen again and
  // moves to the top (skipped by this run); one already returned is seen
  // again (not returned twice).
  const std::string moved = before[before.size() - 2].second;
  std::string seen_again;
  auto between = [&](int page, const v1::ListVisitorsResponse& response) {
    if (page != 0) return;
    seen_again = response.visitors(0).visitor_id();
    Ingest(std::vector<ScenarioEvent>{
        Pageview("new-top", "nv-top", "ns-top", absl::Now()),
        Pageview("new-old", "nv-old", "ns-old", start_ - absl::Hours(5)),
        Pageview("moved", moved, "moved", absl::Now()),
        Pageview("seen-again", seen_again, "seen-again", absl::Now())});
    Drain();
  };
  const std::vector<v1::ListVisitorsResponse> pages = PageThrough(
      &v1::QueryService::Stub::ListVisitors,
      ListRequest<v1::ListVisitorsRequest>(site_id(), 7),
      std::function<void(int, const v1::ListVisitorsResponse&)>(between));
  ASSERT_FALSE(HasFailure());

  std::vector<TextKey> expected;
  for (const TextKey& k : before) {
    if (k.second != moved) expected.push_back(k);
  }
  for (const TextKey& k : StoredVisitors(site_id())) {
    if (k.second == "nv-old") expected.push_back(k);
  }
  ASSERT_EQ(expected.size(), before.size());
  expected = NewestFirst(expected);
  EXPECT_EQ(Keys(pages), expected)
      << "listed:   " << Show(Keys(pages)) << "\nexpected: " << Show(expected);

  // A new run starts with the visitors seen last.
  const std::vector<v1::ListVisitorsResponse> fresh =
      PageThrough(&v1::QueryService::Stub::ListVisitors,
                  ListRequest<v1::ListVisitorsRequest>(site_id(), 1000));
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(Keys(fresh), NewestFirst(StoredVisitors(site_id())));
  std::set<std::string> top;
  for (int i = 0; i < 3; ++i) top.insert(fresh[0].visitors(i).visitor_id());
  EXPECT_EQ(top, (std::set<std::string>{"nv-top", moved, seen_again}));

  // The fields, as the table holds them.
  for (const auto& row : stack_->db().Query(
           "SELECT visitor_id, (extract(epoch FROM first_seen_at) * 1000000)"
           "::bigint, user_id, (extract(epoch FROM identified_at) * 1000000)"
           "::bigint, traits::text FROM visitors WHERE site_id = $1",
           site_id())) {
    const std::string id = row[0].as<std::string>();
    SCOPED_TRACE(id);
    const v1::VisitorRow* v = nullptr;
    for (const auto& r : fresh[0].visitors()) {
      if (r.visitor_id() == id) v = &r;
    }
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(Micros(v->first_seen_at()), row[1].as<int64_t>());
    EXPECT_EQ(v->user_id(), row[2].as<std::string>());
    EXPECT_EQ(v->has_identified_at(), !row[3].is_null());
    if (!row[3].is_null()) {
      EXPECT_EQ(Micros(v->identified_at()), row[3].as<int64_t>());
    }
    EXPECT_EQ(v->traits(), row[4].as<std::string>());
    if (id == "iv") {
      EXPECT_EQ(v->user_id(), "user-iv");
      EXPECT_EQ(v->traits(), "{\"plan\": \"pro\"}");
      EXPECT_EQ(Micros(v->identified_at()), absl::ToUnixMicros(start_));
    }
  }
}

TEST_F(ActivityListTest, RangesSelectExactlyTheRowsOfTheirSortTime) {
  Ingest(Traffic(30, 17));
  ASSERT_FALSE(HasFatalFailure());
  Drain();
  const std::vector<EventKey> events = NewestFirst(StoredEvents(site_id()));
  const std::vector<TextKey> sessions = NewestFirst(StoredSessions(site_id()));
  const std::vector<TextKey> visitors = NewestFirst(StoredVisitors(site_id()));
  auto in = [](int64_t t, const std::optional<int64_t>& from,
               const std::optional<int64_t>& to) {
    return (!from.has_value() || t >= *from) && (!to.has_value() || t < *to);
  };
  std::mt19937_64 rng(23);
  const int64_t lo = absl::ToUnixMicros(start_ - absl::Hours(1));
  const int64_t hi = absl::ToUnixMicros(start_ + absl::Hours(50));
  std::uniform_int_distribution<int64_t> micros(lo, hi);
  std::vector<std::pair<std::optional<int64_t>, std::optional<int64_t>>>
      ranges = {{std::nullopt, std::nullopt}};
  // Edges on stored instants (inclusive from, exclusive to) and at random.
  ranges.push_back({events[10].first, events[3].first});
  ranges.push_back({sessions[9].first, std::nullopt});
  ranges.push_back({std::nullopt, visitors[4].first});
  ranges.push_back({events[5].first, events[5].first});
  for (int i = 0; i < 12; ++i) {
    int64_t a = micros(rng), b = micros(rng);
    if (a > b) std::swap(a, b);
    ranges.push_back({i % 4 == 1 ? std::nullopt : std::optional<int64_t>(a),
                      i % 4 == 2 ? std::nullopt : std::optional<int64_t>(b)});
  }
  for (size_t r = 0; r < ranges.size(); ++r) {
    const auto& [from, to] = ranges[r];
    SCOPED_TRACE(absl::StrCat("range ", r, " [", from.value_or(-1), ", ",
                              to.value_or(-1), ")"));
    const int page_size = 1 + static_cast<int>(r % 9);
    auto with_range = [&](auto request) {
      if (from.has_value()) {
        *request.mutable_from() = TimeUtil::MicrosecondsToTimestamp(*from);
      }
      if (to.has_value()) {
        *request.mutable_to() = TimeUtil::MicrosecondsToTimestamp(*to);
      }
      return request;
    };
    std::vector<EventKey> expected_events;
    for (const auto& k : events) {
      if (in(k.first, from, to)) expected_events.push_back(k);
    }
    EXPECT_EQ(Keys(PageThrough(&v1::QueryService::Stub::ListEvents,
                               with_range(ListRequest<v1::ListEventsRequest>(
                                   site_id(), page_size)))),
              expected_events);
    std::vector<TextKey> expected_sessions;
    for (const auto& k : sessions) {
      if (in(k.first, from, to)) expected_sessions.push_back(k);
    }
    EXPECT_EQ(Keys(PageThrough(&v1::QueryService::Stub::ListSessions,
                               with_range(ListRequest<v1::ListSessionsRequest>(
                                   site_id(), page_size)))),
              expected_sessions);
    std::vector<TextKey> expected_visitors;
    for (const auto& k : visitors) {
      if (in(k.first, from, to)) expected_visitors.push_back(k);
    }
    EXPECT_EQ(Keys(PageThrough(&v1::QueryService::Stub::ListVisitors,
                               with_range(ListRequest<v1::ListVisitorsRequest>(
                                   site_id(), page_size)))),
              expected_visitors);
  }
}

TEST_F(ActivityListTest, RejectsBadTokensRangesAndKeys) {
  Ingest(Traffic(10, 29));
  ASSERT_FALSE(HasFatalFailure());
  Drain();
  absl::StatusOr<v1::CreateSiteResponse> other = stack_->CreateSite("other");
  ASSERT_TRUE(other.ok()) << other.status();
  Ingest(
      ToRequests(
          RandomTraffic(start_, absl::Hours(10), 10, kSessionTimeout, 31), 50),
      other->write_key());
  ASSERT_FALSE(HasFatalFailure());
  Drain();
  const int64_t other_id = other->site().site_id();

  auto call = [&](const v1::ListEventsRequest& request, const std::string& key,
                  v1::ListEventsResponse* response = nullptr) {
    v1::ListEventsResponse ignored;
    auto context = AuthorizedContext(key);
    return stack_->query().ListEvents(context.get(), request,
                                      response ? response : &ignored);
  };
  auto expect_invalid = [&](const v1::ListEventsRequest& request,
                            const std::string& key, const char* field) {
    grpc::Status status = call(request, key);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << status.error_message();
    EXPECT_TRUE(absl::StartsWith(status.error_message(), field))
        << status.error_message();
  };

  // A real token of this site, with a range.
  v1::ListEventsRequest first =
      ListRequest<v1::ListEventsRequest>(site_id(), 3);
  *first.mutable_from() = Ts(start_);
  v1::ListEventsResponse page;
  ASSERT_TRUE(call(first, site_.read_key(), &page).ok());
  ASSERT_FALSE(page.next_page_token().empty());
  const std::string token = page.next_page_token();
  v1::ListEventsRequest next = first;
  next.set_page_token(token);
  ASSERT_TRUE(call(next, site_.read_key()).ok());
  // The page size may change between pages.
  next.set_page_size(5);
  ASSERT_TRUE(call(next, site_.read_key()).ok());

  // Malformed.
  for (const std::string& bad :
       {std::string("garbage"), std::string("!!!"), token.substr(1),
        token.substr(0, token.size() - 2), token + "A", token + "=",
        std::string(5000, 'A')}) {
    v1::ListEventsRequest request = first;
    request.set_page_token(bad);
    expect_invalid(request, site_.read_key(), "page_token: ");
  }
  // Another site (with that site's own key), another range, another list.
  v1::ListEventsRequest misuse = next;
  misuse.set_site_id(other_id);
  expect_invalid(misuse, other->read_key(), "page_token: ");
  misuse = next;
  misuse.clear_from();
  expect_invalid(misuse, site_.read_key(), "page_token: ");
  misuse = next;
  *misuse.mutable_to() = Ts(absl::Now());
  expect_invalid(misuse, site_.read_key(), "page_token: ");
  misuse = next;
  *misuse.mutable_from() = Ts(start_ + absl::Microseconds(1));
  expect_invalid(misuse, site_.read_key(), "page_token: ");
  {
    v1::ListSessionsRequest request =
        ListRequest<v1::ListSessionsRequest>(site_id(), 3);
    *request.mutable_from() = Ts(start_);
    request.set_page_token(token);
    v1::ListSessionsResponse response;
    auto context = AuthorizedContext(site_.read_key());
    grpc::Status status =
        stack_->query().ListSessions(context.get(), request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_TRUE(absl::StartsWith(status.error_message(), "page_token: "));
  }
  {
    // A visitors token of the other site, on this site.
    v1::ListVisitorsRequest request =
        ListRequest<v1::ListVisitorsRequest>(other_id, 2);
    v1::ListVisitorsResponse response;
    auto context = AuthorizedContext(other->read_key());
    ASSERT_TRUE(
        stack_->query().ListVisitors(context.get(), request, &response).ok());
    ASSERT_FALSE(response.next_page_token().empty());
    request.set_site_id(site_id());
    request.set_page_token(response.next_page_token());
    auto again = AuthorizedContext(site_.read_key());
    grpc::Status status =
        stack_->query().ListVisitors(again.get(), request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_TRUE(absl::StartsWith(status.error_message(), "page_token: "))
        << status.error_message();
  }

  // Ranges.
  v1::ListEventsRequest range =
      ListRequest<v1::ListEventsRequest>(site_id(), 3);
  *range.mutable_from() = Ts(start_ + absl::Hours(1));
  *range.mutable_to() = Ts(start_);
  expect_invalid(range, site_.read_key(), "from: ");
  range.clear_from();
  range.mutable_to()->set_nanos(-1);
  expect_invalid(range, site_.read_key(), "to: ");
  // An empty range is fine and empty.
  range = ListRequest<v1::ListEventsRequest>(site_id(), 3);
  *range.mutable_from() = Ts(start_);
  *range.mutable_to() = Ts(start_);
  v1::ListEventsResponse empty;
  ASSERT_TRUE(call(range, site_.read_key(), &empty).ok());
  EXPECT_EQ(empty.events_size(), 0);
  EXPECT_TRUE(empty.next_page_token().empty());

  // Keys: another site's read key, a write key, none; the admin token.
  EXPECT_EQ(call(first, other->read_key()).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(call(next, other->read_key()).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(call(first, site_.write_key()).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(call(first, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(call(next, kAdminToken).ok());
  v1::ListEventsRequest missing = first;
  missing.set_site_id(other_id + 100);
  EXPECT_EQ(call(missing, kAdminToken).error_code(),
            grpc::StatusCode::NOT_FOUND);
  for (auto method : {0, 1}) {
    grpc::Status status;
    if (method == 0) {
      v1::ListSessionsResponse response;
      auto context = AuthorizedContext(other->read_key());
      status = stack_->query().ListSessions(
          context.get(), ListRequest<v1::ListSessionsRequest>(site_id(), 3),
          &response);
    } else {
      v1::ListVisitorsResponse response;
      auto context = AuthorizedContext(other->read_key());
      status = stack_->query().ListVisitors(
          context.get(), ListRequest<v1::ListVisitorsRequest>(site_id(), 3),
          &response);
    }
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
}

TEST_F(ActivityListTest, RepositoryHonoursTheCallersDeadline) {
  Ingest(Traffic(5, 37));
  ASSERT_FALSE(HasFatalFailure());
  db::ConnectionPool pool(db::PoolOptions{.url = stack_->db().url(), .size = 1},
                          reducer::ActivityRepository::Statements());
  reducer::ActivityRepository activity(&pool);
  const reducer::PageQuery query{.filter = {.site_id = site_id()}, .limit = 5};
  EXPECT_EQ(activity.ListEvents(query, -absl::Milliseconds(1)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(activity.ListSessions(query, absl::ZeroDuration()).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  absl::StatusOr<std::vector<reducer::EventListRow>> in_time =
      activity.ListEvents(query, absl::Seconds(10));
  ASSERT_TRUE(in_time.ok()) << in_time.status();
  EXPECT_EQ(in_time->size(), 5u);
}

}  // namespace
}  // namespace analytics::testing
