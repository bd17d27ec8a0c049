// RPC metrics for every gRPC method a server serves, as an interceptor:
// analytics_rpc_requests_total{method,code} and
// analytics_rpc_duration_seconds{method} (from the request's arrival to its
// status being sent).
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include <memory>

#include "common/metrics/metrics.h"

namespace analytics {

// Declares the two families in `metrics`, which must outlive the server.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeRpcMetricsInterceptor(Metrics* metrics);

}  // namespace analytics
