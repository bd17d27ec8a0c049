// Runs a gRPC server the way both services need it: standard health service
// (per service name, whether the database answers: dependency_health.h) and
// server reflection, a request id on every RPC and its log lines
// (request_log.h), plus an orderly stop on SIGINT/SIGTERM (health turns
// NOT_SERVING, the caller's background work stops, in-flight RPCs get a grace
// period, then the server shuts down).
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/metrics/metrics.h"
#include "common/server/tls.h"

namespace analytics {

struct ServerOptions {
  std::string listen_address;
  // Largest request accepted by the transport: a larger one is refused with
  // RESOURCE_EXHAUSTED before it is parsed, for every service of the server.
  // ingest-service sets its --max_request_bytes here.
  int max_receive_message_bytes = 8 << 20;
  absl::Duration shutdown_grace = absl::Seconds(10);
  // Not enabled: plaintext.
  ServerTls tls;
  // When set, every RPC is counted and timed here (rpc_metrics.h), and with
  // a metrics_port the registry is served at http://0.0.0.0:<port>/metrics
  // for as long as the server runs.
  Metrics* metrics = nullptr;
  int metrics_port = 0;
  // When set, run every `dependency_check_interval` with
  // `dependency_check_timeout` (DependencyHealth): while it fails,
  // grpc.health.v1 reports NOT_SERVING for each name in `health_services`
  // (the overall "" stays SERVING until shutdown).
  std::function<absl::Status(absl::Duration timeout)> dependency_check;
  absl::Duration dependency_check_interval = absl::Seconds(2);
  absl::Duration dependency_check_timeout = absl::Seconds(1);
  std::vector<std::string> health_services;
  // When not 0: grpc.health.v1 Check, and nothing else, in plaintext on
  // 0.0.0.0:<health_port> (HealthMirror), for probes that cannot do TLS.
  int health_port = 0;
};

// Must be called in main() before any thread starts, so that termination
// signals are delivered only to RunServer's sigwait().
void BlockTerminationSignals();

// Serves until SIGINT or SIGTERM. `on_stop` runs after health turned
// NOT_SERVING and before the server drains (stop background loops there).
// Returns UNAVAILABLE if the address (or the metrics port) cannot be bound.
absl::Status RunServer(const ServerOptions& options,
                       const std::vector<grpc::Service*>& services,
                       const std::function<void()>& on_stop);

}  // namespace analytics
