// Logging set-up (spdlog) shared by the binaries. Never log keys, tokens or
// event payloads: log site ids, counts and statuses.
#pragma once

#include <string>

namespace analytics {

// `format` is "text" or "json" (one JSON object per line); `level` is an
// spdlog level name ("info", "debug", ...). Logs go to stderr.
void InitLogging(const std::string& service, const std::string& format,
                 const std::string& level);

}  // namespace analytics
