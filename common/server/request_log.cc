// The request id and access line interceptor.
#include "common/server/request_log.h"

#include <string>
#include <string_view>

#include "absl/time/clock.h"
#include "common/logging/request_context.h"
#include "common/status/status_mapping.h"
#include "spdlog/spdlog.h"

namespace analytics {
namespace {

class RequestLogInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit RequestLogInterceptor(grpc::experimental::ServerRpcInfo* info)
      : method_(info->method()), start_(absl::Now()) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      const auto* metadata = methods->GetRecvInitialMetadata();
      const auto it = metadata->find(kRequestIdMetadataKey);
      id_ = RequestIdOrNew(
          it == metadata->end()
              ? std::string_view()
              : std::string_view(it->second.data(), it->second.size()));
      // The sync server runs the handler, and the PRE_SEND hooks of its
      // reply, inside this Proceed() and on this thread (gRPC 1.51
      // SyncRequest::CallData::Run); the callback API returns from it at
      // once. So the scope covers exactly the handler, and lives on the
      // stack: by the time Proceed() returns the call, and this interceptor
      // with it, may be gone.
      RequestIdScope scope(id_);
      methods->Proceed();
      return;
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->emplace(kRequestIdMetadataKey, id_);
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS) &&
        spdlog::should_log(spdlog::level::debug)) {
      // A streaming call may finish on another thread than its handler's.
      RequestIdScope scope(id_);
      spdlog::debug("rpc {} {} {:.1f} ms", method_,
                    GrpcCodeName(methods->GetSendStatus().error_code()),
                    absl::ToDoubleMilliseconds(absl::Now() - start_));
    }
    methods->Proceed();
  }

 private:
  const std::string method_;
  const absl::Time start_;
  std::string id_;
};

class RequestLogFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new RequestLogInterceptor(info);
  }
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeRequestLogInterceptor() {
  return std::make_unique<RequestLogFactory>();
}

}  // namespace analytics
