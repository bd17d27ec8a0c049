// Rule-based User-Agent parsing: ordered substring rules over a lowercased,
// length-bounded copy of the header.
#include "ingest-service/src/user_agent.h"

#include <algorithm>
#include <initializer_list>

#include "absl/strings/ascii.h"

namespace analytics::ingest {
namespace {

// Every token below is lowercase: it is matched against the lowercased UA.

// Named crawlers, link expanders, monitors, headless browsers and HTTP
// libraries. Most would also hit the generic tokens; they are listed so that
// the supported set is explicit and survives changes to the generic rule.
constexpr std::string_view kBotTokens[] = {
    // Search engines and AI crawlers.
    "googlebot", "bingbot", "duckduckbot", "baiduspider", "yandexbot",
    "applebot", "gptbot", "claudebot", "slurp", "mediapartners-google",
    // Link previews and SEO tools.
    "facebookexternalhit", "meta-externalagent", "twitterbot", "slackbot",
    "linkedinbot", "ahrefsbot", "semrushbot",
    // Monitors, audits and headless browsers.
    "uptimerobot", "pingdom", "headlesschrome", "phantomjs", "lighthouse",
    // HTTP libraries and command-line clients.
    "curl/", "wget/", "python-requests/", "python-urllib/", "aiohttp/",
    "go-http-client/", "okhttp/", "java/", "axios/", "node-fetch/",
    "libwww-perl/", "apache-httpclient/", "scrapy/"};

// Generic tokens; "bot" is handled apart because of the Cubot phone brand.
constexpr std::string_view kGenericBotTokens[] = {"crawler", "spider"};

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

bool ContainsAny(std::string_view haystack,
                 std::initializer_list<std::string_view> needles) {
  return std::any_of(needles.begin(), needles.end(),
                     [&](std::string_view n) { return Contains(haystack, n); });
}

// True if "bot" occurs other than as the end of "cubot" (a phone maker whose
// model names appear in ordinary Android UAs, e.g. "CUBOT P30").
bool HasGenericBotToken(std::string_view ua) {
  for (size_t pos = ua.find("bot"); pos != std::string_view::npos;
       pos = ua.find("bot", pos + 1)) {
    if (pos < 2 || ua.substr(pos - 2, 2) != "cu") return true;
  }
  return false;
}

bool IsBot(std::string_view ua) {
  for (std::string_view token : kBotTokens) {
    if (Contains(ua, token)) return true;
  }
  for (std::string_view token : kGenericBotTokens) {
    if (Contains(ua, token)) return true;
  }
  return HasGenericBotToken(ua);
}

// Order matters because UAs name the platforms they are compatible with:
// - Windows Phone claims "Android" and "iPhone": checked first, reported as
//   unknown (it is none of our OS families).
// - ChromeOS says "X11; CrOS" and iOS/iPadOS say "like Mac OS X": both
//   before Linux and macOS. "; cros " keeps "microsoft" from matching.
// - Android says "Linux": before Linux.
std::string_view DetectOs(std::string_view ua) {
  if (Contains(ua, "windows phone")) return "";
  if (Contains(ua, "; cros ")) return "ChromeOS";
  if (Contains(ua, "ipad")) return "iPadOS";
  if (ContainsAny(ua, {"iphone", "ipod"})) return "iOS";
  if (Contains(ua, "android")) return "Android";
  if (Contains(ua, "windows")) return "Windows";
  // iPadOS 13+ in desktop mode lands here too; see user_agent.h.
  if (ContainsAny(ua, {"macintosh", "mac os x"})) return "macOS";
  if (Contains(ua, "linux")) return "Linux";
  return "";
}

// Order matters because every Chromium-based browser also says "Chrome/"
// and "Safari/", and Chrome, Firefox, Edge and Opera on iOS say "Safari/"
// (and some "Version/") as well, so the specific tokens go first:
//   Samsung Internet, Edge, Opera, Yandex, Vivaldi (all say "Chrome/")
//   -> Firefox ("FxiOS/" says "Safari/") -> Internet Explorer
//   -> Android WebView ("; wv)", says "Chrome/"; left unknown)
//   -> Chrome ("CriOS/" on iOS; says "Safari/")
//   -> Safari last: an Apple OS with "Version/" and "Safari/"; in-app web
//      views lack "Version/" (or "Safari/") and stay unknown.
std::string_view DetectBrowser(std::string_view ua, std::string_view os) {
  if (Contains(ua, "samsungbrowser/")) return "Samsung Internet";
  if (ContainsAny(ua, {"edg/", "edga/", "edgios/", "edge/"})) return "Edge";
  if (ContainsAny(ua, {"opr/", "opios/", "opera"})) return "Opera";
  if (Contains(ua, "yabrowser/")) return "Yandex Browser";
  if (Contains(ua, "vivaldi/")) return "Vivaldi";
  if (ContainsAny(ua, {"firefox/", "fxios/"})) return "Firefox";
  if (ContainsAny(ua, {"msie ", "trident/"})) return "Internet Explorer";
  if (Contains(ua, "; wv)")) return "";
  if (ContainsAny(ua, {"crios/", "chrome/", "chromium/"})) return "Chrome";
  const bool apple = os == "macOS" || os == "iOS" || os == "iPadOS";
  if (apple && Contains(ua, "version/") && Contains(ua, "safari/")) {
    return "Safari";
  }
  return "";
}

std::string_view DetectDevice(std::string_view ua, std::string_view os) {
  if (os == "iOS") return "mobile";
  if (os == "iPadOS") return "tablet";
  // Chrome and Firefox on Android tablets omit "Mobile".
  if (os == "Android") return Contains(ua, "mobile") ? "mobile" : "tablet";
  if (os == "Windows" || os == "macOS" || os == "Linux" || os == "ChromeOS") {
    return "desktop";
  }
  if (Contains(ua, "tablet")) return "tablet";
  if (Contains(ua, "mobi")) return "mobile";  // Windows Phone, KaiOS, ...
  return "";
}

}  // namespace

UserAgentInfo ParseUserAgent(std::string_view user_agent) {
  UserAgentInfo info;
  if (user_agent.empty()) return info;
  std::string ua(user_agent.substr(0, kMaxUserAgentBytes));
  absl::AsciiStrToLower(&ua);
  if (IsBot(ua)) {
    info.bot = true;
    info.device = "bot";
    return info;
  }
  const std::string_view os = DetectOs(ua);
  info.os = std::string(os);
  info.browser = std::string(DetectBrowser(ua, os));
  info.device = std::string(DetectDevice(ua, os));
  return info;
}

}  // namespace analytics::ingest
