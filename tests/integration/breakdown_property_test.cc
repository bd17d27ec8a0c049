// Property test of QueryService.GetBreakdown, GetEventPropertyBreakdown and
// GetDashboardSummary: random traffic for several sites (paths, referrers,
// utm tags, device facts, TRACK events with properties), ingested shuffled in
// small requests and reduced; then random millisecond-edged ranges (partial
// hours, whole hours and days, empty ranges, ranges without data, edges on
// the exact instant of an event). Every row must equal a brute-force recount
// of the generated events (tests/support/scenario.h), in the documented
// order, for every dimension, every sort and page size (pages concatenated
// must give the full list exactly); the dashboard must agree with
// GetOverview's recount, GetTimeseries and GetBreakdown. Plus the documented
// errors: INVALID_ARGUMENT naming the field, PERMISSION_DENIED for another
// site's read key.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <random>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/time/pg_time.h"
#include "common/time/proto_time.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "tests/support/scenario.h"
#include "tests/support/stack.h"

namespace analytics::testing {
namespace {

using google::protobuf::util::MessageDifferencer;
using google::protobuf::util::TimeUtil;

constexpr absl::Duration kSessionTimeout = absl::Minutes(30);

// Random ranges per RPC; together at least 1000.
constexpr int kBreakdownRounds = 600;
constexpr int kPropertyRounds = 260;
constexpr int kDashboardRounds = 150;
static_assert(kBreakdownRounds + kPropertyRounds + kDashboardRounds >= 1000);

// Detailed reports per kind of failure; the rest are only counted.
constexpr int kDetailsPerKind = 3;

constexpr v1::Dimension kDimensions[] = {
    v1::DIMENSION_PAGE,         v1::DIMENSION_ENTRY_PAGE,
    v1::DIMENSION_EXIT_PAGE,    v1::DIMENSION_REFERRER,
    v1::DIMENSION_UTM_SOURCE,   v1::DIMENSION_UTM_MEDIUM,
    v1::DIMENSION_UTM_CAMPAIGN, v1::DIMENSION_EVENT,
    v1::DIMENSION_DEVICE,       v1::DIMENSION_BROWSER,
    v1::DIMENSION_OS,           v1::DIMENSION_COUNTRY};
constexpr int kDimensionCount = std::size(kDimensions);

constexpr v1::BreakdownMetric kMetrics[] = {
    v1::BREAKDOWN_METRIC_UNSPECIFIED, v1::BREAKDOWN_METRIC_VISITORS,
    v1::BREAKDOWN_METRIC_EVENTS, v1::BREAKDOWN_METRIC_PAGEVIEWS,
    v1::BREAKDOWN_METRIC_SESSIONS};
constexpr int kMetricCount = std::size(kMetrics);

google::protobuf::Timestamp Ts(absl::Time t) { return ToProtoTimestamp(t); }

std::string Show(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

// ---------------------------------------------------------------------------
// The generated world: three sites of random traffic plus, per site, a few
// events on exact instants (whole hours, UTC midnights, a whole millisecond)
// that some ranges start or end on.

struct SiteData {
  v1::CreateSiteResponse site;
  std::vector<ScenarioEvent> events;
  int64_t id() const { return site.site().site_id(); }
  const std::string& read_key() const { return site.read_key(); }
};

struct World {
  std::unique_ptr<ServiceStack> stack;
  std::vector<SiteData> sites;
  absl::Time start;
  absl::Time end;
  // Instants some events occur at exactly (and one 1 ms before).
  std::vector<absl::Time> edges;
};

// A pageview at `edge` and a signup 1 s later (one session), and another
// visitor's pageview 1 ms before `edge`.
void AddEdgeEvents(int site, int n, absl::Time edge,
                   std::vector<ScenarioEvent>* events) {
  const std::string tag = absl::StrCat(site, "-", n);
  ScenarioEvent at;
  at.event_id = absl::StrCat("edge-", tag);
  at.type = v1::PAGEVIEW;
  at.at = edge;
  at.visitor_id = absl::StrCat("ev-", tag);
  at.session_id = absl::StrCat("es-", tag);
  at.path = "/edge";
  at.referrer = "https://www.Google.com/search?q=a";
  at.referrer_host = "google.com";
  at.utm_source = "edge";
  at.utm_medium = "email";
  at.utm_campaign = "edge";
  at.device = "desktop";
  at.browser = "Chrome";
  at.os = "Linux";
  at.country = "NL";
  ScenarioEvent track = at;
  track.event_id = absl::StrCat("edge-track-", tag);
  track.type = v1::TRACK;
  track.name = "signup";
  track.at = edge + absl::Seconds(1);
  track.properties["plan"].set_string_value("edge");
  track.properties["seats"].set_number_value(2);
  ScenarioEvent before = at;
  before.event_id = absl::StrCat("edge-before-", tag);
  before.at = edge - absl::Milliseconds(1);
  before.visitor_id = absl::StrCat("evb-", tag);
  before.session_id = absl::StrCat("esb-", tag);
  before.path = "/edge-before";
  before.referrer = "http://news.ycombinator.com:8080/x";
  before.referrer_host = "news.ycombinator.com";
  before.utm_source = "edge-before";
  before.country = "AT";
  events->push_back(std::move(at));
  events->push_back(std::move(track));
  events->push_back(std::move(before));
}

absl::Status BuildWorld(World* world) {
  absl::StatusOr<std::unique_ptr<ServiceStack>> started = ServiceStack::Start();
  if (!started.ok()) return started.status();
  world->stack = std::move(*started);
  world->start = FloorHour(absl::Now()) - absl::Hours(80);
  world->end = world->start + absl::Hours(76);
  world->edges = {world->start + absl::Hours(7),
                  FloorDay(world->start) + absl::Hours(24),
                  FloorDay(world->start) + absl::Hours(48),
                  world->start + absl::Hours(30) + absl::Milliseconds(123456)};
  std::mt19937 rng(1303);
  const int kVisitors[] = {60, 150, 240};
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<v1::CreateSiteResponse> site =
        world->stack->CreateSite(absl::StrCat("breakdown-", i));
    if (!site.ok()) return site.status();
    std::vector<ScenarioEvent> events =
        RandomTraffic(world->start, world->end - world->start, kVisitors[i],
                      kSessionTimeout, 700 + i);
    for (size_t n = 0; n < world->edges.size(); ++n) {
      AddEdgeEvents(i, static_cast<int>(n), world->edges[n], &events);
    }
    // Late and out of order: shuffled, in small requests.
    std::shuffle(events.begin(), events.end(), rng);
    for (const auto& request : ToRequests(events, 53)) {
      v1::IngestResponse response;
      grpc::Status status =
          world->stack->Ingest(site->write_key(), request, &response);
      if (!status.ok()) {
        return absl::InternalError("Ingest: " + status.error_message());
      }
      if (response.accepted() != request.events_size()) {
        return absl::InternalError(absl::StrCat(
            "Ingest accepted ", response.accepted(), " of ",
            request.events_size(), ": ",
            response.rejected_size() > 0 ? response.rejected(0).field() + " " +
                                               response.rejected(0).reason()
                                         : ""));
      }
    }
    world->sites.push_back({*site, std::move(events)});
  }
  absl::StatusOr<int> drained = world->stack->Drain(97);
  if (!drained.ok()) return drained.status();
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Ranges.

struct Range {
  absl::Time from;
  absl::Time to;
  std::string kind;
  std::string Describe() const {
    return absl::StrCat(kind, " [", Show(from), ", ", Show(to), ")");
  }
};

Range RandomRange(const World& world, std::mt19937& rng) {
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  const int64_t lo = absl::ToUnixMillis(world.start - absl::Hours(3));
  const int64_t hi = absl::ToUnixMillis(world.end + absl::Hours(3));
  auto instant = [&] { return absl::FromUnixMillis(uniform(lo, hi)); };
  const int64_t kind = uniform(0, 11);
  switch (kind) {
    case 0:
    case 1:
    case 2: {
      absl::Time a = instant(), b = instant();
      if (a > b) std::swap(a, b);
      return {a, b, "random"};
    }
    case 3: {
      // Inside an hour or across one boundary.
      const absl::Time a = instant();
      return {a, a + absl::Milliseconds(uniform(1, 90 * 60 * 1000)), "short"};
    }
    case 4: {
      const absl::Time a = FloorDay(instant());
      return {a, a + absl::Hours(24 * uniform(1, 3)), "whole days"};
    }
    case 5: {
      const absl::Time a = FloorHour(instant());
      return {a, a + absl::Hours(uniform(1, 30)), "whole hours"};
    }
    case 6: {
      // Whole days and hours plus a partial hour at one edge.
      const absl::Time day = FloorDay(instant());
      const absl::Duration partial =
          absl::Hours(uniform(0, 40)) + absl::Milliseconds(uniform(1, 3599999));
      if (uniform(0, 1) == 0) return {day, day + partial, "day + partial"};
      return {day - partial, day, "partial + day"};
    }
    case 7: {
      const absl::Time a = instant();
      return {a, a, "empty"};
    }
    case 8: {
      // No data at all: before the traffic or after it.
      if (uniform(0, 1) == 0) {
        const absl::Time a = world.start - absl::Hours(20);
        return {a, a + absl::Milliseconds(uniform(1, 19 * 3600 * 1000)),
                "no data"};
      }
      const absl::Time a = world.end + absl::Minutes(1);
      return {a, a + absl::Milliseconds(uniform(1, 3 * 3600 * 1000)),
              "no data"};
    }
    case 9:
    case 10: {
      // Starting or ending exactly on an event (or 1 ms after the one
      // before it).
      const absl::Time edge = world.edges[uniform(0, world.edges.size() - 1)];
      const absl::Duration d = absl::Milliseconds(uniform(1, 30 * 3600 * 1000));
      switch (uniform(0, 3)) {
        case 0:
          return {edge, edge + d, "from an event"};
        case 1:
          return {edge - d, edge, "to an event"};
        case 2:
          return {edge - absl::Milliseconds(1), edge + absl::Seconds(1),
                  "around an edge"};
        default:
          return {edge, edge, "empty at an event"};
      }
    }
    default:
      return {world.start - absl::Hours(1), world.end + absl::Hours(1),
              "everything"};
  }
}

// ---------------------------------------------------------------------------
// Reporting.

std::string ShowRow(const ExpectedBreakdownRow& r) {
  return absl::StrCat("\"", absl::CHexEscape(r.key), "\" events=", r.events,
                      " pageviews=", r.pageviews, " visitors=", r.visitors,
                      " sessions=", r.sessions);
}
std::string ShowRow(const ExpectedPropertyRow& r) {
  return absl::StrCat("\"", absl::CHexEscape(r.value), "\" events=", r.events,
                      " visitors=", r.visitors, " sessions=", r.sessions);
}
const std::string& KeyOf(const ExpectedBreakdownRow& r) { return r.key; }
const std::string& KeyOf(const ExpectedPropertyRow& r) { return r.value; }

ExpectedBreakdownRow FromProto(const v1::BreakdownRow& r) {
  return {.key = r.key(),
          .events = r.events(),
          .pageviews = r.pageviews(),
          .visitors = r.visitors(),
          .sessions = r.sessions()};
}
ExpectedPropertyRow FromProto(const v1::PropertyValueRow& r) {
  return {.value = r.value(),
          .events = r.events(),
          .visitors = r.visitors(),
          .sessions = r.sessions()};
}
template <typename Proto>
auto FromProto(const google::protobuf::RepeatedPtrField<Proto>& rows) {
  std::vector<decltype(FromProto(rows.Get(0)))> out;
  for (const Proto& r : rows) out.push_back(FromProto(r));
  return out;
}

// What differs between two row lists: missing, unexpected and duplicate
// keys, rows with other numbers, or else the first misplaced row.
template <typename Row>
std::string DescribeDiff(const std::vector<Row>& expected,
                         const std::vector<Row>& actual) {
  std::vector<std::string> lines;
  lines.push_back(
      absl::StrCat("expected ", expected.size(), " rows, got ", actual.size()));
  std::map<std::string, const Row*> want, got;
  for (const Row& r : expected) want[KeyOf(r)] = &r;
  for (const Row& r : actual) {
    if (!got.emplace(KeyOf(r), &r).second) {
      lines.push_back("  duplicate row: " + ShowRow(r));
    }
  }
  for (const auto& [key, row] : want) {
    auto it = got.find(key);
    if (it == got.end()) {
      lines.push_back("  missing row: " + ShowRow(*row));
    } else if (!(*it->second == *row)) {
      lines.push_back("  expected " + ShowRow(*row));
      lines.push_back("    actual " + ShowRow(*it->second));
    }
  }
  for (const auto& [key, row] : got) {
    if (want.count(key) == 0)
      lines.push_back("  unexpected row: " + ShowRow(*row));
  }
  if (lines.size() == 1) {
    for (size_t i = 0; i < expected.size() && i < actual.size(); ++i) {
      if (!(expected[i] == actual[i])) {
        lines.push_back(absl::StrCat("  same rows, wrong order; at index ", i,
                                     " expected ", ShowRow(expected[i]),
                                     ", got ", ShowRow(actual[i])));
        break;
      }
    }
  }
  if (lines.size() > 16) {
    const size_t more = lines.size() - 16;
    lines.resize(16);
    lines.push_back(absl::StrCat("  ... and ", more, " more lines"));
  }
  return absl::StrJoin(lines, "\n");
}

// Adds a failure with details for the first few of each kind, counts the
// rest and summarises at the end, so one broken dimension does not hide how
// the others fare.
class FailureLog {
 public:
  void Add(const std::string& kind, const std::string& details) {
    const int n = ++counts_[kind];
    if (n <= kDetailsPerKind) ADD_FAILURE() << kind << ": " << details;
  }
  int total() const {
    int total = 0;
    for (const auto& [kind, n] : counts_) total += n;
    return total;
  }
  ~FailureLog() {
    if (counts_.empty()) return;
    std::vector<std::string> lines;
    for (const auto& [kind, n] : counts_) {
      lines.push_back(absl::StrCat("  ", kind, ": ", n, " rounds"));
    }
    ADD_FAILURE() << "failures by kind:\n" << absl::StrJoin(lines, "\n");
  }

 private:
  std::map<std::string, int> counts_;
};

// ---------------------------------------------------------------------------
// Calls.

class BreakdownPropertyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    world_ = new World();
    const absl::Time begin = absl::Now();
    setup_ = new absl::Status(BuildWorld(world_));
    std::cerr << "world built in " << absl::Now() - begin << "\n";
  }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
    delete setup_;
    setup_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(setup_->ok()) << *setup_; }

  static ServiceStack& stack() { return *world_->stack; }
  static const SiteData& site(size_t i) { return world_->sites[i]; }

  static v1::GetBreakdownRequest BreakdownRequest(const SiteData& data,
                                                  const Range& range,
                                                  v1::Dimension dimension,
                                                  v1::BreakdownMetric sort_by,
                                                  int limit) {
    v1::GetBreakdownRequest request;
    request.set_site_id(data.id());
    *request.mutable_from() = Ts(range.from);
    *request.mutable_to() = Ts(range.to);
    request.set_dimension(dimension);
    request.set_sort_by(sort_by);
    request.set_limit(limit);
    return request;
  }

  static grpc::Status Call(const v1::GetBreakdownRequest& request,
                           v1::Breakdown* response, const std::string& key) {
    auto context = AuthorizedContext(key);
    return stack().query().GetBreakdown(context.get(), request, response);
  }
  static grpc::Status Call(const v1::GetEventPropertyBreakdownRequest& request,
                           v1::EventPropertyBreakdown* response,
                           const std::string& key) {
    auto context = AuthorizedContext(key);
    return stack().query().GetEventPropertyBreakdown(context.get(), request,
                                                     response);
  }
  static grpc::Status Call(const v1::GetDashboardSummaryRequest& request,
                           v1::DashboardSummary* response,
                           const std::string& key) {
    auto context = AuthorizedContext(key);
    return stack().query().GetDashboardSummary(context.get(), request,
                                               response);
  }
  static grpc::Status Call(const v1::GetTimeseriesRequest& request,
                           v1::Timeseries* response, const std::string& key) {
    auto context = AuthorizedContext(key);
    return stack().query().GetTimeseries(context.get(), request, response);
  }

  struct Paged {
    grpc::Status status;
    std::vector<ExpectedBreakdownRow> rows;
    int pages = 0;
    // Page-level rule broken (sizes, tokens, pending_events), if any.
    std::string problem;
  };

  // Reads every page of `request` (its page_token must be empty).
  static Paged PageThrough(v1::GetBreakdownRequest request,
                           const std::string& key) {
    Paged out;
    const int limit = request.limit() == 0 ? 100 : request.limit();
    std::set<std::string> tokens;
    while (true) {
      v1::Breakdown page;
      out.status = Call(request, &page, key);
      if (!out.status.ok()) return out;
      ++out.pages;
      for (const v1::BreakdownRow& row : page.rows()) {
        out.rows.push_back(FromProto(row));
      }
      if (page.pending_events() != 0 && out.problem.empty()) {
        out.problem = absl::StrCat("page ", out.pages, ": pending_events ",
                                   page.pending_events());
      }
      if (!page.has_as_of() && out.problem.empty()) {
        out.problem = absl::StrCat("page ", out.pages, ": no as_of");
      }
      if (page.rows_size() > limit && out.problem.empty()) {
        out.problem = absl::StrCat("page ", out.pages, " has ",
                                   page.rows_size(), " rows; limit ", limit);
      }
      if (page.next_page_token().empty()) return out;
      if (page.rows_size() != limit && out.problem.empty()) {
        out.problem =
            absl::StrCat("page ", out.pages, " has ", page.rows_size(),
                         " rows (limit ", limit, ") and a next_page_token");
      }
      if (!tokens.insert(page.next_page_token()).second) {
        out.problem = absl::StrCat("page ", out.pages,
                                   ": next_page_token repeats an earlier one");
        return out;
      }
      if (out.pages >= 3000) {
        out.problem = "more than 3000 pages";
        return out;
      }
      request.set_page_token(page.next_page_token());
    }
  }

  static World* world_;
  static absl::Status* setup_;
};

World* BreakdownPropertyTest::world_ = nullptr;
absl::Status* BreakdownPropertyTest::setup_ = nullptr;

std::string Name(v1::Dimension d) { return v1::Dimension_Name(d); }
std::string Name(v1::BreakdownMetric m) { return v1::BreakdownMetric_Name(m); }

// Every dimension with every sort, page sizes from 1 to 1000 (and the
// default), paged to the end.
TEST_F(BreakdownPropertyTest, BreakdownMatchesRecountForEveryDimensionAndSort) {
  std::mt19937 rng(4242);
  FailureLog log;
  std::map<v1::Dimension, int> nonempty_rounds;
  int multi_page_runs = 0;
  int default_limit_multi_page = 0;
  int rows_checked = 0;
  for (int round = 0; round < kBreakdownRounds; ++round) {
    const SiteData& data = site(std::uniform_int_distribution<int>(0, 2)(rng));
    const Range range = RandomRange(*world_, rng);
    // All 60 pairs every 60 rounds; four ways of paging per pair.
    const v1::Dimension dimension = kDimensions[round % kDimensionCount];
    const v1::BreakdownMetric sort_by =
        kMetrics[(round / kDimensionCount) % kMetricCount];
    const std::vector<ExpectedBreakdownRow> expected = RecountBreakdown(
        data.events, range.from, range.to, dimension, sort_by, kSessionTimeout);
    int limit = 0;
    switch ((round / (kDimensionCount * kMetricCount)) % 4) {
      case 0:
        limit = 1000;
        break;
      case 1:
        limit = 0;  // 100
        break;
      case 2:
        limit = std::uniform_int_distribution<int>(1, 4)(rng);
        break;
      default:
        limit = std::uniform_int_distribution<int>(5, 40)(rng);
        break;
    }
    // Keep the number of calls reasonable.
    if (limit != 0 && expected.size() / limit > 40) {
      limit = static_cast<int>(expected.size() / 40) + 1;
    }
    const std::string what =
        absl::StrCat("round ", round, " site ", data.site.site().slug(), " ",
                     Name(dimension), " sort_by ", Name(sort_by), " limit ",
                     limit, " ", range.Describe());
    const Paged paged =
        PageThrough(BreakdownRequest(data, range, dimension, sort_by, limit),
                    data.read_key());
    ASSERT_TRUE(paged.status.ok()) << what << ": " << paged.status.error_code()
                                   << " " << paged.status.error_message();
    if (!paged.problem.empty()) {
      log.Add(Name(dimension) + " paging", what + ": " + paged.problem);
    }
    if (paged.rows != expected) {
      log.Add(Name(dimension), what + " (" + std::to_string(paged.pages) +
                                   " pages)\n" +
                                   DescribeDiff(expected, paged.rows));
    }
    if (!expected.empty()) ++nonempty_rounds[dimension];
    if (paged.pages > 1) ++multi_page_runs;
    if (paged.pages > 1 && limit == 0) ++default_limit_multi_page;
    rows_checked += static_cast<int>(expected.size());
  }
  std::cerr << "breakdown: " << kBreakdownRounds << " ranges, " << rows_checked
            << " rows, " << multi_page_runs << " runs of several pages ("
            << default_limit_multi_page << " with the default limit), "
            << log.total() << " failing rounds\n";
  // The scenario is rich enough to mean something. The world starts 80
  // hours before the current hour, so which ranges hold TRACK events (the
  // event dimension) moves with the time of day: at 06:00 UTC exactly half
  // of that dimension's rounds did, which a bound of "more than half" made
  // fail. A third still proves each dimension was really exercised.
  for (v1::Dimension d : kDimensions) {
    EXPECT_GT(nonempty_rounds[d], kBreakdownRounds / kDimensionCount / 3)
        << Name(d);
  }
  EXPECT_GT(multi_page_runs, kBreakdownRounds / 10);
  EXPECT_GT(default_limit_multi_page, 0);
}

struct PropertyCase {
  const char* event_name;
  const char* property_key;
};

const PropertyCase kPropertyCases[] = {
    {"signup", "plan"},    {"signup", "seats"},    {"signup", "annual"},
    {"signup", "coupon"},  {"purchase", "amount"}, {"purchase", "plan"},
    {"purchase", "seats"}, {"purchase", "annual"}, {"click", "target"},
    {"click", "plan"},     {"download", "file"},   {"Share", "file"},
    {"signup", "missing"}, {"nope", "plan"},       {"click", "Target"},
};
constexpr int kPropertyCaseCount = std::size(kPropertyCases);

TEST_F(BreakdownPropertyTest, EventPropertyBreakdownMatchesRecount) {
  std::mt19937 rng(777);
  FailureLog log;
  int nonempty = 0;
  std::set<std::string> values_seen;
  for (int round = 0; round < kPropertyRounds; ++round) {
    const SiteData& data = site(std::uniform_int_distribution<int>(0, 2)(rng));
    const Range range = RandomRange(*world_, rng);
    const PropertyCase& c = kPropertyCases[round % kPropertyCaseCount];
    int limit = 0;
    switch ((round / kPropertyCaseCount) % 3) {
      case 0:
        limit = 0;  // 100
        break;
      case 1:
        limit = 1000;
        break;
      default:
        limit = std::uniform_int_distribution<int>(1, 3)(rng);
        break;
    }
    ExpectedPropertyBreakdown expected = RecountPropertyBreakdown(
        data.events, range.from, range.to, c.event_name, c.property_key);
    const size_t max_rows = limit == 0 ? 100 : limit;
    if (expected.rows.size() > max_rows) expected.rows.resize(max_rows);

    v1::GetEventPropertyBreakdownRequest request;
    request.set_site_id(data.id());
    *request.mutable_from() = Ts(range.from);
    *request.mutable_to() = Ts(range.to);
    request.set_event_name(c.event_name);
    request.set_property_key(c.property_key);
    request.set_limit(limit);
    v1::EventPropertyBreakdown response;
    const std::string what =
        absl::StrCat("round ", round, " site ", data.site.site().slug(),
                     " event \"", c.event_name, "\" property \"",
                     c.property_key, "\" limit ", limit, " ", range.Describe());
    const grpc::Status status = Call(request, &response, data.read_key());
    ASSERT_TRUE(status.ok())
        << what << ": " << status.error_code() << " " << status.error_message();
    const std::string kind = absl::StrCat(c.event_name, ".", c.property_key);
    const std::vector<ExpectedPropertyRow> actual = FromProto(response.rows());
    if (actual != expected.rows) {
      log.Add(kind, what + "\n" + DescribeDiff(expected.rows, actual));
    }
    if (response.events() != expected.events) {
      log.Add(kind + " events",
              absl::StrCat(what, ": events ", response.events(), ", expected ",
                           expected.events));
    }
    if (response.pending_events() != 0 || !response.has_as_of()) {
      log.Add("property pending_events/as_of",
              absl::StrCat(what, ": pending_events ", response.pending_events(),
                           " has_as_of ", response.has_as_of()));
    }
    if (!expected.rows.empty()) ++nonempty;
    for (const auto& row : expected.rows) values_seen.insert(row.value);
  }
  std::cerr << "property breakdown: " << kPropertyRounds << " ranges, "
            << nonempty << " with rows, " << log.total() << " failing rounds\n";
  EXPECT_GT(nonempty, kPropertyRounds / 3);
  // Every kind of value came up.
  for (const char* v : {"pro", "\xc3\xa9lite", "2.5", "-3", "100", "12.75",
                        "true", "false", "null", "SPRING"}) {
    EXPECT_TRUE(values_seen.count(v)) << v;
  }
}

void ExpectMetrics(const ExpectedOverview& expected, const v1::Metrics& m,
                   FailureLog& log, const std::string& what) {
  const double bounce_rate =
      expected.sessions == 0
          ? 0.0
          : static_cast<double>(expected.bounces) / expected.sessions;
  const int64_t duration_us =
      expected.sessions == 0 ? 0 : expected.duration_us / expected.sessions;
  const int64_t actual_duration_us =
      TimeUtil::DurationToMicroseconds(m.average_session_duration());
  if (m.events() != expected.events || m.pageviews() != expected.pageviews ||
      m.sessions() != expected.sessions || m.visitors() != expected.visitors ||
      std::abs(m.bounce_rate() - bounce_rate) > 1e-12 ||
      actual_duration_us != duration_us) {
    log.Add("dashboard overview",
            absl::StrCat(what, ": events ", m.events(), "/", expected.events,
                         " pageviews ", m.pageviews(), "/", expected.pageviews,
                         " sessions ", m.sessions(), "/", expected.sessions,
                         " visitors ", m.visitors(), "/", expected.visitors,
                         " bounce_rate ", m.bounce_rate(), "/", bounce_rate,
                         " avg duration us ", actual_duration_us, "/",
                         duration_us, " (actual/expected)"));
  }
}

TEST_F(BreakdownPropertyTest,
       DashboardSummaryAgreesWithRecountTimeseriesAndBreakdown) {
  std::mt19937 rng(31337);
  FailureLog log;
  const char* kZones[] = {"",
                          "UTC",
                          "Asia/Kolkata",
                          "Asia/Kathmandu",
                          "Europe/Berlin",
                          "America/New_York",
                          "Australia/Adelaide"};
  struct Top {
    v1::Dimension dimension;
    const google::protobuf::RepeatedPtrField<v1::BreakdownRow>& (
        v1::DashboardSummary::*rows)() const;
  };
  const Top kTops[] = {
      {v1::DIMENSION_PAGE, &v1::DashboardSummary::top_pages},
      {v1::DIMENSION_REFERRER, &v1::DashboardSummary::top_referrers},
      {v1::DIMENSION_UTM_SOURCE, &v1::DashboardSummary::top_utm_sources},
      {v1::DIMENSION_EVENT, &v1::DashboardSummary::top_events},
  };
  int full_tops = 0;
  for (int round = 0; round < kDashboardRounds; ++round) {
    const SiteData& data = site(std::uniform_int_distribution<int>(0, 2)(rng));
    const Range range = RandomRange(*world_, rng);
    const std::string zone = kZones[round % std::size(kZones)];
    const v1::Interval interval = range.to - range.from < absl::Hours(30)
                                      ? v1::HOUR
                                  : round % 3 == 0 ? v1::WEEK
                                  : round % 3 == 1 ? v1::MONTH
                                                   : v1::DAY;
    const std::string what = absl::StrCat(
        "round ", round, " site ", data.site.site().slug(), " zone \"", zone,
        "\" ", v1::Interval_Name(interval), " ", range.Describe());

    v1::GetDashboardSummaryRequest request;
    request.set_site_id(data.id());
    *request.mutable_from() = Ts(range.from);
    *request.mutable_to() = Ts(range.to);
    request.set_interval(interval);
    request.set_time_zone(zone);
    v1::DashboardSummary summary;
    const grpc::Status status = Call(request, &summary, data.read_key());
    ASSERT_TRUE(status.ok())
        << what << ": " << status.error_code() << " " << status.error_message();
    if (summary.pending_events() != 0 || !summary.has_as_of()) {
      log.Add("dashboard pending_events/as_of",
              absl::StrCat(what, ": pending_events ", summary.pending_events(),
                           " has_as_of ", summary.has_as_of()));
    }
    ExpectMetrics(Recount(data.events, range.from, range.to, kSessionTimeout),
                  summary.overview(), log, what);

    // The series: exactly GetTimeseries' answer to the same question.
    v1::GetTimeseriesRequest series_request;
    series_request.set_site_id(data.id());
    *series_request.mutable_from() = request.from();
    *series_request.mutable_to() = request.to();
    series_request.set_interval(interval);
    series_request.set_time_zone(zone);
    v1::Timeseries series;
    const grpc::Status series_status =
        Call(series_request, &series, data.read_key());
    ASSERT_TRUE(series_status.ok())
        << what << ": GetTimeseries " << series_status.error_message();
    if (summary.time_zone() != series.time_zone()) {
      log.Add(
          "dashboard time_zone",
          absl::StrCat(what, ": \"", summary.time_zone(),
                       "\", GetTimeseries says \"", series.time_zone(), "\""));
    }
    bool same_points = summary.points_size() == series.points_size();
    for (int i = 0; same_points && i < series.points_size(); ++i) {
      same_points =
          MessageDifferencer::Equals(summary.points(i), series.points(i));
    }
    if (!same_points) {
      std::string first_difference;
      for (int i = 0; i < std::min(summary.points_size(), series.points_size());
           ++i) {
        if (!MessageDifferencer::Equals(summary.points(i), series.points(i))) {
          first_difference = absl::StrCat(
              "; point ", i, ": dashboard {",
              summary.points(i).ShortDebugString(), "} GetTimeseries {",
              series.points(i).ShortDebugString(), "}");
          break;
        }
      }
      log.Add("dashboard points",
              absl::StrCat(what, ": ", summary.points_size(),
                           " points, GetTimeseries ", series.points_size(),
                           first_difference));
    }

    // The top 10 lists: the oracle's and GetBreakdown's first page.
    for (const Top& top : kTops) {
      std::vector<ExpectedBreakdownRow> expected =
          RecountBreakdown(data.events, range.from, range.to, top.dimension,
                           v1::BREAKDOWN_METRIC_VISITORS, kSessionTimeout);
      if (expected.size() >= 10) ++full_tops;
      if (expected.size() > 10) expected.resize(10);
      const std::vector<ExpectedBreakdownRow> actual =
          FromProto((summary.*top.rows)());
      if (actual != expected) {
        log.Add("dashboard top " + Name(top.dimension),
                what + "\n" + DescribeDiff(expected, actual));
      }
      v1::Breakdown breakdown;
      const grpc::Status breakdown_status =
          Call(BreakdownRequest(data, range, top.dimension,
                                v1::BREAKDOWN_METRIC_VISITORS, 10),
               &breakdown, data.read_key());
      ASSERT_TRUE(breakdown_status.ok())
          << what << ": GetBreakdown " << breakdown_status.error_message();
      const std::vector<ExpectedBreakdownRow> first_page =
          FromProto(breakdown.rows());
      if (actual != first_page) {
        log.Add("dashboard top " + Name(top.dimension) + " vs GetBreakdown",
                what + "\n" + DescribeDiff(first_page, actual));
      }
    }
  }
  std::cerr << "dashboard: " << kDashboardRounds << " ranges, " << full_tops
            << " top lists of 10 rows, " << log.total() << " failing rounds\n";
  EXPECT_GT(full_tops, kDashboardRounds / 2);
}

// ---------------------------------------------------------------------------
// Errors.

void ExpectInvalid(const grpc::Status& status, const std::string& field,
                   const std::string& what) {
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << what << ": " << status.error_message();
  EXPECT_TRUE(absl::StrContains(status.error_message(), field))
      << what << ": the message should name " << field << ": \""
      << status.error_message() << "\"";
}

TEST_F(BreakdownPropertyTest, BreakdownRejectsBadArgumentsNamingTheField) {
  const SiteData& data = site(2);
  const SiteData& other = site(1);
  const Range all{world_->start, world_->end, "all"};
  const v1::GetBreakdownRequest base = BreakdownRequest(
      data, all, v1::DIMENSION_PAGE, v1::BREAKDOWN_METRIC_VISITORS, 1);
  v1::Breakdown first;
  ASSERT_TRUE(Call(base, &first, data.read_key()).ok());
  ASSERT_EQ(first.rows_size(), 1);
  ASSERT_FALSE(first.next_page_token().empty());
  v1::Breakdown out;

  {
    v1::GetBreakdownRequest r = base;
    r.set_dimension(v1::DIMENSION_UNSPECIFIED);
    ExpectInvalid(Call(r, &out, data.read_key()), "dimension",
                  "dimension unspecified");
    r.set_dimension(static_cast<v1::Dimension>(99));
    ExpectInvalid(Call(r, &out, data.read_key()), "dimension", "dimension 99");
  }
  {
    v1::GetBreakdownRequest r = base;
    r.set_sort_by(static_cast<v1::BreakdownMetric>(99));
    ExpectInvalid(Call(r, &out, data.read_key()), "sort_by", "sort_by 99");
  }
  {
    v1::GetBreakdownRequest r = base;
    r.set_limit(1001);
    ExpectInvalid(Call(r, &out, data.read_key()), "limit", "limit 1001");
    r.set_limit(1000);
    EXPECT_TRUE(Call(r, &out, data.read_key()).ok()) << "limit 1000";
  }
  for (const char* token :
       {"garbage", "!!!not base64!!!", "AAAAAAAAAAAAAAAA", "eyJ4IjoxfQ"}) {
    v1::GetBreakdownRequest r = base;
    r.set_page_token(token);
    ExpectInvalid(Call(r, &out, data.read_key()), "page_token",
                  absl::StrCat("page_token ", token));
  }
  {
    // A token continues only the request it came from.
    v1::GetBreakdownRequest r = base;
    r.set_page_token(first.next_page_token());
    v1::Breakdown second;
    ASSERT_TRUE(Call(r, &second, data.read_key()).ok()) << "same request";
    EXPECT_EQ(second.rows_size(), 1);

    v1::GetBreakdownRequest d = r;
    d.set_dimension(v1::DIMENSION_REFERRER);
    ExpectInvalid(Call(d, &out, data.read_key()), "page_token",
                  "token reused with another dimension");
    v1::GetBreakdownRequest s = r;
    s.set_sort_by(v1::BREAKDOWN_METRIC_EVENTS);
    ExpectInvalid(Call(s, &out, data.read_key()), "page_token",
                  "token reused with another sort_by");
    v1::GetBreakdownRequest f = r;
    *f.mutable_from() = Ts(all.from + absl::Milliseconds(1));
    ExpectInvalid(Call(f, &out, data.read_key()), "page_token",
                  "token reused with another from");
    v1::GetBreakdownRequest t = r;
    *t.mutable_to() = Ts(all.to - absl::Hours(1));
    ExpectInvalid(Call(t, &out, data.read_key()), "page_token",
                  "token reused with another to");
    v1::GetBreakdownRequest o = r;
    o.set_site_id(other.id());
    ExpectInvalid(Call(o, &out, other.read_key()), "page_token",
                  "token reused for another site");
  }
  {
    // Another site's read key; none; from > to; the admin token; no site.
    EXPECT_EQ(Call(base, &out, other.read_key()).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    v1::Breakdown unauthenticated;
    auto context = std::make_unique<grpc::ClientContext>();
    EXPECT_EQ(stack()
                  .query()
                  .GetBreakdown(context.get(), base, &unauthenticated)
                  .error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    v1::GetBreakdownRequest reversed = base;
    std::swap(*reversed.mutable_from(), *reversed.mutable_to());
    EXPECT_EQ(Call(reversed, &out, data.read_key()).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_TRUE(Call(base, &out, kAdminToken).ok()) << "admin token";
    v1::GetBreakdownRequest missing = base;
    missing.set_site_id(987654321);
    EXPECT_EQ(Call(missing, &out, kAdminToken).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
}

TEST_F(BreakdownPropertyTest, PropertyAndDashboardRejectBadArguments) {
  const SiteData& data = site(0);
  const SiteData& other = site(1);
  v1::GetEventPropertyBreakdownRequest property;
  property.set_site_id(data.id());
  *property.mutable_from() = Ts(world_->start);
  *property.mutable_to() = Ts(world_->end);
  property.set_event_name("signup");
  property.set_property_key("plan");
  v1::EventPropertyBreakdown property_out;
  ASSERT_TRUE(Call(property, &property_out, data.read_key()).ok());
  {
    v1::GetEventPropertyBreakdownRequest r = property;
    r.clear_event_name();
    ExpectInvalid(Call(r, &property_out, data.read_key()), "event_name",
                  "no event_name");
  }
  {
    v1::GetEventPropertyBreakdownRequest r = property;
    r.clear_property_key();
    ExpectInvalid(Call(r, &property_out, data.read_key()), "property_key",
                  "no property_key");
  }
  {
    v1::GetEventPropertyBreakdownRequest r = property;
    r.set_limit(1001);
    ExpectInvalid(Call(r, &property_out, data.read_key()), "limit",
                  "limit 1001");
    r.set_limit(1000);
    EXPECT_TRUE(Call(r, &property_out, data.read_key()).ok()) << "limit 1000";
  }
  {
    v1::GetEventPropertyBreakdownRequest r = property;
    std::swap(*r.mutable_from(), *r.mutable_to());
    EXPECT_EQ(Call(r, &property_out, data.read_key()).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  EXPECT_EQ(Call(property, &property_out, other.read_key()).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  v1::GetDashboardSummaryRequest dashboard;
  dashboard.set_site_id(data.id());
  *dashboard.mutable_from() = Ts(world_->start);
  *dashboard.mutable_to() = Ts(world_->end);
  dashboard.set_interval(v1::DAY);
  v1::DashboardSummary dashboard_out;
  ASSERT_TRUE(Call(dashboard, &dashboard_out, data.read_key()).ok());
  EXPECT_EQ(dashboard_out.time_zone(), "UTC");  // the site's default
  {
    v1::GetDashboardSummaryRequest r = dashboard;
    r.clear_interval();
    ExpectInvalid(Call(r, &dashboard_out, data.read_key()), "interval",
                  "no interval");
  }
  {
    v1::GetDashboardSummaryRequest r = dashboard;
    r.set_time_zone("Mars/Olympus_Mons");
    ExpectInvalid(Call(r, &dashboard_out, data.read_key()), "time_zone",
                  "unknown time_zone");
  }
  {
    v1::GetDashboardSummaryRequest r = dashboard;
    std::swap(*r.mutable_from(), *r.mutable_to());
    EXPECT_EQ(Call(r, &dashboard_out, data.read_key()).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  EXPECT_EQ(Call(dashboard, &dashboard_out, other.read_key()).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace analytics::testing
