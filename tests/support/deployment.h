// Deployment: our binaries as child processes on one TestDatabase, the way
// an operator runs them: one ingest-service, any number of reducer replicas,
// and a query-only reducer-service (--reduce=false) that stays up while
// replicas are killed, so the test can always ask for numbers. Clients talk
// to them only through gRPC.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "analytics/v1/admin.grpc.pb.h"
#include "analytics/v1/ingest.grpc.pb.h"
#include "analytics/v1/query.grpc.pb.h"
#include "tests/support/service_process.h"
#include "tests/support/test_database.h"

namespace analytics::testing {

struct BinaryPaths {
  std::string ingest;
  std::string reducer;
};

class Deployment {
 public:
  Deployment(TestDatabase* db, BinaryPaths binaries)
      : db_(db), binaries_(std::move(binaries)) {}

  // --log_level of every process started after this (default warn).
  void set_log_level(std::string level) { log_level_ = std::move(level); }
  // Arguments for every process started after this, placed after the
  // defaults so they win (e.g. "--db_pool_size=1").
  void set_extra_args(std::vector<std::string> args) {
    extra_args_ = std::move(args);
  }

  // ingest-service (applying migrations) and the query-only reducer-service.
  absl::Status Start();

  // Starts ingest-service again on its port, after the last one exited.
  absl::Status RestartIngest();

  // Starts a reducer replica with `extra_args` (e.g. "--batch_size=50");
  // returns its index for reducer().
  absl::StatusOr<int> StartReducer(const std::vector<std::string>& extra_args);
  ServiceProcess& reducer(int index) { return *reducers_[index]; }
  // Its gRPC port (QueryService unless --serve_queries=false, and health).
  int reducer_port(int index) const { return reducer_ports_[index]; }
  ServiceProcess& ingest_process() { return *ingest_; }
  ServiceProcess& query_process() { return *query_; }
  int ingest_port() const { return ingest_port_; }
  int query_port() const { return query_port_; }

  v1::AdminService::Stub& admin() { return *admin_; }
  v1::IngestService::Stub& ingest() { return *ingest_stub_; }

  absl::StatusOr<v1::CreateSiteResponse> CreateSite(const std::string& slug);
  // Sends every request, retrying UNAVAILABLE for up to a minute (retries
  // are safe: scenario events carry event ids).
  absl::Status IngestAll(const std::string& write_key,
                         const std::vector<v1::IngestRequest>& requests);
  absl::StatusOr<v1::Overview> Overview(const std::string& read_key,
                                        int64_t site_id, absl::Time from,
                                        absl::Time to);
  // Polls until nothing of the site is pending (dead letters excluded).
  absl::StatusOr<v1::Overview> WaitUntilReduced(const std::string& read_key,
                                                int64_t site_id,
                                                absl::Time from, absl::Time to,
                                                absl::Duration timeout);
  // The admin's VerifyRollups over [from, to).
  absl::StatusOr<v1::RollupCheckResponse> VerifyRollups(int64_t site_id,
                                                        absl::Time from,
                                                        absl::Time to);

 private:
  absl::StatusOr<std::unique_ptr<ServiceProcess>> Spawn(
      const std::string& binary, std::vector<std::string> args, int port);

  TestDatabase* const db_;
  const BinaryPaths binaries_;
  std::string log_level_ = "warn";
  std::vector<std::string> extra_args_;
  int ingest_port_ = 0;
  int query_port_ = 0;
  std::unique_ptr<ServiceProcess> ingest_;
  std::unique_ptr<ServiceProcess> query_;
  std::vector<std::unique_ptr<ServiceProcess>> reducers_;
  std::vector<int> reducer_ports_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
  std::unique_ptr<v1::IngestService::Stub> ingest_stub_;
  std::unique_ptr<v1::QueryService::Stub> query_stub_;
};

// gRPC status as absl::Status, for returning from support code.
absl::Status FromGrpc(const grpc::Status& status);

}  // namespace analytics::testing
