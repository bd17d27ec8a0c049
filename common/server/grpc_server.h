// Runs a gRPC server the way both services need it: standard health service
// and server reflection, plus an orderly stop on SIGINT/SIGTERM (health turns
// NOT_SERVING, the caller's background work stops, in-flight RPCs get a grace
// period, then the server shuts down).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/server/tls.h"

namespace analytics {

struct ServerOptions {
  std::string listen_address;
  // Largest request accepted by the transport; services enforce their own,
  // smaller, limits with a clear message.
  int max_receive_message_bytes = 8 << 20;
  absl::Duration shutdown_grace = absl::Seconds(10);
  // Not enabled: plaintext.
  ServerTls tls;
};

// Must be called in main() before any thread starts, so that termination
// signals are delivered only to RunServer's sigwait().
void BlockTerminationSignals();

// Serves until SIGINT or SIGTERM. `on_stop` runs after health turned
// NOT_SERVING and before the server drains (stop background loops there).
// Returns UNAVAILABLE if the address cannot be bound.
absl::Status RunServer(const ServerOptions& options,
                       const std::vector<grpc::Service*>& services,
                       const std::function<void()>& on_stop);

}  // namespace analytics
