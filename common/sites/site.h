// Site: the tenant every event, key and number belongs to, and the pure rules
// for creating one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace analytics {

inline constexpr absl::Duration kDefaultSessionTimeout = absl::Minutes(30);
inline constexpr absl::Duration kDefaultRawRetention = absl::Hours(24 * 400);

struct SiteRecord {
  int64_t site_id = 0;
  std::string slug;
  std::string name;
  // Empty allows any origin.
  std::vector<std::string> allowed_origins;
  absl::Duration session_timeout = kDefaultSessionTimeout;
  std::string time_zone = "UTC";
  absl::Duration raw_retention = kDefaultRawRetention;
  bool disabled = false;
  absl::Time created_at;
  // Event property keys Ingest stores: an empty allowlist allows every key;
  // the denylist wins. Others are dropped from accepted events.
  std::vector<std::string> property_allowlist;
  std::vector<std::string> property_denylist;
  // DeleteSite was called: keys revoked, data being purged.
  bool deleted = false;
};

// Whether Ingest stores property `key` for `site`.
bool PropertyAllowed(const SiteRecord& site, std::string_view key);

enum class KeyKind { kWrite, kRead };

const char* KeyKindName(KeyKind kind);

// INVALID_ARGUMENT naming the field when the site cannot be created as given.
// Rules: slug of 1-63 [a-z0-9-] not starting or ending with '-'; name at most
// 200 bytes; origins "scheme://host[:port]" (no path); session timeout 1
// minute to 24 hours; raw retention 1 day to 10 years; time zone known;
// property lists of at most 100 keys of 1 to 200 bytes without control
// characters.
absl::Status ValidateSite(const SiteRecord& site);

}  // namespace analytics
