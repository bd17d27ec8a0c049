// The RPC metrics interceptor.
#include "common/metrics/rpc_metrics.h"

#include <string>

#include "absl/time/clock.h"
#include "common/status/status_mapping.h"

namespace analytics {
namespace {

constexpr char kRequests[] = "analytics_rpc_requests_total";
constexpr char kDuration[] = "analytics_rpc_duration_seconds";

class RpcMetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  RpcMetricsInterceptor(grpc::experimental::ServerRpcInfo* info,
                        Metrics* metrics)
      : method_(info->method()), metrics_(metrics), start_(absl::Now()) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      metrics_->Add(kRequests, {method_, GrpcCodeName(status.error_code())});
      metrics_->Observe(kDuration, {method_},
                        absl::ToDoubleSeconds(absl::Now() - start_));
    }
    methods->Proceed();
  }

 private:
  const std::string method_;
  Metrics* const metrics_;
  const absl::Time start_;
};

class RpcMetricsFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RpcMetricsFactory(Metrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new RpcMetricsInterceptor(info, metrics_);
  }

 private:
  Metrics* const metrics_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeRpcMetricsInterceptor(Metrics* metrics) {
  metrics->Declare(kRequests, "RPCs answered, by method and status code",
                   Metrics::Type::kCounter, {"method", "code"});
  metrics->Declare(kDuration, "RPC latency from arrival to status, seconds",
                   Metrics::Type::kHistogram, {"method"},
                   Metrics::LatencyBuckets());
  return std::make_unique<RpcMetricsFactory>(metrics);
}

}  // namespace analytics
