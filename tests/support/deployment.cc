// Child-process deployment of the service pair.
#include "tests/support/deployment.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "tests/support/stack.h"

namespace analytics::testing {
namespace {

using google::protobuf::util::TimeUtil;

std::shared_ptr<grpc::Channel> Channel(int port) {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                             grpc::InsecureChannelCredentials());
}

}  // namespace

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

absl::StatusOr<std::unique_ptr<ServiceProcess>> Deployment::Spawn(
    const std::string& binary, std::vector<std::string> args, int port) {
  args.insert(args.end(),
              {"--database_url=" + db_->url(), "--log_level=" + log_level_,
               "--db_pool_size=4", "--migrate",
               absl::StrCat("--listen=127.0.0.1:", port)});
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  absl::StatusOr<std::unique_ptr<ServiceProcess>> process =
      ServiceProcess::Spawn(
          binary, args, {absl::StrCat("ANALYTICS_ADMIN_TOKEN=", kAdminToken)});
  if (!process.ok()) return process.status();
  if (absl::Status ready = (*process)->WaitForPort(port, absl::Seconds(30));
      !ready.ok()) {
    return ready;
  }
  return process;
}

absl::Status Deployment::Start() {
  ingest_port_ = FreePort();
  absl::StatusOr<std::unique_ptr<ServiceProcess>> ingest =
      Spawn(binaries_.ingest, {}, ingest_port_);
  if (!ingest.ok()) return ingest.status();
  ingest_ = std::move(*ingest);
  query_port_ = FreePort();
  absl::StatusOr<std::unique_ptr<ServiceProcess>> query =
      Spawn(binaries_.reducer, {"--reduce=false"}, query_port_);
  if (!query.ok()) return query.status();
  query_ = std::move(*query);
  admin_ = v1::AdminService::NewStub(Channel(ingest_port_));
  ingest_stub_ = v1::IngestService::NewStub(Channel(ingest_port_));
  query_stub_ = v1::QueryService::NewStub(Channel(query_port_));
  return absl::OkStatus();
}

absl::Status Deployment::RestartIngest() {
  absl::StatusOr<std::unique_ptr<ServiceProcess>> ingest =
      Spawn(binaries_.ingest, {}, ingest_port_);
  if (!ingest.ok()) return ingest.status();
  ingest_ = std::move(*ingest);
  return absl::OkStatus();
}

absl::StatusOr<int> Deployment::StartReducer(
    const std::vector<std::string>& extra_args) {
  const int port = FreePort();
  absl::StatusOr<std::unique_ptr<ServiceProcess>> reducer =
      Spawn(binaries_.reducer, extra_args, port);
  if (!reducer.ok()) return reducer.status();
  reducers_.push_back(std::move(*reducer));
  reducer_ports_.push_back(port);
  return static_cast<int>(reducers_.size()) - 1;
}

absl::StatusOr<v1::CreateSiteResponse> Deployment::CreateSite(
    const std::string& slug) {
  v1::CreateSiteRequest request;
  request.set_slug(slug);
  request.set_name(slug);
  v1::CreateSiteResponse response;
  auto context = AuthorizedContext(kAdminToken);
  if (absl::Status s =
          FromGrpc(admin_->CreateSite(context.get(), request, &response));
      !s.ok()) {
    return s;
  }
  return response;
}

absl::Status Deployment::IngestAll(
    const std::string& write_key,
    const std::vector<v1::IngestRequest>& requests) {
  for (const auto& request : requests) {
    const absl::Time give_up = absl::Now() + absl::Minutes(1);
    while (true) {
      v1::IngestResponse response;
      auto context = AuthorizedContext(write_key);
      grpc::Status status =
          ingest_stub_->Ingest(context.get(), request, &response);
      if (status.ok()) {
        if (response.rejected_size() > 0) {
          return absl::InternalError(
              absl::StrCat("rejected: ", response.rejected(0).reason()));
        }
        break;
      }
      if (status.error_code() != grpc::StatusCode::UNAVAILABLE ||
          absl::Now() > give_up) {
        return FromGrpc(status);
      }
      absl::SleepFor(absl::Milliseconds(200));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Overview> Deployment::Overview(const std::string& read_key,
                                                  int64_t site_id,
                                                  absl::Time from,
                                                  absl::Time to) {
  v1::Overview overview;
  auto context = AuthorizedContext(read_key);
  if (absl::Status s = FromGrpc(query_stub_->GetOverview(
          context.get(), OverviewRequest(site_id, from, to), &overview));
      !s.ok()) {
    return s;
  }
  return overview;
}

absl::StatusOr<v1::Overview> Deployment::WaitUntilReduced(
    const std::string& read_key, int64_t site_id, absl::Time from,
    absl::Time to, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    absl::StatusOr<v1::Overview> overview =
        Overview(read_key, site_id, from, to);
    // UNAVAILABLE: the database may be restarting; keep asking.
    if (overview.ok() && overview->pending_events() == 0) return overview;
    if (!overview.ok() &&
        overview.status().code() != absl::StatusCode::kUnavailable) {
      return overview;
    }
    if (absl::Now() > deadline) {
      std::string logs;
      for (const auto& r : reducers_) {
        if (r != nullptr) logs += r->LogTail(1500);
      }
      return absl::DeadlineExceededError(absl::StrCat(
          "events still pending after ", absl::FormatDuration(timeout),
          overview.ok() ? absl::StrCat(" (", overview->pending_events(), ")")
                        : std::string(overview.status().message()),
          ":\n", logs));
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
}

absl::StatusOr<v1::RollupCheckResponse> Deployment::VerifyRollups(
    int64_t site_id, absl::Time from, absl::Time to) {
  v1::RollupCheckRequest request;
  request.set_site_id(site_id);
  *request.mutable_from() =
      TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(from));
  *request.mutable_to() =
      TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(to));
  v1::RollupCheckResponse response;
  auto context = AuthorizedContext(kAdminToken);
  if (absl::Status s =
          FromGrpc(admin_->VerifyRollups(context.get(), request, &response));
      !s.ok()) {
    return s;
  }
  return response;
}

}  // namespace analytics::testing
