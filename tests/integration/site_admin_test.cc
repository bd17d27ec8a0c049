// AdminService site administration on a real PostgreSQL: UpdateSite changes
// exactly the masked fields (and names the field it refuses), property
// allow/deny lists decide what Ingest stores, DisableSite/EnableSite gate
// ingest, and DeleteSite purges every row of one site, in bounded batches,
// leaving the other sites' rows as they were, resumable and only removing
// the site after its quiet period.
#include <functional>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/time/pg_time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "ingest-service/src/site_purge.h"
#include "tests/support/scenario.h"
#include "tests/support/stack.h"

namespace analytics::testing {
namespace {

using ::google::protobuf::util::TimeUtil;
using ::testing::HasSubstr;

// The tables that hold a site's data, as DeleteSite purges them.
constexpr const char* kSiteTables[] = {
    "event_queue", "events",          "event_client_ids", "sessions",
    "visitors",    "visitor_buckets", "rollups",          "visitor_spans"};

class SiteAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ServiceStack>> stack = ServiceStack::Start();
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = std::move(*stack);
    absl::StatusOr<v1::CreateSiteResponse> site = stack_->CreateSite("shop");
    ASSERT_TRUE(site.ok()) << site.status();
    site_ = *site;
  }

  int64_t site_id() const { return site_.site().site_id(); }

  grpc::Status Update(const v1::Site& values,
                      const std::vector<std::string>& paths,
                      v1::Site* out = nullptr, int64_t id = 0) {
    v1::UpdateSiteRequest request;
    request.set_site_id(id == 0 ? site_id() : id);
    *request.mutable_site() = values;
    for (const auto& p : paths) request.mutable_update_mask()->add_paths(p);
    v1::Site response;
    auto context = AuthorizedContext(kAdminToken);
    grpc::Status status =
        stack_->admin().UpdateSite(context.get(), request, &response);
    if (out != nullptr) *out = response;
    return status;
  }

  v1::Site Get(int64_t id) {
    v1::GetSiteRequest request;
    request.set_site_id(id);
    v1::Site site;
    auto context = AuthorizedContext(kAdminToken);
    EXPECT_TRUE(stack_->admin().GetSite(context.get(), request, &site).ok());
    return site;
  }

  grpc::Status Delete(int64_t id, v1::DeleteSiteResponse* out) {
    v1::DeleteSiteRequest request;
    request.set_site_id(id);
    auto context = AuthorizedContext(kAdminToken);
    return stack_->admin().DeleteSite(context.get(), request, out);
  }

  grpc::Status IngestOne(const std::string& write_key, ScenarioEvent event,
                         v1::IngestResponse* response) {
    v1::IngestRequest request;
    *request.add_events() = ToProto(event);
    return stack_->Ingest(write_key, request, response);
  }

  void IngestAll(const std::string& write_key,
                 const std::vector<ScenarioEvent>& events) {
    for (const v1::IngestRequest& request : ToRequests(events, 200)) {
      v1::IngestResponse response;
      grpc::Status status = stack_->Ingest(write_key, request, &response);
      ASSERT_TRUE(status.ok()) << status.error_message();
      ASSERT_EQ(response.accepted(), request.events_size());
    }
  }

  // Rows of `site` in every table that holds site data, in kSiteTables
  // order.
  std::vector<int64_t> RowsOf(int64_t site) {
    std::vector<int64_t> counts;
    for (const char* table : kSiteTables) {
      counts.push_back(stack_->db().QueryInt(
          absl::StrCat("SELECT count(*) FROM ", table, " WHERE site_id = $1"),
          site));
    }
    return counts;
  }

  std::unique_ptr<ServiceStack> stack_;
  v1::CreateSiteResponse site_;
};

ScenarioEvent Track(absl::Time at,
                    std::map<std::string, v1::PropertyValue> properties) {
  ScenarioEvent e;
  e.type = v1::TRACK;
  e.name = "signup";
  e.visitor_id = "v1";
  e.session_id = "s1";
  e.at = at;
  e.properties = std::move(properties);
  return e;
}

v1::PropertyValue Text(const std::string& s) {
  v1::PropertyValue v;
  v.set_string_value(s);
  return v;
}

TEST_F(SiteAdminTest, UpdateSiteChangesExactlyTheMaskedFields) {
  v1::Site origins;
  origins.add_allowed_origins("https://shop.example");
  ASSERT_TRUE(Update(origins, {"allowed_origins"}).ok());
  v1::Site values;
  values.set_name("The Shop");
  values.add_allowed_origins("https://ignored.example");
  values.mutable_settings()->set_time_zone("Asia/Kolkata");
  *values.mutable_settings()->mutable_session_timeout() =
      TimeUtil::SecondsToDuration(600);
  v1::Site updated;
  grpc::Status status =
      Update(values, {"name", "settings.time_zone", "settings.session_timeout"},
             &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(updated.name(), "The Shop");
  EXPECT_EQ(updated.settings().time_zone(), "Asia/Kolkata");
  EXPECT_EQ(TimeUtil::DurationToSeconds(updated.settings().session_timeout()),
            600);
  // Not in the mask: kept.
  ASSERT_EQ(updated.allowed_origins_size(), 1);
  EXPECT_EQ(updated.allowed_origins(0), "https://shop.example");
  EXPECT_EQ(updated.slug(), "shop");
  EXPECT_EQ(
      TimeUtil::DurationToSeconds(updated.settings().raw_retention()),
      TimeUtil::DurationToSeconds(site_.site().settings().raw_retention()));

  // What GetSite reads is what UpdateSite answered.
  const v1::Site stored = Get(site_id());
  EXPECT_EQ(stored.name(), "The Shop");
  EXPECT_EQ(stored.settings().time_zone(), "Asia/Kolkata");
  EXPECT_EQ(stored.allowed_origins_size(), 1);

  // A list in the mask is replaced whole; empty clears it.
  ASSERT_TRUE(Update(v1::Site(), {"allowed_origins"}, &updated).ok());
  EXPECT_EQ(updated.allowed_origins_size(), 0);
  EXPECT_EQ(Get(site_id()).allowed_origins_size(), 0);
  EXPECT_EQ(Get(site_id()).name(), "The Shop");

  // The new session timeout is what the reducer reads for the site.
  EXPECT_EQ(
      stack_->db().QueryInt(
          "SELECT session_timeout_ms FROM sites WHERE site_id = $1", site_id()),
      600000);
}

TEST_F(SiteAdminTest, UpdateSiteRefusesBadMasksAndValuesNamingTheField) {
  struct Case {
    const char* what;
    std::vector<std::string> paths;
    std::function<void(v1::Site*)> set;
    grpc::StatusCode code;
    const char* field;
  };
  const Case cases[] = {
      {"empty mask",
       {},
       [](v1::Site*) {},
       grpc::INVALID_ARGUMENT,
       "update_mask"},
      {"slug is not changeable",
       {"slug"},
       [](v1::Site* s) { s->set_slug("other"); },
       grpc::INVALID_ARGUMENT,
       "update_mask: 'slug'"},
      {"unknown zone",
       {"settings.time_zone"},
       [](v1::Site* s) {
         s->mutable_settings()->set_time_zone("Mars/Olympus");
       },
       grpc::INVALID_ARGUMENT,
       "settings.time_zone"},
      {"session timeout too short",
       {"settings.session_timeout"},
       [](v1::Site* s) {
         *s->mutable_settings()->mutable_session_timeout() =
             TimeUtil::SecondsToDuration(10);
       },
       grpc::INVALID_ARGUMENT,
       "settings.session_timeout"},
      {"origin with a path",
       {"allowed_origins"},
       [](v1::Site* s) { s->add_allowed_origins("https://a.example/path"); },
       grpc::INVALID_ARGUMENT,
       "allowed_origins"},
      {"empty property key",
       {"settings.property_allowlist"},
       [](v1::Site* s) { s->mutable_settings()->add_property_allowlist(""); },
       grpc::INVALID_ARGUMENT,
       "settings.property_allowlist"},
      {"control character",
       {"settings.property_denylist"},
       [](v1::Site* s) {
         s->mutable_settings()->add_property_denylist("a\nb");
       },
       grpc::INVALID_ARGUMENT,
       "settings.property_denylist"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    v1::Site values;
    // A valid change next to the bad one must not be applied either.
    values.set_name("changed");
    c.set(&values);
    std::vector<std::string> paths = c.paths;
    if (!paths.empty()) paths.push_back("name");
    grpc::Status status = Update(values, paths);
    EXPECT_EQ(status.error_code(), c.code);
    EXPECT_THAT(status.error_message(), HasSubstr(c.field));
    EXPECT_EQ(Get(site_id()).name(), "shop");
  }
  v1::Site values;
  values.set_name("x");
  EXPECT_EQ(Update(values, {"name"}, nullptr, 999999).error_code(),
            grpc::NOT_FOUND);
  // Without the admin token.
  v1::UpdateSiteRequest request;
  request.set_site_id(site_id());
  request.mutable_update_mask()->add_paths("name");
  v1::Site response;
  auto context = AuthorizedContext(site_.read_key());
  EXPECT_EQ(stack_->admin()
                .UpdateSite(context.get(), request, &response)
                .error_code(),
            grpc::UNAUTHENTICATED);
}

TEST_F(SiteAdminTest, PropertyListsDecideWhichKeysIngestStores) {
  v1::Site values;
  values.mutable_settings()->add_property_allowlist("plan");
  values.mutable_settings()->add_property_allowlist("seats");
  values.mutable_settings()->add_property_allowlist("email");
  values.mutable_settings()->add_property_denylist("email");
  v1::Site updated;
  ASSERT_TRUE(
      Update(values,
             {"settings.property_allowlist", "settings.property_denylist"},
             &updated)
          .ok());
  EXPECT_EQ(updated.settings().property_allowlist_size(), 3);
  EXPECT_EQ(updated.settings().property_denylist_size(), 1);

  const absl::Time at = absl::Now() - absl::Minutes(5);
  v1::IngestResponse response;
  grpc::Status status = IngestOne(site_.write_key(),
                                  Track(at, {{"plan", Text("pro")},
                                             {"seats", Text("5")},
                                             {"email", Text("a@b.example")},
                                             {"coupon", Text("X1")}}),
                                  &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.accepted(), 1);
  EXPECT_EQ(response.rejected_size(), 0);
  pqxx::result stored = stack_->db().Query(
      "SELECT properties::text FROM events WHERE site_id = $1", site_id());
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0][0].as<std::string>(), R"({"plan": "pro", "seats": "5"})");

  // A dropped key is still validated: a bad value rejects the event.
  v1::PropertyValue empty;  // no value set
  ASSERT_TRUE(
      IngestOne(site_.write_key(), Track(at, {{"coupon", empty}}), &response)
          .ok());
  EXPECT_EQ(response.accepted(), 0);
  ASSERT_EQ(response.rejected_size(), 1);
  EXPECT_EQ(response.rejected(0).field(), "properties.coupon");

  // Cleared lists: every key is stored again.
  ASSERT_TRUE(Update(v1::Site(), {"settings.property_allowlist",
                                  "settings.property_denylist"})
                  .ok());
  ASSERT_TRUE(
      IngestOne(site_.write_key(),
                Track(at + absl::Seconds(1),
                      {{"email", Text("c@d.example")}, {"coupon", Text("X2")}}),
                &response)
          .ok());
  EXPECT_EQ(response.accepted(), 1);
  EXPECT_EQ(stack_->db().QueryInt(
                "SELECT count(*) FROM events WHERE site_id = $1 AND "
                "properties = '{\"email\": \"c@d.example\", \"coupon\": "
                "\"X2\"}'::jsonb",
                site_id()),
            1);
}

TEST_F(SiteAdminTest, DisabledSitesRefuseIngestUntilEnabled) {
  auto set_disabled = [&](bool disabled, int64_t id, v1::Site* out) {
    v1::SiteStateRequest request;
    request.set_site_id(id);
    auto context = AuthorizedContext(kAdminToken);
    return disabled ? stack_->admin().DisableSite(context.get(), request, out)
                    : stack_->admin().EnableSite(context.get(), request, out);
  };
  const ScenarioEvent event = Track(absl::Now() - absl::Minutes(1), {});
  v1::Site site;
  ASSERT_TRUE(set_disabled(true, site_id(), &site).ok());
  EXPECT_TRUE(site.disabled());
  ASSERT_TRUE(set_disabled(true, site_id(), &site).ok());  // idempotent
  EXPECT_TRUE(Get(site_id()).disabled());

  v1::IngestResponse response;
  grpc::Status refused = IngestOne(site_.write_key(), event, &response);
  EXPECT_EQ(refused.error_code(), grpc::UNAUTHENTICATED);
  EXPECT_THAT(refused.error_message(), HasSubstr("disabled"));
  EXPECT_EQ(stack_->db().QueryInt("SELECT count(*) FROM events"), 0);
  // Reads still work.
  v1::Overview overview;
  EXPECT_TRUE(stack_
                  ->GetOverview(site_.read_key(), site_id(),
                                absl::Now() - absl::Hours(1), absl::Now(),
                                &overview)
                  .ok());

  ASSERT_TRUE(set_disabled(false, site_id(), &site).ok());
  EXPECT_FALSE(site.disabled());
  grpc::Status accepted = IngestOne(site_.write_key(), event, &response);
  ASSERT_TRUE(accepted.ok()) << accepted.error_message();
  EXPECT_EQ(response.accepted(), 1);

  EXPECT_EQ(set_disabled(true, 999999, &site).error_code(), grpc::NOT_FOUND);
}

TEST_F(SiteAdminTest, DeleteSitePurgesEveryRowOfThatSiteAndNoOther) {
  absl::StatusOr<v1::CreateSiteResponse> other = stack_->CreateSite("other");
  ASSERT_TRUE(other.ok()) << other.status();
  const absl::Time hour = FloorHour(absl::Now()) - absl::Hours(3);
  ASSERT_NO_FATAL_FAILURE(
      IngestAll(site_.write_key(), PricingFunnel(hour, 60)));
  ASSERT_NO_FATAL_FAILURE(
      IngestAll(other->write_key(), PricingFunnel(hour, 40)));
  ASSERT_TRUE(stack_->Drain().ok());
  // A few left in the queue, never reduced.
  std::vector<ScenarioEvent> queued;
  for (int i = 0; i < 3; ++i) {
    queued.push_back(Track(hour + absl::Hours(1) + absl::Seconds(i), {}));
    queued.back().event_id = absl::StrCat("queued-", i);
  }
  ASSERT_NO_FATAL_FAILURE(IngestAll(site_.write_key(), queued));

  const std::vector<int64_t> before = RowsOf(site_id());
  const std::vector<int64_t> other_before = RowsOf(other->site().site_id());
  int64_t total = 0;
  for (int64_t n : before) total += n;
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_GT(before[i], 0) << kSiteTables[i];
  }
  ASSERT_GT(total, 6 * kPurgeBatchRows);  // several batches
  v1::Overview other_overview;
  ASSERT_TRUE(stack_
                  ->GetOverview(other->read_key(), other->site().site_id(),
                                hour, hour + absl::Hours(2), &other_overview)
                  .ok());

  v1::DeleteSiteResponse deleted;
  grpc::Status status = Delete(site_id(), &deleted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(deleted.done());
  EXPECT_EQ(deleted.rows_deleted(), total);
  EXPECT_EQ(RowsOf(site_id()), std::vector<int64_t>(before.size(), 0));
  EXPECT_EQ(RowsOf(other->site().site_id()), other_before);
  EXPECT_EQ(stack_->db().QueryInt(
                "SELECT count(*) FROM sites WHERE site_id = $1", site_id()),
            0);
  EXPECT_EQ(stack_->db().QueryInt(
                "SELECT count(*) FROM site_keys WHERE site_id = $1", site_id()),
            0);

  // Gone for every caller; the other site is as it was.
  v1::GetSiteRequest get;
  get.set_site_id(site_id());
  v1::Site site;
  auto context = AuthorizedContext(kAdminToken);
  EXPECT_EQ(stack_->admin().GetSite(context.get(), get, &site).error_code(),
            grpc::NOT_FOUND);
  v1::IngestResponse response;
  EXPECT_EQ(IngestOne(site_.write_key(), queued[0], &response).error_code(),
            grpc::UNAUTHENTICATED);
  v1::Overview overview;
  EXPECT_EQ(stack_
                ->GetOverview(site_.read_key(), site_id(), hour,
                              hour + absl::Hours(2), &overview)
                .error_code(),
            grpc::UNAUTHENTICATED);
  v1::Overview other_after;
  ASSERT_TRUE(stack_
                  ->GetOverview(other->read_key(), other->site().site_id(),
                                hour, hour + absl::Hours(2), &other_after)
                  .ok());
  EXPECT_EQ(other_after.events(), other_overview.events());
  EXPECT_EQ(other_after.visitors(), 40);
  EXPECT_EQ(Delete(site_id(), &deleted).error_code(), grpc::NOT_FOUND);
  // The slug is free again.
  EXPECT_TRUE(stack_->CreateSite("shop").ok());
}

// The purge on its own: a deadline too short for a batch does nothing and
// a later call resumes; all rows go, but the site stays (marked deleted:
// not listed, not changeable, no keys) until the quiet period is over; and
// a write key cached from before stores nothing.
TEST_F(SiteAdminTest, DeletionResumesAndKeepsTheSiteUntilTheQuietPeriodEnds) {
  const absl::Time hour = FloorHour(absl::Now()) - absl::Hours(2);
  ASSERT_NO_FATAL_FAILURE(
      IngestAll(site_.write_key(), PricingFunnel(hour, 20)));
  ASSERT_TRUE(stack_->Drain().ok());
  std::vector<int64_t> before = RowsOf(site_id());
  int64_t total = 0;
  for (int64_t n : before) total += n;

  std::vector<db::Statement> statements = SiteRepository::Statements();
  for (const auto& s : ingest::SitePurge::Statements()) statements.push_back(s);
  for (const auto& s : ingest::EventRepository::Statements()) {
    statements.push_back(s);
  }
  db::ConnectionPool pool(db::PoolOptions{.url = stack_->db().url(), .size = 2},
                          statements);
  SiteRepository sites(&pool);
  ingest::SitePurge purge(&pool, 10, absl::Hours(1));

  EXPECT_EQ(purge.Purge(site_id(), absl::InfiniteDuration()).status().code(),
            absl::StatusCode::kFailedPrecondition);  // not marked deleted
  ASSERT_TRUE(sites.MarkDeleted(site_id()).ok());

  // An Ingest that got past the key check before the deletion (a cached
  // key) stores nothing.
  ingest::EventRepository events(&pool);
  ingest::IngestEvent late;
  late.type = v1::PAGEVIEW;
  late.occurred_at = hour;
  late.visitor_id = "late";
  late.session_id = "late";
  late.path = "/";
  late.properties_json = "{}";
  absl::StatusOr<int> stored = events.Store({site_id(), {late}});
  EXPECT_EQ(stored.status().code(), absl::StatusCode::kUnauthenticated);

  absl::StatusOr<ingest::PurgeProgress> none =
      purge.Purge(site_id(), absl::Milliseconds(1));
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->rows_deleted, 0);
  EXPECT_FALSE(none->done);
  EXPECT_EQ(RowsOf(site_id()), before);

  absl::StatusOr<ingest::PurgeProgress> all =
      purge.Purge(site_id(), absl::InfiniteDuration());
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->rows_deleted, total);
  EXPECT_FALSE(all->done);  // quiet period
  EXPECT_EQ(RowsOf(site_id()), std::vector<int64_t>(before.size(), 0));

  const v1::Site marked = Get(site_id());
  EXPECT_TRUE(marked.deleted());
  EXPECT_TRUE(marked.disabled());
  v1::ListSitesResponse listed;
  auto context = AuthorizedContext(kAdminToken);
  ASSERT_TRUE(stack_->admin()
                  .ListSites(context.get(), v1::ListSitesRequest(), &listed)
                  .ok());
  EXPECT_EQ(listed.sites_size(), 0);
  v1::Site values;
  values.set_name("x");
  EXPECT_EQ(Update(values, {"name"}).error_code(), grpc::NOT_FOUND);
  v1::RotateKeyRequest rotate;
  rotate.set_site_id(site_id());
  v1::RotateKeyResponse rotated;
  auto rotate_context = AuthorizedContext(kAdminToken);
  EXPECT_EQ(stack_->admin()
                .RotateWriteKey(rotate_context.get(), rotate, &rotated)
                .error_code(),
            grpc::NOT_FOUND);
  EXPECT_EQ(stack_->db().QueryInt(
                "SELECT count(*) FROM site_keys WHERE site_id = $1 AND "
                "(expires_at IS NULL OR expires_at > now())",
                site_id()),
            0);

  // The stack's AdminService has no quiet period: the next call finishes.
  v1::DeleteSiteResponse deleted;
  ASSERT_TRUE(Delete(site_id(), &deleted).ok());
  EXPECT_TRUE(deleted.done());
  EXPECT_EQ(deleted.rows_deleted(), 0);
}

}  // namespace
}  // namespace analytics::testing
