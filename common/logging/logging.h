// Logging set-up (spdlog) shared by the binaries. Never log keys, tokens or
// event payloads: log site ids, counts and statuses.
#pragma once

#include <memory>
#include <string>

#include "spdlog/formatter.h"

namespace analytics {

// `format` is "text" or "json" (one JSON object per line); `level` is an
// spdlog level name ("info", "debug", ...). Logs go to stderr.
void InitLogging(const std::string& service, const std::string& format,
                 const std::string& level);

// The formatter of --log_format=json: one object per line with time, level,
// service, thread and message, the message escaped as a JSON string (status
// messages can carry text a caller sent, quotes and newlines included).
std::unique_ptr<spdlog::formatter> JsonLogFormatter();

}  // namespace analytics
