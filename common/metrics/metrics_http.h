// MetricsHttpServer: serves Metrics::Render() as GET /metrics on its own
// port (--metrics_port), for Prometheus. Runs its own thread; nothing else
// is served there.
//
// Thread-safe: Start and Stop from one thread.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "common/metrics/metrics.h"

namespace httplib {
class Server;
}

namespace analytics {

class MetricsHttpServer {
 public:
  explicit MetricsHttpServer(Metrics* metrics);
  ~MetricsHttpServer();

  // Listens on `host`:`port`; UNAVAILABLE if it cannot bind.
  absl::Status Start(const std::string& host, int port);
  void Stop();

 private:
  Metrics* const metrics_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace analytics
