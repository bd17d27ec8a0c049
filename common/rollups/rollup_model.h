// Rollup model: the keys and counters of the rollups table and the rules for
// what one event and one session contribute to them. Shared by the reducer,
// which applies contributions incrementally, and the rollup audit
// (VerifyRollups / RebuildRollups), which recomputes them from raw rows, so
// both always agree on what a rollup row means.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "absl/time/time.h"

namespace analytics {

// Values stored in rollups.granularity / rollups.dimension (see migration
// 0001) and events.type.
enum class Granularity : int16_t { kHour = 0, kDay = 1 };
enum class Dimension : int16_t {
  kOverview = 0,
  kEvent = 1,
  kPage = 2,
  kReferrer = 3,
  kUtmSource = 4,
  kUtmMedium = 5,
  kUtmCampaign = 6,
  kDevice = 7,
  kBrowser = 8,
  kOs = 9,
  kCountry = 10,
};
inline constexpr int kPageview = 1;
inline constexpr int kTrack = 2;
inline constexpr int kIdentify = 3;

struct RollupKey {
  int64_t site_id;
  Granularity granularity;
  Dimension dimension;
  std::string key;
  absl::Time bucket_start;
  bool operator<(const RollupKey& o) const {
    return std::tie(site_id, granularity, dimension, key, bucket_start) <
           std::tie(o.site_id, o.granularity, o.dimension, o.key,
                    o.bucket_start);
  }
};

struct RollupDelta {
  int64_t events = 0;
  int64_t pageviews = 0;
  int64_t visitors = 0;
  int64_t sessions = 0;
  int64_t bounces = 0;
  int64_t duration_us = 0;
  // The rollup audit only: distinct ids in the row's visitor and session
  // sketches. The reducer grows sketches by ids (RollupSketchIds), not by
  // deltas, and leaves these 0.
  int64_t visitor_ids = 0;
  int64_t session_ids = 0;
  bool zero() const {
    return events == 0 && pageviews == 0 && visitors == 0 && sessions == 0 &&
           bounces == 0 && duration_us == 0 && visitor_ids == 0 &&
           session_ids == 0;
  }
  bool operator==(const RollupDelta&) const = default;
};

// Ordered: rows are written in key order, so concurrent writers lock rollup
// rows in the same order and cannot deadlock.
using RollupDeltas = std::map<RollupKey, RollupDelta>;

// The ids a batch adds to a row's sketches (rollups.visitors_hll and
// sessions_hll, migration 0006). Only events add ids: a sketch cannot forget
// one, and an event's row never changes once it counted.
struct RollupIds {
  std::set<std::string> visitor_ids;
  std::set<std::string> session_ids;
};
using RollupSketchIds = std::map<RollupKey, RollupIds>;

// What an event contributes: one event (and pageview) to the overview and to
// the dimensions it carries, in its hour and its day.
struct EventFacts {
  int64_t site_id = 0;
  int type = 0;
  absl::Time occurred_at;
  std::string_view name;
  std::string_view path;
  std::string_view referrer;  // full URL as sent; the host is the key
  std::string_view utm_source;
  std::string_view utm_medium;
  std::string_view utm_campaign;
  std::string_view device;
  std::string_view browser;
  std::string_view os;
  std::string_view country;
  std::string_view visitor_id;
  std::string_view session_id;
};
// With `ids`, also records the event's visitor and session id under every
// row it counts in.
void AddEventCounts(const EventFacts& event, RollupDeltas* rollups,
                    RollupSketchIds* ids = nullptr);

// What a session contributes (times `sign`, -1 to withdraw an old state):
// one session, its bounce and its duration, in the hour and day it started,
// under the overview and the acquisition dimensions of its first event.
struct SessionFacts {
  int64_t site_id = 0;
  absl::Time started_at;
  absl::Duration duration;
  bool bounced = false;
  std::string_view referrer_host;
  std::string_view utm_source;
  std::string_view utm_medium;
  std::string_view utm_campaign;
};
void AddSessionCounts(const SessionFacts& session, int sign,
                      RollupDeltas* rollups);

// A rollup row whose stored values differ from the recomputed ones. A row
// that is absent counts as all zeros.
struct RollupMismatch {
  RollupKey key;
  RollupDelta expected;
  RollupDelta actual;
};
std::vector<RollupMismatch> CompareRollups(const RollupDeltas& expected,
                                           const RollupDeltas& actual);

// The rows as the JSON array the rollup statements take as their one
// parameter: site_id, granularity, dimension, key, bucket_start and the
// counters of each row, plus visitor_ids and session_ids arrays for rows
// that have ids in `ids`; all-zero rows are left out.
std::string RollupRowsJson(const RollupDeltas& rows,
                           const RollupSketchIds* ids = nullptr);

// Lowercased host of a referrer URL without "www." and port; empty when the
// referrer is empty or has no host.
std::string ReferrerHost(std::string_view referrer);

}  // namespace analytics
