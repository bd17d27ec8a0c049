// The analyticsctl subcommands: one RPC each over an insecure channel.
#include "analyticsctl/src/commands.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "analytics/v1/admin.grpc.pb.h"
#include "analytics/v1/ingest.grpc.pb.h"
#include "analytics/v1/query.grpc.pb.h"
#include "analyticsctl/src/output.h"
#include "analyticsctl/src/requests.h"

namespace analytics::cli {
namespace {

Environment ReadEnvironment() {
  Environment env;
  env.now = absl::Now();
  if (const char* token = std::getenv("ANALYTICS_ADMIN_TOKEN")) {
    env.admin_token = token;
  }
  return env;
}

// A channel to `call.target` and a context carrying its deadline and token.
template <typename Request>
std::shared_ptr<grpc::Channel> Prepare(const Call<Request>& call,
                                       grpc::ClientContext* context) {
  context->set_deadline(absl::ToChronoTime(absl::Now() + call.timeout));
  context->AddMetadata("authorization", absl::StrCat("Bearer ", call.token));
  if (!call.tls.enabled()) {
    return grpc::CreateChannel(call.target, grpc::InsecureChannelCredentials());
  }
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = call.tls.ca_pem;
  tls.pem_cert_chain = call.tls.cert_pem;
  tls.pem_private_key = call.tls.key_pem;
  return grpc::CreateChannel(call.target, grpc::SslCredentials(tls));
}

int RpcError(const grpc::Status& status) {
  std::cerr << "error: " << StatusCodeName(status.error_code()) << ": "
            << status.error_message() << "\n";
  return kExitFailure;
}

int PrintJson(const google::protobuf::Message& message) {
  absl::StatusOr<std::string> json = ToJson(message);
  if (!json.ok()) {
    std::cerr << "error: " << json.status().message() << "\n";
    return kExitFailure;
  }
  std::cout << *json;
  return kExitOk;
}

// The answer of RotateWriteKey or RotateReadKey, in the call's format.
int PrintRotatedKey(KeyKind kind, const Call<v1::RotateKeyRequest>& call,
                    const v1::RotateKeyResponse& response) {
  switch (call.output) {
    case OutputFormat::kEnv:
      std::cout << RotatedKeyEnv(kind, response);
      return kExitOk;
    case OutputFormat::kJson:
      return PrintJson(response);
    default:
      std::cout << RotatedKeyText(kind, call.request.site_id(), response);
      return kExitOk;
  }
}

}  // namespace

int UsageError(const absl::Status& status) {
  std::cerr << "error: " << status.message()
            << "\nrun 'analyticsctl help' for usage\n";
  return kExitUsage;
}

int RunSiteCreate(const ParsedArgs& args) {
  absl::StatusOr<Call<v1::CreateSiteRequest>> call =
      BuildCreateSite(args, ReadEnvironment());
  if (!call.ok()) return UsageError(call.status());
  grpc::ClientContext context;
  v1::CreateSiteResponse response;
  grpc::Status status = v1::AdminService::NewStub(Prepare(*call, &context))
                            ->CreateSite(&context, call->request, &response);
  if (!status.ok()) return RpcError(status);
  switch (call->output) {
    case OutputFormat::kEnv:
      std::cout << CreatedSiteEnv(response);
      return kExitOk;
    case OutputFormat::kJson:
      return PrintJson(response);
    default:
      std::cout << CreatedSiteText(response);
      return kExitOk;
  }
}

int RunSiteGet(const ParsedArgs& args) {
  absl::StatusOr<Call<v1::GetSiteRequest>> call =
      BuildGetSite(args, ReadEnvironment());
  if (!call.ok()) return UsageError(call.status());
  grpc::ClientContext context;
  v1::Site response;
  grpc::Status status = v1::AdminService::NewStub(Prepare(*call, &context))
                            ->GetSite(&context, call->request, &response);
  if (!status.ok()) return RpcError(status);
  if (call->output == OutputFormat::kJson) return PrintJson(response);
  std::cout << SiteText(response);
  return kExitOk;
}

int RunSiteList(const ParsedArgs& args) {
  absl::StatusOr<Call<v1::ListSitesRequest>> call =
      BuildListSites(args, ReadEnvironment());
  if (!call.ok()) return UsageError(call.status());
  grpc::ClientContext context;
  v1::ListSitesResponse response;
  grpc::Status status = v1::AdminService::NewStub(Prepare(*call, &context))
                            ->ListSites(&context, call->request, &response);
  if (!status.ok()) return RpcError(status);
  if (call->output == OutputFormat::kJson) return PrintJson(response);
  std::cout << SiteListText(response);
  return kExitOk;
}

int RunSiteRotateWriteKey(const ParsedArgs& args) {
  absl::StatusOr<Call<v1::RotateKeyRequest>> call =
      BuildRotateWriteKey(args, ReadEnvironment());
  if (!call.ok()) return UsageError(call.status());
  grpc::ClientContext context;
  v1::RotateKeyResponse response;
  grpc::Status status =
      v1::AdminService::NewStub(Prepare(*call, &context))
          ->RotateWriteKey(&context, call->request, &response);
  if (!status.ok()) return RpcError(status);
  return PrintRotatedKey(KeyKind::kWrite, *call, response);
}

int RunSiteRotateReadKey(const ParsedArgs& args) {
  absl::StatusOr<Call<v1::RotateKeyRequest>> call =
      BuildRotateReadKey(args, ReadEnvironment());
  if (!call.ok()) return UsageError(call.status());
  grpc::ClientContext context;
  v1::RotateKeyResponse response;
  grpc::Status status = v1::AdminService::NewStub(Prepare(*call, &context))
                            ->RotateReadKey(&context, call->request, &response);
  if (!status.ok()) return RpcError(status);
  return PrintRotatedKey(KeyKind::kRead, *call, response);
}

int RunSiteUpdate(const ParsedArgs& args) {
  absl::StatusOr<Call<v1::UpdateSiteRequest>> call =
      BuildUpdateSite(args, ReadEnvironment());
  if (!call.ok()) return UsageError(call.status());
  grpc::ClientContext context;
  v1::Site response;
  grpc::Status status = v1::AdminService::NewStub(Prepare(*call, &context))
                            ->UpdateSite(&context, call->request, &response);
  if (!status.ok()) return RpcError(status);
  if (call->output == OutputFormat::kJson) return PrintJson(response);
  std::cout << SiteText(response);
  return kExitOk;
}

namespace {

int RunSiteState(const ParsedArgs& args, bool disable) {
  absl::StatusOr<Call<v1::SiteStateRequest>> call = BuildSetSiteState(
      args, disable ? "site disable" : "site enable", ReadEnvironment());
  if (!call.ok()) return UsageError(call.status());
  grpc::ClientContext context;
  v1::Site response;
  auto stub = v1::AdminService::NewStub(Prepare(*call, &context));
  grpc::Status status =
      disable ? stub->DisableSite(&context, call->request, &response)
              : stub->EnableSite(&context, call->request, &response);
  if (!status.ok()) return RpcError(status);
  if (call->output == OutputFormat::kJson) return PrintJson(response);
  std::cout << SiteText(response);
  return kExitOk;
}

}  // namespace

int RunSiteDisable(const ParsedArgs& args) { return RunSiteState(args, true); }
int RunSiteEnable(const ParsedArgs& args) { return RunSiteState(args, false); }

int RunSiteDelete(const ParsedArgs& args) {
  absl::StatusOr<Call<v1::DeleteSiteRequest>> call =
      BuildDeleteSite(args, ReadEnvironment());
  if (!call.ok()) return UsageError(call.status());
  // The server purges until each call's deadline; call again until the site
  // is gone (after the server's quiet period).
  v1::DeleteSiteResponse total;
  bool said_waiting = false;
  while (true) {
    grpc::ClientContext context;
    v1::DeleteSiteResponse response;
    grpc::Status status = v1::AdminService::NewStub(Prepare(*call, &context))
                              ->DeleteSite(&context, call->request, &response);
    if (!status.ok()) return RpcError(status);
    total.set_rows_deleted(total.rows_deleted() + response.rows_deleted());
    if (response.done()) break;
    const bool waiting = response.rows_deleted() == 0;
    if (call->output == OutputFormat::kText && !(waiting && said_waiting)) {
      std::cerr << DeleteProgressText(call->request.site_id(), response);
    }
    said_waiting = waiting;
    if (waiting) absl::SleepFor(absl::Seconds(5));
  }
  total.set_done(true);
  if (call->output == OutputFormat::kJson) return PrintJson(total);
  std::cout << DeleteProgressText(call->request.site_id(), total);
  return kExitOk;
}

int RunSend(const ParsedArgs& args) {
  absl::StatusOr<Call<v1::IngestRequest>> call =
      BuildSend(args, ReadEnvironment());
  if (!call.ok()) return UsageError(call.status());
  grpc::ClientContext context;
  v1::IngestResponse response;
  grpc::Status status = v1::IngestService::NewStub(Prepare(*call, &context))
                            ->Ingest(&context, call->request, &response);
  if (!status.ok()) return RpcError(status);
  if (call->output == OutputFormat::kJson) {
    if (int exit = PrintJson(response); exit != kExitOk) return exit;
  } else {
    std::cout << IngestResultText(response);
  }
  // A duplicate counts as success: the event is stored, which is what a
  // retried send wants to know.
  return response.accepted() + response.duplicates() > 0 ? kExitOk
                                                         : kExitFailure;
}

int RunOverview(const ParsedArgs& args) {
  absl::StatusOr<Call<v1::GetOverviewRequest>> call =
      BuildOverview(args, ReadEnvironment());
  if (!call.ok()) return UsageError(call.status());
  grpc::ClientContext context;
  v1::Overview response;
  grpc::Status status = v1::QueryService::NewStub(Prepare(*call, &context))
                            ->GetOverview(&context, call->request, &response);
  if (!status.ok()) return RpcError(status);
  if (call->output == OutputFormat::kJson) return PrintJson(response);
  std::cout << OverviewText(response, call->request.compare_previous());
  return kExitOk;
}

int RunTimeseries(const ParsedArgs& args) {
  absl::StatusOr<Call<v1::GetTimeseriesRequest>> call =
      BuildTimeseries(args, ReadEnvironment());
  if (!call.ok()) return UsageError(call.status());
  grpc::ClientContext context;
  v1::Timeseries response;
  grpc::Status status = v1::QueryService::NewStub(Prepare(*call, &context))
                            ->GetTimeseries(&context, call->request, &response);
  if (!status.ok()) return RpcError(status);
  if (call->output == OutputFormat::kJson) return PrintJson(response);
  std::cout << TimeseriesText(response);
  return kExitOk;
}

int RunBreakdown(const ParsedArgs& args) {
  absl::StatusOr<Call<v1::GetBreakdownRequest>> call =
      BuildBreakdown(args, ReadEnvironment());
  if (!call.ok()) return UsageError(call.status());
  grpc::ClientContext context;
  v1::Breakdown response;
  grpc::Status status = v1::QueryService::NewStub(Prepare(*call, &context))
                            ->GetBreakdown(&context, call->request, &response);
  if (!status.ok()) return RpcError(status);
  if (call->output == OutputFormat::kJson) return PrintJson(response);
  std::cout << BreakdownText(response, call->request);
  return kExitOk;
}

int RunProperties(const ParsedArgs& args) {
  absl::StatusOr<Call<v1::GetEventPropertyBreakdownRequest>> call =
      BuildEventPropertyBreakdown(args, ReadEnvironment());
  if (!call.ok()) return UsageError(call.status());
  grpc::ClientContext context;
  v1::EventPropertyBreakdown response;
  grpc::Status status =
      v1::QueryService::NewStub(Prepare(*call, &context))
          ->GetEventPropertyBreakdown(&context, call->request, &response);
  if (!status.ok()) return RpcError(status);
  if (call->output == OutputFormat::kJson) return PrintJson(response);
  std::cout << EventPropertyBreakdownText(response);
  return kExitOk;
}

int RunDashboard(const ParsedArgs& args) {
  absl::StatusOr<Call<v1::GetDashboardSummaryRequest>> call =
      BuildDashboardSummary(args, ReadEnvironment());
  if (!call.ok()) return UsageError(call.status());
  grpc::ClientContext context;
  v1::DashboardSummary response;
  grpc::Status status =
      v1::QueryService::NewStub(Prepare(*call, &context))
          ->GetDashboardSummary(&context, call->request, &response);
  if (!status.ok()) return RpcError(status);
  if (call->output == OutputFormat::kJson) return PrintJson(response);
  std::cout << DashboardSummaryText(response);
  return kExitOk;
}

int RunEvents(const ParsedArgs& args) {
  absl::StatusOr<Call<v1::ListEventsRequest>> call =
      BuildListEvents(args, ReadEnvironment());
  if (!call.ok()) return UsageError(call.status());
  grpc::ClientContext context;
  v1::ListEventsResponse response;
  grpc::Status status = v1::QueryService::NewStub(Prepare(*call, &context))
                            ->ListEvents(&context, call->request, &response);
  if (!status.ok()) return RpcError(status);
  if (call->output == OutputFormat::kJson) return PrintJson(response);
  std::cout << EventListText(response, call->request);
  return kExitOk;
}

int RunSessions(const ParsedArgs& args) {
  absl::StatusOr<Call<v1::ListSessionsRequest>> call =
      BuildListSessions(args, ReadEnvironment());
  if (!call.ok()) return UsageError(call.status());
  grpc::ClientContext context;
  v1::ListSessionsResponse response;
  grpc::Status status = v1::QueryService::NewStub(Prepare(*call, &context))
                            ->ListSessions(&context, call->request, &response);
  if (!status.ok()) return RpcError(status);
  if (call->output == OutputFormat::kJson) return PrintJson(response);
  std::cout << SessionListText(response, call->request);
  return kExitOk;
}

int RunVisitors(const ParsedArgs& args) {
  absl::StatusOr<Call<v1::ListVisitorsRequest>> call =
      BuildListVisitors(args, ReadEnvironment());
  if (!call.ok()) return UsageError(call.status());
  grpc::ClientContext context;
  v1::ListVisitorsResponse response;
  grpc::Status status = v1::QueryService::NewStub(Prepare(*call, &context))
                            ->ListVisitors(&context, call->request, &response);
  if (!status.ok()) return RpcError(status);
  if (call->output == OutputFormat::kJson) return PrintJson(response);
  std::cout << VisitorListText(response, call->request);
  return kExitOk;
}

int RunFailedList(const ParsedArgs& args) {
  absl::StatusOr<Call<v1::ListFailedEventsRequest>> call =
      BuildListFailedEvents(args, ReadEnvironment());
  if (!call.ok()) return UsageError(call.status());
  grpc::ClientContext context;
  v1::ListFailedEventsResponse response;
  grpc::Status status =
      v1::AdminService::NewStub(Prepare(*call, &context))
          ->ListFailedEvents(&context, call->request, &response);
  if (!status.ok()) return RpcError(status);
  if (call->output == OutputFormat::kJson) return PrintJson(response);
  std::cout << FailedEventsText(response);
  return kExitOk;
}

int RunFailedRetry(const ParsedArgs& args) {
  absl::StatusOr<Call<v1::RetryFailedEventsRequest>> call =
      BuildRetryFailedEvents(args, ReadEnvironment());
  if (!call.ok()) return UsageError(call.status());
  grpc::ClientContext context;
  v1::RetryFailedEventsResponse response;
  grpc::Status status =
      v1::AdminService::NewStub(Prepare(*call, &context))
          ->RetryFailedEvents(&context, call->request, &response);
  if (!status.ok()) return RpcError(status);
  std::cout << RetryResultText(response);
  return kExitOk;
}

int RunBacklog(const ParsedArgs& args) {
  absl::StatusOr<Call<v1::GetBacklogRequest>> call =
      BuildGetBacklog(args, ReadEnvironment());
  if (!call.ok()) return UsageError(call.status());
  grpc::ClientContext context;
  v1::GetBacklogResponse response;
  grpc::Status status = v1::AdminService::NewStub(Prepare(*call, &context))
                            ->GetBacklog(&context, call->request, &response);
  if (!status.ok()) return RpcError(status);
  if (call->output == OutputFormat::kJson) return PrintJson(response);
  std::cout << BacklogText(response);
  return kExitOk;
}

int RunRollupsVerify(const ParsedArgs& args) {
  absl::StatusOr<Call<v1::RollupCheckRequest>> call =
      BuildVerifyRollups(args, ReadEnvironment());
  if (!call.ok()) return UsageError(call.status());
  grpc::ClientContext context;
  v1::RollupCheckResponse response;
  grpc::Status status = v1::AdminService::NewStub(Prepare(*call, &context))
                            ->VerifyRollups(&context, call->request, &response);
  if (!status.ok()) return RpcError(status);
  if (call->output == OutputFormat::kJson) {
    if (int exit = PrintJson(response); exit != kExitOk) return exit;
  } else {
    std::cout << RollupCheckText(response, /*rebuild=*/false);
  }
  return response.rows_different() > 0 ? kExitFailure : kExitOk;
}

int RunRollupsRebuild(const ParsedArgs& args) {
  absl::StatusOr<Call<v1::RollupCheckRequest>> call =
      BuildRebuildRollups(args, ReadEnvironment());
  if (!call.ok()) return UsageError(call.status());
  grpc::ClientContext context;
  v1::RollupCheckResponse response;
  grpc::Status status =
      v1::AdminService::NewStub(Prepare(*call, &context))
          ->RebuildRollups(&context, call->request, &response);
  if (!status.ok()) return RpcError(status);
  if (call->output == OutputFormat::kJson) return PrintJson(response);
  std::cout << RollupCheckText(response, /*rebuild=*/true);
  return kExitOk;
}

}  // namespace analytics::cli
