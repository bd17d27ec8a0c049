// Request ids: which RPC a log line belongs to. The server's request
// interceptor (common/server/request_log.h) opens a RequestIdScope while a
// handler runs; both log formats (logging.h) then add the id to every line
// the handler's thread writes. The current id is thread-local, so this is
// thread-safe and costs nothing outside a request.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace analytics {

// The gRPC metadata key a caller may send an id in; the server echoes the id
// it used back under the same key in the response's initial metadata.
inline constexpr char kRequestIdMetadataKey[] = "x-request-id";
inline constexpr size_t kMaxRequestIdLength = 128;

// True for 1 to kMaxRequestIdLength characters of [A-Za-z0-9._:-]: an id
// that is safe to echo and to put in a log line as is.
bool IsValidRequestId(std::string_view id);

// 16 random lowercase hex characters.
std::string NewRequestId();

// `incoming` (the caller's x-request-id, empty when absent) if valid, else a
// new id, so a line never carries caller text that could break its format.
std::string RequestIdOrNew(std::string_view incoming);

// The id of the request this thread is serving; empty outside one.
std::string_view CurrentRequestId();

// Makes `id` this thread's current request id until destroyed, then restores
// the previous one. Must be destroyed on the thread that created it.
class RequestIdScope final {
 public:
  explicit RequestIdScope(std::string id);
  ~RequestIdScope();
  RequestIdScope(const RequestIdScope&) = delete;
  RequestIdScope& operator=(const RequestIdScope&) = delete;

 private:
  const std::string id_;
  const std::string* const previous_;
};

}  // namespace analytics
