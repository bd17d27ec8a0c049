// The log formats: every JSON line is one JSON object, whatever the message;
// both formats carry the request id while a request is being served.
#include "common/logging/logging.h"

#include <gtest/gtest.h>

#include "common/logging/request_context.h"
#include "spdlog/details/log_msg.h"

namespace analytics {
namespace {

std::string Format(
    std::string_view message,
    std::unique_ptr<spdlog::formatter> formatter = JsonLogFormatter()) {
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

TEST(JsonLogFormatterTest, AddsTheRequestIdOnlyWhileServingARequest) {
  EXPECT_EQ(Format("idle").find("request_id"), std::string::npos);
  std::string line;
  {
    RequestIdScope scope("test-req-123");
    line = Format("created site 7");
  }
  EXPECT_NE(line.find(",\"request_id\":\"test-req-123\",\"message\":"
                      "\"created site 7\"}\n"),
            std::string::npos)
      << line;
  EXPECT_EQ(line.rfind("{\"time\":\"", 0), 0u);
  EXPECT_EQ(Format("after").find("request_id"), std::string::npos);
}

TEST(TextLogFormatterTest, AppendsTheRequestIdWhileServingARequest) {
  const std::string idle = Format("idle", TextLogFormatter());
  EXPECT_NE(idle.find(" warning ingest-service: idle\n"), std::string::npos)
      << idle;
  EXPECT_EQ(idle.find("request_id"), std::string::npos);
  RequestIdScope scope("0123456789abcdef");
  const std::string line = Format("created site 7", TextLogFormatter());
  EXPECT_NE(line.find(" warning ingest-service: created site 7 "
                      "request_id=0123456789abcdef\n"),
            std::string::npos)
      << line;
}

}  // namespace
}  // namespace analytics
