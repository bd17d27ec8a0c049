// Validation of Ingest requests: pure functions, no I/O, so every rule is
// unit-tested. Whole-request problems fail the call; per-event problems
// reject only that event, with the field and a reason.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "analytics/v1/ingest.pb.h"
#include "ingest-service/src/event_batch.h"

namespace analytics::ingest {

// Default of --max_request_bytes. ingest-service gives the same value to
// gRPC as its receive limit, so a larger request is refused before it is
// parsed; ValidateRequestShape checks it again on the parsed request.
inline constexpr size_t kDefaultMaxRequestBytes = size_t{1} << 20;

struct IngestLimits {
  int max_events_per_request = 500;
  size_t max_request_bytes = kDefaultMaxRequestBytes;
  size_t max_id_bytes = 200;  // event_id, visitor_id, session_id, user_id
  size_t max_name_bytes = 200;
  size_t max_text_bytes = 2048;  // path, title, referrer, context fields
  int max_properties = 32;
  size_t max_property_key_bytes = 200;
  size_t max_property_value_bytes = 2048;
  absl::Duration max_future_skew = absl::Minutes(5);
};

// INVALID_ARGUMENT, naming the limit, for an empty batch, too many events or
// a request larger than the limit (`request_bytes` is its serialized size).
absl::Status ValidateRequestShape(const v1::IngestRequest& request,
                                  size_t request_bytes,
                                  const IngestLimits& limits);

// OK if `origin` may send events for a site with `allowed_origins` (an empty
// list allows any origin); PERMISSION_DENIED otherwise.
absl::Status CheckOrigin(const std::string& origin,
                         const std::vector<std::string>& allowed_origins);

struct ValidatedBatch {
  std::vector<IngestEvent> accepted;
  std::vector<v1::Rejection> rejected;
};

// Checks every event of `request` received at `now` for a site keeping raw
// events for `raw_retention`, and normalises the valid ones. Properties
// whose key `keep_property` refuses (the site's allow/deny lists) are
// validated like the others but left out of the stored event.
ValidatedBatch ValidateEvents(
    const v1::IngestRequest& request, const IngestLimits& limits,
    absl::Time now, absl::Duration raw_retention,
    const std::function<bool(std::string_view)>& keep_property = {});

// True if `text` is well-formed UTF-8 (no overlong forms, no surrogates).
bool IsValidUtf8(std::string_view text);

}  // namespace analytics::ingest
