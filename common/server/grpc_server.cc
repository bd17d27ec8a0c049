// gRPC server lifecycle with health, reflection and signal handling.
#include "common/server/grpc_server.h"

#include <grpcpp/ext/health_check_service_server_builder_option.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <pthread.h>

#include <csignal>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/metrics/metrics_http.h"
#include "common/metrics/rpc_metrics.h"
#include "common/server/call_cancellation.h"
#include "common/server/dependency_health.h"
#include "common/server/health_port.h"
#include "common/server/request_log.h"
#include "spdlog/spdlog.h"

namespace analytics {

void BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

absl::Status RunServer(const ServerOptions& options,
                       const std::vector<grpc::Service*>& services,
                       const std::function<void()>& on_stop) {
  // Debian builds Abseil without NDEBUG, which leaves absl::Mutex's deadlock
  // detection on: every lock of ours and of gRPC's (it locks absl::Mutex)
  // then updates a global lock-order graph under a global lock, ~8% of
  // ingest-service's CPU under small batches (perf: GraphCycles). The
  // in-process test stacks, which do not come here, keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(options.listen_address,
                           MakeServerCredentials(options.tls), &bound_port);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(MakeRequestLogInterceptor());
  interceptors.push_back(MakeCallCancellationInterceptor());
  if (options.metrics != nullptr) {
    interceptors.push_back(MakeRpcMetricsInterceptor(options.metrics));
  }
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  for (grpc::Service* service : services) builder.RegisterService(service);
  std::unique_ptr<MetricsHttpServer> metrics_http;
  if (options.metrics != nullptr && options.metrics_port != 0) {
    metrics_http = std::make_unique<MetricsHttpServer>(options.metrics);
    if (absl::Status s = metrics_http->Start("0.0.0.0", options.metrics_port);
        !s.ok()) {
      return s;
    }
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || bound_port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen_address));
  }
  // Every status goes to the server's own health service and, for the
  // plaintext health port, to the mirror.
  HealthMirror mirror;
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  auto set_all = [&](bool serving) {
    health->SetServingStatus(serving);
    mirror.SetAll(serving);
  };
  auto set_status = [&](const std::string& service, bool serving) {
    health->SetServingStatus(service, serving);
    mirror.Set(service, serving);
  };
  std::unique_ptr<grpc::Server> health_server;
  if (options.health_port != 0) {
    grpc::ServerBuilder health_builder;
    int health_bound = 0;
    health_builder.AddListeningPort(
        absl::StrCat("0.0.0.0:", options.health_port),
        grpc::InsecureServerCredentials(), &health_bound);
    // Only the mirror: no default health service of its own.
    health_builder.SetOption(
        std::make_unique<grpc::HealthCheckServiceServerBuilderOption>(nullptr));
    health_builder.RegisterService(&mirror);
    health_server = health_builder.BuildAndStart();
    if (health_server == nullptr || health_bound == 0) {
      return absl::UnavailableError(absl::StrCat(
          "cannot listen for health on port ", options.health_port));
    }
  }
  set_all(true);
  std::unique_ptr<DependencyHealth> dependency_health;
  if (options.dependency_check) {
    dependency_health = std::make_unique<DependencyHealth>(
        [check = options.dependency_check,
         timeout = options.dependency_check_timeout] { return check(timeout); },
        options.dependency_check_interval, options.dependency_check_timeout);
    dependency_health->Start(set_status, options.health_services);
  }
  spdlog::info("listening on {}{}", options.listen_address,
               !options.tls.enabled()              ? ""
               : options.tls.client_ca_pem.empty() ? " (TLS)"
                                                   : " (mutual TLS)");

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int signal = 0;
  sigwait(&set, &signal);
  spdlog::info("received signal {}, stopping", signal);

  // The grace period covers the whole stop (background work and in-flight
  // RPCs together), so the process is gone within it.
  const auto deadline = std::chrono::system_clock::now() +
                        absl::ToChronoMilliseconds(options.shutdown_grace);
  if (dependency_health != nullptr) dependency_health->Stop();
  set_all(false);
  if (on_stop) on_stop();
  server->Shutdown(deadline);
  server->Wait();
  if (health_server != nullptr) {
    health_server->Shutdown(std::chrono::system_clock::now());
    health_server->Wait();
  }
  if (metrics_http != nullptr) metrics_http->Stop();
  spdlog::info("stopped");
  return absl::OkStatus();
}

}  // namespace analytics
