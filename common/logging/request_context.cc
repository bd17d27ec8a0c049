// Request id validation, generation and the thread's current id.
#include "common/logging/request_context.h"

#include <cstdint>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"

namespace analytics {
namespace {

// Points at the id_ of the innermost live RequestIdScope of this thread.
thread_local const std::string* current_request_id = nullptr;

}  // namespace

bool IsValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' &&
        c != '_' && c != ':' && c != '-') {
      return false;
    }
  }
  return true;
}

std::string NewRequestId() {
  // Seeding a generator reads the OS entropy pool: once per thread, not per
  // request.
  thread_local absl::BitGen gen;
  return absl::StrFormat("%016x", absl::Uniform<uint64_t>(gen));
}

std::string RequestIdOrNew(std::string_view incoming) {
  return IsValidRequestId(incoming) ? std::string(incoming) : NewRequestId();
}

std::string_view CurrentRequestId() {
  return current_request_id == nullptr ? std::string_view()
                                       : std::string_view(*current_request_id);
}

RequestIdScope::RequestIdScope(std::string id)
    : id_(std::move(id)), previous_(current_request_id) {
  current_request_id = &id_;
}

RequestIdScope::~RequestIdScope() { current_request_id = previous_; }

}  // namespace analytics
