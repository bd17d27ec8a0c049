// User-Agent parsing: real-world UAs of every supported browser/OS
// combination and bot, with the exact fields expected of each.
#include "ingest-service/src/user_agent.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <string_view>

namespace analytics::ingest {
namespace {

struct UaCase {
  const char* name;  // test name suffix: letters, digits and '_' only
  const char* user_agent;
  const char* device;
  const char* browser;
  const char* os;
  bool bot;
};

std::ostream& operator<<(std::ostream& os, const UaCase& c) {
  return os << c.name;
}

void ExpectParsesAs(std::string_view user_agent, const std::string& device,
                    const std::string& browser, const std::string& os,
                    bool bot) {
  SCOPED_TRACE(user_agent);
  const UserAgentInfo info = ParseUserAgent(user_agent);
  EXPECT_EQ(info.device, device);
  EXPECT_EQ(info.browser, browser);
  EXPECT_EQ(info.os, os);
  EXPECT_EQ(info.bot, bot);
}

void ExpectBot(std::string_view user_agent) {
  ExpectParsesAs(user_agent, "bot", "", "", true);
}

class BrowserTest : public ::testing::TestWithParam<UaCase> {};

TEST_P(BrowserTest, Parses) {
  const UaCase& c = GetParam();
  ExpectParsesAs(c.user_agent, c.device, c.browser, c.os, c.bot);
}

// Real UAs as sent by current releases (Chrome's reduced UA included).
const UaCase kBrowsers[] = {
    // Chrome.
    {"ChromeWindows",
     "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
     "like Gecko) Chrome/124.0.0.0 Safari/537.36",
     "desktop", "Chrome", "Windows", false},
    {"ChromeMacOs",
     "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
     "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
     "desktop", "Chrome", "macOS", false},
    {"ChromeLinux",
     "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/124.0.0.0 Safari/537.36",
     "desktop", "Chrome", "Linux", false},
    {"ChromeChromeOs",
     "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, "
     "like Gecko) Chrome/124.0.0.0 Safari/537.36",
     "desktop", "Chrome", "ChromeOS", false},
    {"ChromeAndroidPhone",
     "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like "
     "Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
     "mobile", "Chrome", "Android", false},
    {"ChromeAndroidTablet",
     "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like "
     "Gecko) Chrome/124.0.0.0 Safari/537.36",
     "tablet", "Chrome", "Android", false},
    {"ChromeIos",
     "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) "
     "AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 "
     "Mobile/15E148 Safari/604.1",
     "mobile", "Chrome", "iOS", false},
    {"ChromeIpad",
     "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
     "(KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1",
     "tablet", "Chrome", "iPadOS", false},
    // Safari.
    {"SafariMacOs",
     "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
     "(KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
     "desktop", "Safari", "macOS", false},
    {"SafariIos",
     "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) "
     "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 "
     "Safari/604.1",
     "mobile", "Safari", "iOS", false},
    {"SafariIpod",
     "Mozilla/5.0 (iPod touch; CPU iPhone OS 15_8 like Mac OS X) "
     "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.6 Mobile/15E148 "
     "Safari/604.1",
     "mobile", "Safari", "iOS", false},
    {"SafariIpadMobileMode",
     "Mozilla/5.0 (iPad; CPU OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 "
     "(KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
     "tablet", "Safari", "iPadOS", false},
    // iPadOS 13+ default ("Request Desktop Website"): identical to macOS
    // Safari, so it is classified as macOS/desktop (documented limitation).
    {"SafariIpadDesktopMode",
     "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
     "(KHTML, like Gecko) Version/17.4 Safari/605.1.15",
     "desktop", "Safari", "macOS", false},
    // Firefox.
    {"FirefoxWindows",
     "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 "
     "Firefox/125.0",
     "desktop", "Firefox", "Windows", false},
    {"FirefoxMacOs",
     "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 "
     "Firefox/125.0",
     "desktop", "Firefox", "macOS", false},
    {"FirefoxLinux",
     "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 "
     "Firefox/125.0",
     "desktop", "Firefox", "Linux", false},
    {"FirefoxAndroidPhone",
     "Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0",
     "mobile", "Firefox", "Android", false},
    {"FirefoxAndroidTablet",
     "Mozilla/5.0 (Android 14; Tablet; rv:125.0) Gecko/125.0 Firefox/125.0",
     "tablet", "Firefox", "Android", false},
    {"FirefoxIos",
     "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) "
     "AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/125.0 Mobile/15E148 "
     "Safari/605.1.15",
     "mobile", "Firefox", "iOS", false},
    // Edge.
    {"EdgeWindows",
     "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
     "like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
     "desktop", "Edge", "Windows", false},
    {"EdgeMacOs",
     "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
     "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
     "desktop", "Edge", "macOS", false},
    {"EdgeAndroid",
     "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like "
     "Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 EdgA/124.0.0.0",
     "mobile", "Edge", "Android", false},
    {"EdgeIos",
     "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) "
     "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 "
     "EdgiOS/124.0.2478.89 Mobile/15E148 Safari/605.1.15",
     "mobile", "Edge", "iOS", false},
    {"EdgeLegacyWindows",
     "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
     "like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.19582",
     "desktop", "Edge", "Windows", false},
    // Opera.
    {"OperaWindows",
     "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
     "like Gecko) Chrome/123.0.0.0 Safari/537.36 OPR/109.0.0.0",
     "desktop", "Opera", "Windows", false},
    {"OperaMacOs",
     "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
     "(KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36 OPR/109.0.0.0",
     "desktop", "Opera", "macOS", false},
    {"OperaAndroid",
     "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like "
     "Gecko) Chrome/123.0.0.0 Mobile Safari/537.36 OPR/81.1.4292.78607",
     "mobile", "Opera", "Android", false},
    {"OperaPrestoWindows",
     "Opera/9.80 (Windows NT 6.1; WOW64) Presto/2.12.388 Version/12.18",
     "desktop", "Opera", "Windows", false},
    // Samsung Internet.
    {"SamsungInternetPhone",
     "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 "
     "(KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile "
     "Safari/537.36",
     "mobile", "Samsung Internet", "Android", false},
    {"SamsungInternetTablet",
     "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-X710) AppleWebKit/537.36 "
     "(KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 "
     "Safari/537.36",
     "tablet", "Samsung Internet", "Android", false},
    {"SamsungInternetReducedUa",
     "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like "
     "Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
     "mobile", "Samsung Internet", "Android", false},
    // Other Chromium browsers that name themselves.
    {"YandexBrowserWindows",
     "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
     "like Gecko) Chrome/122.0.0.0 YaBrowser/24.4.0.0 Safari/537.36",
     "desktop", "Yandex Browser", "Windows", false},
    {"VivaldiLinux",
     "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/124.0.0.0 Safari/537.36 Vivaldi/6.7.3329.21",
     "desktop", "Vivaldi", "Linux", false},
    {"InternetExplorer11",
     "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
     "desktop", "Internet Explorer", "Windows", false},
    // Web views and in-app browsers: OS and device known, browser not.
    {"AndroidWebView",
     "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230901.001; wv) "
     "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/117.0.0.0 "
     "Mobile Safari/537.36",
     "mobile", "", "Android", false},
    {"FacebookInAppIos",
     "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) "
     "AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 "
     "[FBAN/FBIOS;FBAV/458.0.0.36.108;FBBV/583745211;FBDV/iPhone15,2;"
     "FBMD/iPhone;FBSN/iOS;FBSV/17.4;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]",
     "mobile", "", "iOS", false},
    {"GoogleAppIos",
     "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) "
     "AppleWebKit/605.1.15 (KHTML, like Gecko) GSA/311.0.624714880 "
     "Mobile/15E148 Safari/604.1",
     "mobile", "", "iOS", false},
    {"AndroidStockBrowser",
     "Mozilla/5.0 (Linux; U; Android 4.0.3; ko-kr; LG-L160L Build/IML74K) "
     "AppleWebkit/534.30 (KHTML, like Gecko) Version/4.0 Mobile "
     "Safari/534.30",
     "mobile", "", "Android", false},
    // Look-alikes of bot and OS tokens.
    {"CubotPhoneIsNotABot",
     "Mozilla/5.0 (Linux; Android 9; CUBOT P30) AppleWebKit/537.36 (KHTML, "
     "like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
     "mobile", "Chrome", "Android", false},
    {"WindowsPhone",
     "Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) "
     "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0.2743.116 Mobile "
     "Safari/537.36 Edge/15.15063",
     "mobile", "Edge", "", false},
    {"FirefoxFreeBsd",
     "Mozilla/5.0 (X11; FreeBSD amd64; rv:125.0) Gecko/20100101 "
     "Firefox/125.0",
     "", "Firefox", "", false},
    {"UnknownClient", "MyInternalTool 3.2", "", "", "", false},
    {"UppercaseChrome",
     "MOZILLA/5.0 (WINDOWS NT 10.0; WIN64; X64) APPLEWEBKIT/537.36 (KHTML, "
     "LIKE GECKO) CHROME/124.0.0.0 SAFARI/537.36",
     "desktop", "Chrome", "Windows", false},
};

INSTANTIATE_TEST_SUITE_P(RealWorld, BrowserTest, ::testing::ValuesIn(kBrowsers),
                         [](const ::testing::TestParamInfo<UaCase>& info) {
                           return std::string(info.param.name);
                         });

struct BotCase {
  const char* name;  // test name suffix: letters, digits and '_' only
  const char* user_agent;
};

std::ostream& operator<<(std::ostream& os, const BotCase& c) {
  return os << c.name;
}

class BotTest : public ::testing::TestWithParam<BotCase> {};

// Every bot parses as {"bot", "", "", true}, whatever browser it claims.
TEST_P(BotTest, IsBotWithoutBrowserOrOs) { ExpectBot(GetParam().user_agent); }

const BotCase kBots[] = {
    {"Googlebot",
     "Mozilla/5.0 (compatible; Googlebot/2.1; "
     "+http://www.google.com/bot.html)"},
    {"GooglebotSmartphone",
     "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) "
     "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.118 Mobile "
     "Safari/537.36 (compatible; Googlebot/2.1; "
     "+http://www.google.com/bot.html)"},
    {"Bingbot",
     "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"},
    {"DuckDuckBot",
     "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)"},
    {"Baiduspider",
     "Mozilla/5.0 (compatible; Baiduspider/2.0; "
     "+http://www.baidu.com/search/spider.html)"},
    {"YandexBot",
     "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)"},
    {"Applebot",
     "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 "
     "(KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; "
     "+http://www.apple.com/go/applebot)"},
    {"FacebookExternalHit",
     "facebookexternalhit/1.1 "
     "(+http://www.facebook.com/externalhit_uatext.php)"},
    {"Twitterbot", "Twitterbot/1.0"},
    {"Slackbot", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"},
    {"LinkedInBot",
     "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient "
     "+http://www.linkedin.com)"},
    {"AhrefsBot",
     "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)"},
    {"SemrushBot",
     "Mozilla/5.0 (compatible; SemrushBot/7~bl; "
     "+http://www.semrush.com/bot.html)"},
    {"GPTBot",
     "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; "
     "GPTBot/1.2; +https://openai.com/gptbot)"},
    {"ClaudeBot",
     "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; "
     "ClaudeBot/1.0; +claudebot@anthropic.com)"},
    {"HeadlessChrome",
     "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "HeadlessChrome/124.0.0.0 Safari/537.36"},
    {"Curl", "curl/8.5.0"},
    {"Wget", "Wget/1.21.4"},
    {"PythonRequests", "python-requests/2.31.0"},
    {"GoHttpClient", "Go-http-client/2.0"},
    {"OkHttp", "okhttp/4.12.0"},
    {"Java", "Java/17.0.10"},
    {"UptimeRobot",
     "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)"},
    {"Pingdom", "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)"},
    {"MetaExternalAgent",
     "meta-externalagent/1.1 "
     "(+https://developers.facebook.com/docs/sharing/webmasters/crawler)"},
    {"Lighthouse",
     "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) "
     "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile "
     "Safari/537.36 Chrome-Lighthouse"},
    // Generic tokens, any case.
    {"GenericBot", "Mozilla/5.0 (compatible; SomeNewBot/1.0)"},
    {"GenericRobot", "ACME-ROBOT 2.0"},
    {"GenericCrawler", "ExampleCRAWLER/2.0 (+https://example.com)"},
    {"GenericSpider",
     "Sogou web spider/4.0(+http://www.sogou.com/docs/help/"
     "webmasters.htm#07)"},
};

INSTANTIATE_TEST_SUITE_P(RealWorld, BotTest, ::testing::ValuesIn(kBots),
                         [](const ::testing::TestParamInfo<BotCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(ParseUserAgentTest, EmptyIsUnknownAndNotABot) {
  ExpectParsesAs("", "", "", "", false);
}

TEST(ParseUserAgentTest, OnlyTheFirst512BytesAreInspected) {
  const std::string padding(kMaxUserAgentBytes, 'x');
  // A bot token entirely past the limit is not seen.
  ExpectParsesAs(padding + "Googlebot/2.1", "", "", "", false);
  // Nor is one cut by the limit: "curl/" must be whole within it.
  ExpectParsesAs(std::string(kMaxUserAgentBytes - 4, 'x') + "curl/8.5.0", "",
                 "", "", false);
  ExpectBot(std::string(kMaxUserAgentBytes - 5, 'x') + "curl/8.5.0");
}

TEST(ParseUserAgentTest, HugeInputParsesItsPrefix) {
  const std::string chrome =
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
      "like Gecko) Chrome/124.0.0.0 Safari/537.36 ";
  ExpectParsesAs(chrome + std::string(1 << 20, 'y') + "Googlebot", "desktop",
                 "Chrome", "Windows", false);
}

TEST(ParseUserAgentTest, StopsAtTheViewEnd) {
  // The view's end is honoured: a token just past it is not read.
  const std::string text = "Mozilla/5.0 (compatible) curl/8.5.0";
  const std::string_view view(text.data(), text.find("curl"));
  ExpectParsesAs(view, "", "", "", false);
}

}  // namespace
}  // namespace analytics::ingest
