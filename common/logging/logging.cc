// spdlog configuration.
#include "common/logging/logging.h"

#include "common/json/json_writer.h"
#include "common/logging/request_context.h"
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

// %& in a pattern: the current request id (request_context.h) as a JSON
// field or a text suffix, nothing outside a request. The id is read on the
// thread formatting the line, which for our synchronous loggers is the one
// that logged it (an async logger would lose it). Ids are limited to
// [A-Za-z0-9._:-] (IsValidRequestId), so neither form needs escaping.
class RequestIdFlag final : public spdlog::custom_flag_formatter {
 public:
  explicit RequestIdFlag(bool json) : json_(json) {}
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string_view id = CurrentRequestId();
    if (id.empty()) return;
    const std::string_view prefix =
        json_ ? ",\"request_id\":\"" : " request_id=";
    dest.append(prefix.data(), prefix.data() + prefix.size());
    dest.append(id.data(), id.data() + id.size());
    if (json_) dest.push_back('"');
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<RequestIdFlag>(json_);
  }

 private:
  const bool json_;
};

}  // namespace

std::unique_ptr<spdlog::formatter> JsonLogFormatter() {
  auto formatter = std::make_unique<spdlog::pattern_formatter>(
      spdlog::pattern_time_type::utc);
  formatter->add_flag<JsonMessageFlag>('*')
      .add_flag<RequestIdFlag>('&', true)
      .set_pattern(
          "{\"time\":\"%Y-%m-%dT%H:%M:%S.%fZ\",\"level\":\"%l\",\"service\":"
          "\"%n\",\"thread\":%t%&,\"message\":%*}");
  return formatter;
}

std::unique_ptr<spdlog::formatter> TextLogFormatter() {
  auto formatter = std::make_unique<spdlog::pattern_formatter>(
      spdlog::pattern_time_type::utc);
  formatter->add_flag<RequestIdFlag>('&', false)
      .set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %n: %v%&");
  return formatter;
}

void InitLogging(const std::string& service, const std::string& format,
                 const std::string& level) {
  auto logger = spdlog::stderr_logger_mt(service);
  logger->set_formatter(format == "json" ? JsonLogFormatter()
                                         : TextLogFormatter());
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace analytics
