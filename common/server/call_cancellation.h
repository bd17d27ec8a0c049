// Cancelled calls stop their statements: an interceptor that makes "has this
// call been cancelled?" (the caller cancelled, its deadline passed or its
// connection closed) current for the handler's thread, so the database
// transactions the handler runs there are cancelled in PostgreSQL when it
// turns true (common/db/cancellation.h) instead of running on, holding a
// pooled connection, until their statement timeout.
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include <memory>

namespace analytics {

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeCallCancellationInterceptor();

}  // namespace analytics
