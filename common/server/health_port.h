// HealthMirror: the grpc.health.v1 statuses of a server, served again on a
// plaintext, health-only port (--health_port). Kubernetes' native gRPC
// probes cannot speak TLS, so with --tls_cert they ask this port instead;
// it answers Check and nothing else (no other service listens on it, so
// nothing but health is ever exposed without TLS). RunServer sets every
// status on both the server's own health service and this mirror.
//
// Thread-safe.
#pragma once

#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace analytics {

class HealthMirror final : public grpc::health::v1::Health::Service {
 public:
  // "" is always known (SERVING until set otherwise, as the default health
  // service does after SetServingStatus(true)).
  HealthMirror() { statuses_[""] = true; }

  void Set(const std::string& service, bool serving);
  // Every known service, "" included.
  void SetAll(bool serving);

  // NOT_FOUND for a service never set, like gRPC's default service.
  grpc::Status Check(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::health::v1::HealthCheckResponse* response) override;

 private:
  absl::Mutex mu_;
  std::map<std::string, bool> statuses_ ABSL_GUARDED_BY(mu_);
};

}  // namespace analytics
