// Every way a caller can be refused, through the real services: whole-request
// errors carry the right gRPC code and write nothing; per-event problems are
// reported by index and field while the rest of the batch is stored.
#include "common/time/pg_time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "tests/support/scenario.h"
#include "tests/support/stack.h"

namespace analytics::testing {
namespace {

using ::testing::HasSubstr;

class RejectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ServiceStack>> stack = ServiceStack::Start();
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = std::move(*stack);
    absl::StatusOr<v1::CreateSiteResponse> a = stack_->CreateSite("site-a");
    absl::StatusOr<v1::CreateSiteResponse> b =
        stack_->CreateSite("site-b", {"https://b.example"});
    ASSERT_TRUE(a.ok()) << a.status();
    ASSERT_TRUE(b.ok()) << b.status();
    a_ = *a;
    b_ = *b;
  }

  v1::Event GoodEvent(int n = 0) {
    v1::Event event;
    event.set_type(v1::PAGEVIEW);
    event.set_visitor_id("v");
    event.set_session_id("s");
    event.set_path("/");
    *event.mutable_occurred_at() =
        google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
            absl::ToUnixMicros(absl::Now()) - n);
    return event;
  }

  v1::IngestRequest OneEvent() {
    v1::IngestRequest request;
    *request.add_events() = GoodEvent();
    return request;
  }

  grpc::Status Ingest(const std::string& key, const v1::IngestRequest& request,
                      v1::IngestResponse* response = nullptr) {
    v1::IngestResponse ignored;
    return stack_->Ingest(key, request, response ? response : &ignored);
  }

  int64_t StoredEvents() {
    return stack_->db().QueryInt("SELECT count(*) FROM events");
  }

  std::unique_ptr<ServiceStack> stack_;
  v1::CreateSiteResponse a_, b_;
};

TEST_F(RejectionTest, IngestWithoutValidWriteKeyIsUnauthenticated) {
  v1::IngestResponse response;
  grpc::ClientContext no_metadata;
  EXPECT_EQ(
      stack_->ingest().Ingest(&no_metadata, OneEvent(), &response).error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Ingest("wk_unknown", OneEvent()).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // A read key is not a write key.
  EXPECT_EQ(Ingest(a_.read_key(), OneEvent()).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  grpc::ClientContext basic;
  basic.AddMetadata("authorization", "Basic " + a_.write_key());
  EXPECT_EQ(stack_->ingest().Ingest(&basic, OneEvent(), &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(StoredEvents(), 0);
}

TEST_F(RejectionTest, OriginOutsideAllowListIsPermissionDenied) {
  v1::IngestRequest request = OneEvent();
  request.set_origin("https://evil.example");
  grpc::Status status = Ingest(b_.write_key(), request);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  request.set_origin("https://b.example");
  EXPECT_TRUE(Ingest(b_.write_key(), request).ok());
  // Site A has no allow-list: any origin.
  request.set_origin("https://evil.example");
  EXPECT_TRUE(Ingest(a_.write_key(), request).ok());
  EXPECT_EQ(StoredEvents(), 2);
}

TEST_F(RejectionTest, BatchLimitsAreInvalidArgumentNamingTheLimit) {
  grpc::Status empty = Ingest(a_.write_key(), v1::IngestRequest());
  EXPECT_EQ(empty.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(empty.error_message(), HasSubstr("empty"));

  v1::IngestRequest too_many;
  for (int i = 0; i < 501; ++i) *too_many.add_events() = GoodEvent(i);
  grpc::Status many = Ingest(a_.write_key(), too_many);
  EXPECT_EQ(many.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(many.error_message(), HasSubstr("500"));
  too_many.mutable_events()->RemoveLast();
  v1::IngestResponse response;
  ASSERT_TRUE(Ingest(a_.write_key(), too_many, &response).ok());
  EXPECT_EQ(response.accepted(), 500);

  v1::IngestRequest too_big;
  for (int i = 0; i < 300; ++i) {
    v1::Event event = GoodEvent(i);
    // Built in place: GCC 12 misreports "/" + std::string (-Wrestrict,
    // bug 105329) once sanitizers instrument it.
    std::string path(2001, 'p');
    path[0] = '/';
    event.set_path(path);
    event.set_title(std::string(2000, 't'));
    *too_big.add_events() = event;
  }
  grpc::Status big = Ingest(a_.write_key(), too_big);
  EXPECT_EQ(big.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(big.error_message(), HasSubstr("1048576"));
  EXPECT_EQ(StoredEvents(), 500);
}

TEST_F(RejectionTest, InvalidEventsAreReportedAndTheRestStored) {
  v1::IngestRequest request;
  *request.add_events() = GoodEvent();  // 0: ok
  v1::Event no_visitor = GoodEvent();
  no_visitor.clear_visitor_id();
  *request.add_events() = no_visitor;  // 1
  v1::Event no_session = GoodEvent();
  no_session.clear_session_id();
  *request.add_events() = no_session;  // 2
  v1::Event track = GoodEvent();
  track.set_type(v1::TRACK);
  *request.add_events() = track;  // 3: TRACK without name
  v1::Event long_name = track;
  long_name.set_name(std::string(201, 'n'));
  *request.add_events() = long_name;  // 4
  v1::Event long_path = GoodEvent();
  long_path.set_path(std::string(2049, 'p'));
  *request.add_events() = long_path;  // 5
  v1::Event props = GoodEvent();
  for (int i = 0; i < 33; ++i) {
    (*props.mutable_properties())[absl::StrCat("k", i)].set_bool_value(true);
  }
  *request.add_events() = props;  // 6
  v1::Event future = GoodEvent();
  future.mutable_occurred_at()->set_seconds(
      absl::ToUnixSeconds(absl::Now() + absl::Minutes(6)));
  *request.add_events() = future;  // 7
  v1::Event ancient = GoodEvent();
  ancient.mutable_occurred_at()->set_seconds(
      absl::ToUnixSeconds(absl::Now() - absl::Hours(24 * 401)));
  *request.add_events() = ancient;  // 8
  v1::Event named = track;
  named.set_name("signup");
  *request.add_events() = named;  // 9: ok

  v1::IngestResponse response;
  grpc::Status status = Ingest(a_.write_key(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.accepted(), 2);
  ASSERT_EQ(response.rejected_size(), 8);
  const std::pair<int, std::string> expected[] = {
      {1, "visitor_id"},  {2, "session_id"}, {3, "name"},
      {4, "name"},        {5, "path"},       {6, "properties"},
      {7, "occurred_at"}, {8, "occurred_at"}};
  for (int i = 0; i < 8; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(response.rejected(i).index(), expected[i].first);
    EXPECT_EQ(response.rejected(i).field(), expected[i].second);
    EXPECT_FALSE(response.rejected(i).reason().empty());
  }
  EXPECT_EQ(StoredEvents(), 2);
  ASSERT_TRUE(stack_->Drain().ok());
  v1::Overview overview;
  ASSERT_TRUE(stack_
                  ->GetOverview(a_.read_key(), a_.site().site_id(),
                                absl::Now() - absl::Hours(1),
                                absl::Now() + absl::Hours(1), &overview)
                  .ok());
  EXPECT_EQ(overview.events(), 2);
  EXPECT_EQ(overview.pageviews(), 1);
}

TEST_F(RejectionTest, OverviewChecksKeysAndRange) {
  const int64_t site_a = a_.site().site_id();
  const absl::Time now = absl::Now();
  v1::Overview overview;
  EXPECT_EQ(stack_
                ->GetOverview("rk_unknown", site_a, now - absl::Hours(1), now,
                              &overview)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(stack_
                ->GetOverview(a_.write_key(), site_a, now - absl::Hours(1), now,
                              &overview)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(stack_
                ->GetOverview(b_.read_key(), site_a, now - absl::Hours(1), now,
                              &overview)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status reversed = stack_->GetOverview(a_.read_key(), site_a, now,
                                              now - absl::Hours(1), &overview);
  EXPECT_EQ(reversed.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(reversed.error_message(), HasSubstr("from"));
  v1::GetOverviewRequest no_range;
  no_range.set_site_id(site_a);
  auto context = AuthorizedContext(a_.read_key());
  EXPECT_EQ(stack_->query()
                .GetOverview(context.get(), no_range, &overview)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // The admin token reads any existing site; an unknown site is NOT_FOUND.
  EXPECT_TRUE(stack_
                  ->GetOverview(kAdminToken, site_a, now - absl::Hours(1), now,
                                &overview)
                  .ok());
  EXPECT_EQ(stack_
                ->GetOverview(kAdminToken, 987654, now - absl::Hours(1), now,
                              &overview)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(RejectionTest, AdminCallsNeedTheAdminToken) {
  v1::CreateSiteRequest request;
  request.set_slug("new-site");
  request.set_name("New");
  v1::CreateSiteResponse response;
  auto wrong = AuthorizedContext("not-the-token");
  EXPECT_EQ(
      stack_->admin().CreateSite(wrong.get(), request, &response).error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
  auto write_key = AuthorizedContext(a_.write_key());
  v1::ListSitesResponse sites;
  EXPECT_EQ(stack_->admin()
                .ListSites(write_key.get(), v1::ListSitesRequest(), &sites)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  EXPECT_EQ(stack_->CreateSite("site-a").status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(stack_->CreateSite("Bad Slug!").status().code(),
            absl::StatusCode::kInvalidArgument);

  auto admin = AuthorizedContext(kAdminToken);
  ASSERT_TRUE(stack_->admin()
                  .ListSites(admin.get(), v1::ListSitesRequest(), &sites)
                  .ok());
  ASSERT_EQ(sites.sites_size(), 2);
  EXPECT_EQ(sites.sites(0).slug(), "site-a");
  EXPECT_EQ(sites.sites(1).allowed_origins(0), "https://b.example");

  v1::GetSiteRequest by_slug;
  by_slug.set_slug("site-b");
  v1::Site site;
  auto admin2 = AuthorizedContext(kAdminToken);
  ASSERT_TRUE(stack_->admin().GetSite(admin2.get(), by_slug, &site).ok());
  EXPECT_EQ(site.site_id(), b_.site().site_id());
  EXPECT_EQ(site.settings().session_timeout().seconds(), 1800);

  // Only the SHA-256 of a key is stored.
  EXPECT_EQ(stack_->db().QueryInt(
                "SELECT count(*) FROM site_keys WHERE encode(key_hash, 'hex') ="
                " encode(sha256(convert_to($1, 'UTF8')), 'hex')",
                a_.write_key()),
            1);
}

}  // namespace
}  // namespace analytics::testing

namespace analytics::testing {
namespace {

TEST_F(RejectionTest, RotatedKeysEndAfterTheirGracePeriod) {
  const int64_t site_a = a_.site().site_id();
  const absl::Time now = absl::Now();
  v1::RotateKeyRequest request;
  request.set_site_id(site_a);
  request.mutable_grace_period()->set_seconds(0);
  v1::RotateKeyResponse read;
  auto c1 = AuthorizedContext(kAdminToken);
  ASSERT_TRUE(stack_->admin().RotateReadKey(c1.get(), request, &read).ok());
  EXPECT_EQ(read.key().rfind("rk_", 0), 0u);
  v1::Overview overview;
  EXPECT_EQ(stack_
                ->GetOverview(a_.read_key(), site_a, now - absl::Hours(1), now,
                              &overview)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(stack_
                  ->GetOverview(read.key(), site_a, now - absl::Hours(1), now,
                                &overview)
                  .ok());

  // With a grace period both write keys work meanwhile.
  request.mutable_grace_period()->set_seconds(3600);
  v1::RotateKeyResponse write;
  auto c2 = AuthorizedContext(kAdminToken);
  ASSERT_TRUE(stack_->admin().RotateWriteKey(c2.get(), request, &write).ok());
  EXPECT_TRUE(Ingest(a_.write_key(), OneEvent()).ok());
  EXPECT_TRUE(Ingest(write.key(), OneEvent()).ok());
  EXPECT_EQ(StoredEvents(), 2);

  request.mutable_grace_period()->set_seconds(-1);
  auto c3 = AuthorizedContext(kAdminToken);
  EXPECT_EQ(
      stack_->admin().RotateWriteKey(c3.get(), request, &write).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
  request.set_site_id(424242);
  request.clear_grace_period();
  auto c4 = AuthorizedContext(kAdminToken);
  EXPECT_EQ(
      stack_->admin().RotateReadKey(c4.get(), request, &read).error_code(),
      grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace analytics::testing
