// libFuzzer target: the User-Agent parser (ingest-service/src/user_agent.h),
// which reads an attacker-chosen header on every event.
//
// Besides memory safety, checks what user_agent.h promises: every field is
// one of the documented values; a bot has device "bot" and no browser or
// OS; only the first kMaxUserAgentBytes bytes count; matching ignores ASCII
// case.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "ingest-service/src/user_agent.h"
#include "tests/fuzz/fuzz_support.h"

namespace analytics::ingest {
namespace {

bool SameInfo(const UserAgentInfo& a, const UserAgentInfo& b) {
  return a.device == b.device && a.browser == b.browser && a.os == b.os &&
         a.bot == b.bot;
}

void Check(std::string_view ua) {
  static const std::set<std::string> kDevices = {"", "desktop", "mobile",
                                                 "tablet", "bot"};
  static const std::set<std::string> kBrowsers = {"",
                                                  "Chrome",
                                                  "Safari",
                                                  "Firefox",
                                                  "Edge",
                                                  "Opera",
                                                  "Samsung Internet",
                                                  "Yandex Browser",
                                                  "Vivaldi",
                                                  "Internet Explorer"};
  static const std::set<std::string> kOses = {
      "", "Windows", "macOS", "iOS", "iPadOS", "Android", "Linux", "ChromeOS"};

  const UserAgentInfo info = ParseUserAgent(ua);
  FUZZ_CHECK(kDevices.contains(info.device));
  FUZZ_CHECK(kBrowsers.contains(info.browser));
  FUZZ_CHECK(kOses.contains(info.os));
  if (info.bot) {
    FUZZ_CHECK(info.device == "bot" && info.browser.empty() && info.os.empty());
  } else {
    FUZZ_CHECK(info.device != "bot");
  }
  if (ua.empty()) {
    FUZZ_CHECK(SameInfo(info, UserAgentInfo()));
  }
  // Bytes past the limit are never read.
  if (ua.size() > kMaxUserAgentBytes) {
    FUZZ_CHECK(
        SameInfo(info, ParseUserAgent(ua.substr(0, kMaxUserAgentBytes))));
  }
  std::string upper(ua);
  absl::AsciiStrToUpper(&upper);
  FUZZ_CHECK(SameInfo(info, ParseUserAgent(upper)));
}

}  // namespace
}  // namespace analytics::ingest

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A view of exactly the input (no terminating NUL), so reading past its
  // end is an ASan report.
  analytics::ingest::Check(
      std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
