// In-process service pair.
#include "tests/support/stack.h"

#include "common/auth/keys.h"
#include "common/server/call_cancellation.h"
#include "common/time/clock.h"
#include "common/time/proto_time.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace analytics::testing {
namespace {

using google::protobuf::util::TimeUtil;

std::vector<db::Statement> AllStatements() {
  std::vector<db::Statement> all = SiteRepository::Statements();
  for (const auto& list :
       {ingest::EventRepository::Statements(),
        ingest::FailedEventRepository::Statements(),
        ingest::RollupAudit::Statements(), ingest::SitePurge::Statements(),
        reducer::ReductionRepository::Statements(),
        reducer::ReportRepository::Statements(),
        reducer::ActivityRepository::Statements()}) {
    all.insert(all.end(), list.begin(), list.end());
  }
  return all;
}

}  // namespace

std::unique_ptr<grpc::ClientContext> AuthorizedContext(
    const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + token);
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(30));
  return context;
}

v1::GetOverviewRequest OverviewRequest(int64_t site_id, absl::Time from,
                                       absl::Time to) {
  v1::GetOverviewRequest request;
  request.set_site_id(site_id);
  *request.mutable_from() =
      TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(from));
  *request.mutable_to() =
      TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(to));
  return request;
}

ReducerReplica::ReducerReplica(const std::string& database_url, int batch_size,
                               reducer::PlanOptions plan_options,
                               reducer::BackoffPolicy backoff)
    : pool_(db::PoolOptions{.url = database_url,
                            .size = 2,
                            .application_name = "test-reducer"},
            AllStatements()),
      repository_(&pool_, backoff, std::move(plan_options)),
      worker_(&repository_, [batch_size] {
        reducer::WorkerOptions options;
        options.batch_size = batch_size;
        return options;
      }()) {}

absl::StatusOr<int> ReducerReplica::Drain() {
  int reduced = 0;
  while (true) {
    absl::StatusOr<reducer::PassResult> pass = worker_.RunPass();
    if (!pass.ok()) return pass.status();
    if (pass->claimed.empty()) return reduced;
    reduced += pass->reduced;
  }
}

absl::StatusOr<std::unique_ptr<ServiceStack>> ServiceStack::Start(
    StackOptions options) {
  std::unique_ptr<ServiceStack> stack(new ServiceStack());
  absl::StatusOr<std::unique_ptr<TestDatabase>> db = TestDatabase::Create();
  if (!db.ok()) return db.status();
  stack->db_ = std::move(*db);
  stack->pool_ = std::make_unique<db::ConnectionPool>(
      db::PoolOptions{.url = stack->db_->url(),
                      .size = 8,
                      .application_name = "test-stack"},
      AllStatements());
  stack->sites_ = std::make_unique<SiteRepository>(stack->pool_.get());
  // No caching, so tests see key changes at once.
  stack->keys_ = std::make_unique<SiteKeyCache>(
      stack->sites_.get(), &Clock::Real(), absl::ZeroDuration());
  stack->events_ = std::make_unique<ingest::EventRepository>(
      stack->pool_.get(), options.group_commit);
  stack->rate_limiter_ = std::make_unique<ingest::SiteRateLimiter>(
      options.site_rate_limit, options.rate_limit_clock != nullptr
                                   ? options.rate_limit_clock
                                   : &Clock::Real());
  stack->ingest_ = std::make_unique<ingest::IngestServiceImpl>(
      stack->keys_.get(), stack->events_.get(), &Clock::Real(),
      ingest::IngestLimits{}, &stack->metrics_, stack->rate_limiter_.get());
  stack->failed_ =
      std::make_unique<ingest::FailedEventRepository>(stack->pool_.get());
  stack->audit_ = std::make_unique<ingest::RollupAudit>(stack->pool_.get());
  // Small batches, so a test's DeleteSite takes many of them; no quiet
  // period (tests wait for their own Ingest calls).
  stack->purge_ = std::make_unique<ingest::SitePurge>(
      stack->pool_.get(), kPurgeBatchRows, absl::ZeroDuration());
  stack->admin_ = std::make_unique<ingest::AdminServiceImpl>(
      stack->sites_.get(), stack->failed_.get(), stack->audit_.get(),
      stack->purge_.get(), HashKey(kAdminToken));
  stack->overview_ =
      std::make_unique<reducer::ReportRepository>(stack->pool_.get());
  stack->activity_ =
      std::make_unique<reducer::ActivityRepository>(stack->pool_.get());
  reducer::QueryOptions query_options;
  query_options.admin_token_hash = HashKey(kAdminToken);
  stack->query_ = std::make_unique<reducer::QueryServiceImpl>(
      stack->keys_.get(), stack->sites_.get(), stack->overview_.get(),
      stack->activity_.get(), query_options);

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  // As RunServer does, so in-process calls stop their statements when
  // cancelled.
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(MakeCallCancellationInterceptor());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  builder.RegisterService(stack->ingest_.get());
  builder.RegisterService(stack->admin_.get());
  builder.RegisterService(stack->query_.get());
  stack->server_ = builder.BuildAndStart();
  if (stack->server_ == nullptr || port == 0) {
    return absl::UnavailableError("could not start the test gRPC server");
  }
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                     grpc::InsecureChannelCredentials());
  stack->admin_stub_ = v1::AdminService::NewStub(channel);
  stack->ingest_stub_ = v1::IngestService::NewStub(channel);
  stack->query_stub_ = v1::QueryService::NewStub(channel);
  return stack;
}

ServiceStack::~ServiceStack() {
  if (server_ != nullptr) server_->Shutdown();
}

absl::StatusOr<v1::CreateSiteResponse> ServiceStack::CreateSite(
    const std::string& slug, std::vector<std::string> allowed_origins) {
  v1::CreateSiteRequest request;
  request.set_slug(slug);
  request.set_name(slug);
  for (auto& origin : allowed_origins) request.add_allowed_origins(origin);
  v1::CreateSiteResponse response;
  auto context = AuthorizedContext(kAdminToken);
  grpc::Status status =
      admin_stub_->CreateSite(context.get(), request, &response);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        status.error_message());
  }
  return response;
}

grpc::Status ServiceStack::Ingest(const std::string& write_key,
                                  const v1::IngestRequest& request,
                                  v1::IngestResponse* response) {
  auto context = AuthorizedContext(write_key);
  return ingest_stub_->Ingest(context.get(), request, response);
}

grpc::Status ServiceStack::GetOverview(const std::string& read_key,
                                       int64_t site_id, absl::Time from,
                                       absl::Time to, v1::Overview* response) {
  auto context = AuthorizedContext(read_key);
  return query_stub_->GetOverview(context.get(),
                                  OverviewRequest(site_id, from, to), response);
}

v1::RollupCheckResponse ServiceStack::CheckRollups(int64_t site_id,
                                                   absl::Time from,
                                                   absl::Time to,
                                                   bool rebuild) {
  v1::RollupCheckRequest request;
  request.set_site_id(site_id);
  *request.mutable_from() = ToProtoTimestamp(from);
  *request.mutable_to() = ToProtoTimestamp(to);
  v1::RollupCheckResponse response;
  auto context = AuthorizedContext(kAdminToken);
  grpc::Status status =
      rebuild ? admin_stub_->RebuildRollups(context.get(), request, &response)
              : admin_stub_->VerifyRollups(context.get(), request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

absl::StatusOr<int> ServiceStack::Drain(int batch_size) {
  ReducerReplica replica(db_->url(), batch_size);
  return replica.Drain();
}

}  // namespace analytics::testing
