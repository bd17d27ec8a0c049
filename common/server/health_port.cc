// HealthMirror.
#include "common/server/health_port.h"

namespace analytics {

using grpc::health::v1::HealthCheckResponse;

void HealthMirror::Set(const std::string& service, bool serving) {
  absl::MutexLock lock(&mu_);
  statuses_[service] = serving;
}

void HealthMirror::SetAll(bool serving) {
  absl::MutexLock lock(&mu_);
  for (auto& [service, status] : statuses_) status = serving;
}

grpc::Status HealthMirror::Check(
    grpc::ServerContext*, const grpc::health::v1::HealthCheckRequest* request,
    HealthCheckResponse* response) {
  absl::MutexLock lock(&mu_);
  auto it = statuses_.find(request->service());
  if (it == statuses_.end()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service");
  }
  response->set_status(it->second ? HealthCheckResponse::SERVING
                                  : HealthCheckResponse::NOT_SERVING);
  return grpc::Status::OK;
}

}  // namespace analytics
