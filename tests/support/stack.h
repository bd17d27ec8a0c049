// In-process service pair for integration tests: the real IngestService,
// AdminService and QueryService behind a real gRPC server on a free local
// port, over one TestDatabase, plus reducer replicas the test drives pass by
// pass. Everything but process boundaries is the production code path.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "analytics/v1/admin.grpc.pb.h"
#include "analytics/v1/ingest.grpc.pb.h"
#include "analytics/v1/query.grpc.pb.h"
#include "common/db/connection_pool.h"
#include "common/sites/site_repository.h"
#include "ingest-service/src/admin_service.h"
#include "ingest-service/src/event_repository.h"
#include "ingest-service/src/ingest_service.h"
#include "ingest-service/src/site_rate_limit.h"
#include "reducer-service/src/activity_repository.h"
#include "reducer-service/src/query_service.h"
#include "reducer-service/src/reducer_worker.h"
#include "reducer-service/src/reduction_repository.h"
#include "reducer-service/src/report_repository.h"
#include "tests/support/test_database.h"

namespace analytics::testing {

inline constexpr char kAdminToken[] = "test-admin-token";
// Rows per table per DeleteSite transaction in the stack.
inline constexpr int kPurgeBatchRows = 50;

// One reducer process's worth of state: its own pool, repository and worker.
class ReducerReplica {
 public:
  ReducerReplica(const std::string& database_url, int batch_size,
                 reducer::PlanOptions plan_options = {},
                 reducer::BackoffPolicy backoff = {});

  // Runs passes until one claims nothing; returns the events reduced.
  absl::StatusOr<int> Drain();
  reducer::ReducerWorker& worker() { return worker_; }

 private:
  db::ConnectionPool pool_;
  reducer::ReductionRepository repository_;
  reducer::ReducerWorker worker_;
};

// What a test may change about the stack; the defaults are production's.
struct StackOptions {
  // Per-site Ingest rate limit; off by default.
  ingest::SiteRateLimit site_rate_limit;
  // The limiter's clock (e.g. a FakeClock, so no refill happens between a
  // test's calls); null: the real clock. Must outlive the stack.
  const Clock* rate_limit_clock = nullptr;
  // How the stack's EventRepository groups concurrent Ingest calls.
  ingest::GroupCommitOptions group_commit;
};

class ServiceStack {
 public:
  // Creates a database and starts the server; fails with the reason.
  static absl::StatusOr<std::unique_ptr<ServiceStack>> Start(
      StackOptions options = {});
  ~ServiceStack();

  TestDatabase& db() { return *db_; }
  // The metrics the in-process services count into.
  Metrics& metrics() { return metrics_; }

  // Creates a site through AdminService.
  absl::StatusOr<v1::CreateSiteResponse> CreateSite(
      const std::string& slug, std::vector<std::string> allowed_origins = {});

  grpc::Status Ingest(const std::string& write_key,
                      const v1::IngestRequest& request,
                      v1::IngestResponse* response);
  grpc::Status GetOverview(const std::string& read_key, int64_t site_id,
                           absl::Time from, absl::Time to,
                           v1::Overview* response);

  // VerifyRollups (or, with `rebuild`, RebuildRollups) of site `site_id`
  // over [from, to) with the admin token; a failed call fails the test.
  v1::RollupCheckResponse CheckRollups(int64_t site_id, absl::Time from,
                                       absl::Time to, bool rebuild);

  // Stubs for calls the helpers above do not cover.
  v1::AdminService::Stub& admin() { return *admin_stub_; }
  v1::IngestService::Stub& ingest() { return *ingest_stub_; }
  v1::QueryService::Stub& query() { return *query_stub_; }

  // Reduces everything queued with a fresh replica of `batch_size`.
  absl::StatusOr<int> Drain(int batch_size = 500);

 private:
  ServiceStack() = default;

  std::unique_ptr<TestDatabase> db_;
  Metrics metrics_;
  std::unique_ptr<db::ConnectionPool> pool_;
  std::unique_ptr<SiteRepository> sites_;
  std::unique_ptr<SiteKeyCache> keys_;
  std::unique_ptr<ingest::EventRepository> events_;
  std::unique_ptr<ingest::SiteRateLimiter> rate_limiter_;
  std::unique_ptr<ingest::IngestServiceImpl> ingest_;
  std::unique_ptr<ingest::FailedEventRepository> failed_;
  std::unique_ptr<ingest::RollupAudit> audit_;
  std::unique_ptr<ingest::SitePurge> purge_;
  std::unique_ptr<ingest::AdminServiceImpl> admin_;
  std::unique_ptr<reducer::ReportRepository> overview_;
  std::unique_ptr<reducer::ActivityRepository> activity_;
  std::unique_ptr<reducer::QueryServiceImpl> query_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::AdminService::Stub> admin_stub_;
  std::unique_ptr<v1::IngestService::Stub> ingest_stub_;
  std::unique_ptr<v1::QueryService::Stub> query_stub_;
};

v1::GetOverviewRequest OverviewRequest(int64_t site_id, absl::Time from,
                                       absl::Time to);

// A client context carrying `authorization: Bearer <token>` and a deadline.
std::unique_ptr<grpc::ClientContext> AuthorizedContext(
    const std::string& token);

}  // namespace analytics::testing
