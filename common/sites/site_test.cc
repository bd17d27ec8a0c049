// ValidateSite: the rules for creating a site.
#include "common/sites/site.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace analytics {
namespace {

SiteRecord ValidSite() {
  SiteRecord site;
  site.slug = "my-site-1";
  site.name = "My site";
  return site;
}

absl::Status WithSlug(const std::string& slug) {
  SiteRecord site = ValidSite();
  site.slug = slug;
  return ValidateSite(site);
}

absl::Status WithOrigin(const std::string& origin) {
  SiteRecord site = ValidSite();
  site.allowed_origins = {"https://ok.example", origin};
  return ValidateSite(site);
}

TEST(ValidateSiteTest, AcceptsDefaults) {
  EXPECT_TRUE(ValidateSite(ValidSite()).ok());
}

TEST(ValidateSiteTest, AcceptsSlugsOfOneAnd63Characters) {
  EXPECT_TRUE(WithSlug("a").ok());
  EXPECT_TRUE(WithSlug("0").ok());
  EXPECT_TRUE(WithSlug(std::string(63, 'a')).ok());
}

TEST(ValidateSiteTest, RejectsEmptyAndOverlongSlugs) {
  for (const std::string& slug : {std::string(), std::string(64, 'a')}) {
    absl::Status s = WithSlug(slug);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << slug;
    EXPECT_EQ(s.message(),
              "slug: must be 1 to 63 characters of a-z, 0-9 and '-', not "
              "starting or ending with '-'");
  }
}

TEST(ValidateSiteTest, RejectsSlugStartingOrEndingWithDash) {
  EXPECT_EQ(WithSlug("-site").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(WithSlug("site-").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(WithSlug("-").code(), absl::StatusCode::kInvalidArgument);
}

TEST(ValidateSiteTest, RejectsSlugCharactersOutsideLowercaseDigitsAndDash) {
  for (const char* slug :
       {"My-site", "my_site", "my.site", "my site", "caf\xC3\xA9"}) {
    absl::Status s = WithSlug(slug);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << slug;
    EXPECT_EQ(s.message(),
              "slug: only lowercase letters, digits and '-' are allowed")
        << slug;
  }
}

TEST(ValidateSiteTest, AcceptsNameOf200Bytes) {
  SiteRecord site = ValidSite();
  site.name = std::string(200, 'n');
  EXPECT_TRUE(ValidateSite(site).ok());
}

TEST(ValidateSiteTest, RejectsNameOf201Bytes) {
  SiteRecord site = ValidSite();
  site.name = std::string(201, 'n');
  absl::Status s = ValidateSite(site);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "name: at most 200 bytes");
}

TEST(ValidateSiteTest, AcceptsSchemeHostAndPortOrigins) {
  EXPECT_TRUE(WithOrigin("https://example.com").ok());
  EXPECT_TRUE(WithOrigin("http://localhost:8080").ok());
  EXPECT_TRUE(WithOrigin("https://sub.Example-1.com").ok());
  EXPECT_TRUE(WithOrigin("http://[::1]:3000").ok());
}

TEST(ValidateSiteTest, RejectsOriginWithoutHttpScheme) {
  absl::Status s = WithOrigin("example.com");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "allowed_origins: 'example.com' must start with http:// or "
            "https://");
  EXPECT_EQ(WithOrigin("ftp://example.com").code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ValidateSiteTest, RejectsOriginWithoutHost) {
  absl::Status s = WithOrigin("https://");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "allowed_origins: 'https://' has no host");
}

TEST(ValidateSiteTest, RejectsOriginWithPath) {
  for (const char* origin :
       {"https://example.com/", "https://example.com/app",
        "https://example.com?x", "https://user@example.com"}) {
    absl::Status s = WithOrigin(origin);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << origin;
    EXPECT_EQ(s.message(), absl::StrCat("allowed_origins: '", origin,
                                        "' must be scheme://host[:port] "
                                        "without path"));
  }
}

TEST(ValidateSiteTest, RejectsOriginLongerThan255Bytes) {
  EXPECT_EQ(WithOrigin("https://" + std::string(248, 'a')).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(WithOrigin("https://" + std::string(247, 'a')).ok());
}

TEST(ValidateSiteTest, AcceptsSessionTimeoutFromOneMinuteTo24Hours) {
  SiteRecord site = ValidSite();
  site.session_timeout = absl::Minutes(1);
  EXPECT_TRUE(ValidateSite(site).ok());
  site.session_timeout = absl::Hours(24);
  EXPECT_TRUE(ValidateSite(site).ok());
}

TEST(ValidateSiteTest, RejectsSessionTimeoutOutsideRange) {
  SiteRecord site = ValidSite();
  for (absl::Duration d :
       {absl::Seconds(59), absl::Hours(24) + absl::Seconds(1),
        absl::ZeroDuration()}) {
    site.session_timeout = d;
    absl::Status s = ValidateSite(site);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << d;
    EXPECT_EQ(s.message(),
              "settings.session_timeout: must be between 1 minute and 24 "
              "hours");
  }
}

TEST(ValidateSiteTest, AcceptsRawRetentionFromOneDayToTenYears) {
  SiteRecord site = ValidSite();
  site.raw_retention = absl::Hours(24);
  EXPECT_TRUE(ValidateSite(site).ok());
  site.raw_retention = absl::Hours(24 * 3660);
  EXPECT_TRUE(ValidateSite(site).ok());
}

TEST(ValidateSiteTest, RejectsRawRetentionOutsideRange) {
  SiteRecord site = ValidSite();
  for (absl::Duration d :
       {absl::Hours(23), absl::Hours(24 * 3660) + absl::Seconds(1)}) {
    site.raw_retention = d;
    absl::Status s = ValidateSite(site);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << d;
    EXPECT_EQ(s.message(),
              "settings.raw_retention: must be between 1 day and 10 years");
  }
}

TEST(ValidateSiteTest, AcceptsKnownTimeZones) {
  SiteRecord site = ValidSite();
  for (const char* zone : {"UTC", "Europe/Berlin", "America/New_York"}) {
    site.time_zone = zone;
    EXPECT_TRUE(ValidateSite(site).ok()) << zone;
  }
}

TEST(ValidateSiteTest, RejectsUnknownTimeZone) {
  SiteRecord site = ValidSite();
  site.time_zone = "Mars/Olympus_Mons";
  absl::Status s = ValidateSite(site);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "settings.time_zone: unknown IANA time zone 'Mars/Olympus_Mons'");
}

TEST(ValidateSiteTest, RejectsEmptyTimeZone) {
  SiteRecord site = ValidSite();
  site.time_zone = "";
  EXPECT_EQ(ValidateSite(site).code(), absl::StatusCode::kInvalidArgument);
}

TEST(KeyKindNameTest, NamesBothKinds) {
  EXPECT_STREQ(KeyKindName(KeyKind::kWrite), "write");
  EXPECT_STREQ(KeyKindName(KeyKind::kRead), "read");
}

TEST(PropertyAllowedTest, EmptyListsAllowEveryKey) {
  EXPECT_TRUE(PropertyAllowed(ValidSite(), "anything"));
}

TEST(PropertyAllowedTest, AllowlistKeepsOnlyItsKeysAndDenylistWins) {
  SiteRecord site = ValidSite();
  site.property_allowlist = {"plan", "email"};
  site.property_denylist = {"email"};
  EXPECT_TRUE(PropertyAllowed(site, "plan"));
  EXPECT_FALSE(PropertyAllowed(site, "email"));
  EXPECT_FALSE(PropertyAllowed(site, "coupon"));
  EXPECT_FALSE(PropertyAllowed(site, "Plan"));  // exact, case-sensitive
  site.property_allowlist.clear();
  EXPECT_TRUE(PropertyAllowed(site, "coupon"));
  EXPECT_FALSE(PropertyAllowed(site, "email"));
}

TEST(ValidateSiteTest, PropertyListsHoldAtMost100KeysOf1To200Bytes) {
  SiteRecord site = ValidSite();
  site.property_allowlist.assign(100, "k");
  site.property_denylist = {std::string(200, 'd')};
  EXPECT_TRUE(ValidateSite(site).ok());
  site.property_allowlist.push_back("k");
  EXPECT_EQ(ValidateSite(site).message(),
            "settings.property_allowlist: at most 100 keys");
  site.property_allowlist = {"ok"};
  site.property_denylist = {std::string(201, 'd')};
  EXPECT_EQ(ValidateSite(site).message(),
            "settings.property_denylist: keys must be 1 to 200 bytes");
  site.property_denylist = {"tab\there"};
  EXPECT_EQ(ValidateSite(site).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(ValidateSite(site).message().find("control character"),
            std::string::npos);
}

}  // namespace
}  // namespace analytics
