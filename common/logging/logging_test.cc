// The JSON log format: every line is one JSON object, whatever the message.
#include "common/logging/logging.h"

#include <gtest/gtest.h>

#include "spdlog/details/log_msg.h"

namespace analytics {
namespace {

std::string Format(std::string_view message) {
  std::unique_ptr<spdlog::formatter> formatter = JsonLogFormatter();
  spdlog::details::log_msg msg(
      "ingest-service", spdlog::level::warn,
      spdlog::string_view_t(message.data(), message.size()));
  spdlog::memory_buf_t out;
  formatter->format(msg, out);
  return std::string(out.data(), out.size());
}

TEST(JsonLogFormatterTest, EscapesQuotesBackslashesAndNewlinesOfTheMessage) {
  const std::string line =
      Format("time_zone: unknown IANA time zone 'a\"b\\c'\nsecond line\x01");
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  // One line: the message's newline is escaped.
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  EXPECT_NE(line.find("\"level\":\"warning\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"service\":\"ingest-service\""), std::string::npos);
  EXPECT_NE(line.find("\"message\":\"time_zone: unknown IANA time zone "
                      "'a\\\"b\\\\c'\\nsecond line\\u0001\"}"),
            std::string::npos)
      << line;
  EXPECT_EQ(line.rfind("{\"time\":\"", 0), 0u);
}

}  // namespace
}  // namespace analytics
