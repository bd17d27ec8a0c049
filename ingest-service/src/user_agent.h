// Rule-based User-Agent parsing: device class, browser family, OS family and
// a bot flag. Pure code (no I/O, no regex, no shared state), so it is
// thread-safe and every rule is unit-tested in user_agent_test.cc.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace analytics::ingest {

// Only this many leading bytes of a User-Agent are inspected, which bounds
// the work per call; a token not wholly inside them is not seen.
inline constexpr size_t kMaxUserAgentBytes = 512;

struct UserAgentInfo {
  std::string device;   // "desktop", "mobile", "tablet", "bot" or "" (unknown)
  std::string browser;  // "Chrome", "Safari", "Firefox", "Edge", "Opera",
                        // "Samsung Internet", "Yandex Browser", "Vivaldi",
                        // "Internet Explorer" or "" (unknown)
  std::string os;       // "Windows", "macOS", "iOS", "iPadOS", "Android",
                        // "Linux", "ChromeOS" or "" (unknown)
  bool bot = false;     // crawlers, monitors, headless browsers, HTTP libraries
};

// Classifies `user_agent`. Matching is case-insensitive and never fails: what
// is not recognised stays "".
//
// - An empty User-Agent gives all fields empty and bot = false.
// - A bot (named crawler or monitor, HeadlessChrome, an HTTP library such as
//   curl or python-requests, or any "bot", "crawler" or "spider" token) gives
//   bot = true, device = "bot" and empty browser and os: the browser and OS a
//   crawler claims (Googlebot Smartphone claims Android Chrome) are not real
//   visitors' and must not be counted as such.
// - iPadOS 13+ requests desktop sites by default and then sends a UA that is
//   byte-for-byte macOS Safari's ("Macintosh; Intel Mac OS X"); without
//   client hints or JavaScript it cannot be told apart, so it is reported as
//   os = "macOS", device = "desktop". Only UAs naming "iPad" are "iPadOS".
// - Android without a "Mobile" token is a tablet (Chrome and Firefox omit it
//   on tablets).
// - Safari is reported only on Apple OSes and only with its "Version/" token:
//   in-app web views (Facebook, Google app, ...) and Android WebView leave
//   browser "" rather than claiming Safari or Chrome.
UserAgentInfo ParseUserAgent(std::string_view user_agent);

}  // namespace analytics::ingest
