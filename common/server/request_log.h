// Request ids and access lines for every RPC a server serves, as an
// interceptor: each call gets the caller's x-request-id when it is sane
// (request_context.h), else a new one; the id is echoed in the response's
// initial metadata, is on every log line the handler writes, and ends a
// debug-level access line (method, status code, milliseconds). Metadata is
// never logged, so neither are the keys and tokens in `authorization`.
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include <memory>

namespace analytics {

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeRequestLogInterceptor();

}  // namespace analytics
