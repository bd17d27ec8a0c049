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
// service, thread, request_id (only while serving a request, see
// request_context.h) and message, the message escaped as a JSON string
// (status messages can carry text a caller sent, quotes and newlines
// included).
std::unique_ptr<spdlog::formatter> JsonLogFormatter();

// The formatter of --log_format=text: "<time> <level> <service>: <message>",
// plus " request_id=<id>" while serving a request.
std::unique_ptr<spdlog::formatter> TextLogFormatter();

}  // namespace analytics
