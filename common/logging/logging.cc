// spdlog configuration.
#include "common/logging/logging.h"

#include "common/json/json_writer.h"
#include "spdlog/pattern_formatter.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace analytics {
namespace {

// %* in a pattern: the message as a quoted, escaped JSON string.
class JsonMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    JsonWriter json;
    json.String(std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(json.str().data(), json.str().data() + json.str().size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

}  // namespace

std::unique_ptr<spdlog::formatter> JsonLogFormatter() {
  auto formatter = std::make_unique<spdlog::pattern_formatter>(
      spdlog::pattern_time_type::utc);
  formatter->add_flag<JsonMessageFlag>('*').set_pattern(
      "{\"time\":\"%Y-%m-%dT%H:%M:%S.%fZ\",\"level\":\"%l\",\"service\":"
      "\"%n\",\"thread\":%t,\"message\":%*}");
  return formatter;
}

void InitLogging(const std::string& service, const std::string& format,
                 const std::string& level) {
  auto logger = spdlog::stderr_logger_mt(service);
  if (format == "json") {
    logger->set_formatter(JsonLogFormatter());
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %n: %v",
                        spdlog::pattern_time_type::utc);
  }
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace analytics
