// spdlog configuration.
#include "common/logging/logging.h"

#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace analytics {

void InitLogging(const std::string& service, const std::string& format,
                 const std::string& level) {
  auto logger = spdlog::stderr_logger_mt(service);
  if (format == "json") {
    // Messages are ours and never contain quotes from user input.
    logger->set_pattern(
        "{\"time\":\"%Y-%m-%dT%H:%M:%S.%fZ\",\"level\":\"%l\",\"service\":\"%n\","
        "\"thread\":%t,\"message\":\"%v\"}",
        spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %n: %v",
                        spdlog::pattern_time_type::utc);
  }
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace analytics
