// Site validation rules.
#include "common/sites/site.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace analytics {

const char* KeyKindName(KeyKind kind) {
  return kind == KeyKind::kWrite ? "write" : "read";
}

namespace {

bool IsSlugChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

absl::Status ValidateOrigin(const std::string& origin) {
  absl::string_view rest;
  if (absl::StartsWith(origin, "https://")) {
    rest = absl::string_view(origin).substr(8);
  } else if (absl::StartsWith(origin, "http://")) {
    rest = absl::string_view(origin).substr(7);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "allowed_origins: '", origin, "' must start with http:// or https://"));
  }
  if (rest.empty() || origin.size() > 255) {
    return absl::InvalidArgumentError(
        absl::StrCat("allowed_origins: '", origin, "' has no host"));
  }
  for (char c : rest) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '.' || c == ':' ||
              c == '[' || c == ']';
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat("allowed_origins: '", origin,
                       "' must be scheme://host[:port] without path"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidatePropertyList(const std::vector<std::string>& keys,
                                  const char* field) {
  if (keys.size() > 100) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": at most 100 keys"));
  }
  for (const std::string& key : keys) {
    if (key.empty() || key.size() > 200) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": keys must be 1 to 200 bytes"));
    }
    for (unsigned char c : key) {
      if (c < 0x20 || c == 0x7f) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ": key '", absl::CHexEscape(key),
                         "' has a control character"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

bool PropertyAllowed(const SiteRecord& site, std::string_view key) {
  auto listed = [key](const std::vector<std::string>& list) {
    return std::find(list.begin(), list.end(), key) != list.end();
  };
  if (listed(site.property_denylist)) return false;
  return site.property_allowlist.empty() || listed(site.property_allowlist);
}

absl::Status ValidateSite(const SiteRecord& site) {
  const std::string& slug = site.slug;
  if (slug.empty() || slug.size() > 63 || slug.front() == '-' ||
      slug.back() == '-') {
    return absl::InvalidArgumentError(
        "slug: must be 1 to 63 characters of a-z, 0-9 and '-', not starting "
        "or ending with '-'");
  }
  for (char c : slug) {
    if (!IsSlugChar(c)) {
      return absl::InvalidArgumentError(
          "slug: only lowercase letters, digits and '-' are allowed");
    }
  }
  if (site.name.size() > 200) {
    return absl::InvalidArgumentError("name: at most 200 bytes");
  }
  for (const std::string& origin : site.allowed_origins) {
    if (absl::Status s = ValidateOrigin(origin); !s.ok()) return s;
  }
  if (site.session_timeout < absl::Minutes(1) ||
      site.session_timeout > absl::Hours(24)) {
    return absl::InvalidArgumentError(
        "settings.session_timeout: must be between 1 minute and 24 hours");
  }
  if (site.raw_retention < absl::Hours(24) ||
      site.raw_retention > absl::Hours(24 * 3660)) {
    return absl::InvalidArgumentError(
        "settings.raw_retention: must be between 1 day and 10 years");
  }
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(site.time_zone, &zone)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "settings.time_zone: unknown IANA time zone '", site.time_zone, "'"));
  }
  if (absl::Status s = ValidatePropertyList(site.property_allowlist,
                                            "settings.property_allowlist");
      !s.ok()) {
    return s;
  }
  return ValidatePropertyList(site.property_denylist,
                              "settings.property_denylist");
}

}  // namespace analytics
