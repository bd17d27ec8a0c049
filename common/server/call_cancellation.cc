// The call cancellation interceptor.
#include "common/server/call_cancellation.h"

#include <grpcpp/server_context.h>

#include "common/db/cancellation.h"

namespace analytics {
namespace {

class CallCancellationInterceptor final
    : public grpc::experimental::Interceptor {
 public:
  explicit CallCancellationInterceptor(grpc::experimental::ServerRpcInfo* info)
      : context_(info->server_context()) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      // As in request_log.cc: the sync server runs the handler inside this
      // Proceed() on this thread, so the scope covers exactly the handler.
      // The context outlives the handler; IsCancelled() may be asked from
      // the watcher's thread.
      grpc::ServerContextBase* context = context_;
      db::CancellationScope scope([context] { return context->IsCancelled(); });
      methods->Proceed();
      return;
    }
    methods->Proceed();
  }

 private:
  grpc::ServerContextBase* const context_;
};

class CallCancellationFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new CallCancellationInterceptor(info);
  }
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeCallCancellationInterceptor() {
  return std::make_unique<CallCancellationFactory>();
}

}  // namespace analytics
