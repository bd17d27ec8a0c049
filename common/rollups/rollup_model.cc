// Rollup contributions of events and sessions, and referrer hosts.
#include "common/rollups/rollup_model.h"

#include <functional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/json/json_writer.h"
#include "common/time/pg_time.h"

namespace analytics {
namespace {

// Applies `apply` to the row of (dimension, key) in the hour and the day of
// `at`, and records `visitor_id` and `session_id` there when `ids` is set.
void Add(RollupDeltas* rollups, int64_t site_id, Dimension dimension,
         std::string_view key, absl::Time at,
         const std::function<void(RollupDelta&)>& apply,
         RollupSketchIds* ids = nullptr, std::string_view visitor_id = {},
         std::string_view session_id = {}) {
  for (const RollupKey& row : {RollupKey{site_id, Granularity::kHour, dimension,
                                         std::string(key), FloorHour(at)},
                               RollupKey{site_id, Granularity::kDay, dimension,
                                         std::string(key), FloorDay(at)}}) {
    apply((*rollups)[row]);
    if (ids != nullptr) {
      RollupIds& row_ids = (*ids)[row];
      row_ids.visitor_ids.emplace(visitor_id);
      row_ids.session_ids.emplace(session_id);
    }
  }
}

}  // namespace

std::string ReferrerHost(std::string_view referrer_in) {
  absl::string_view referrer(referrer_in.data(), referrer_in.size());
  // A scheme is a letter followed by letters, digits, '+', '-' or '.'; a
  // "://" later on (e.g. in the query of a relative URL) is not one.
  const size_t scheme = referrer.find_first_not_of(
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");
  if (scheme != 0 && scheme != absl::string_view::npos &&
      absl::ascii_isalpha(referrer[0]) &&
      absl::StartsWith(referrer.substr(scheme), "://")) {
    referrer.remove_prefix(scheme + 3);
  } else if (absl::StartsWith(referrer, "//")) {
    // "//host/path" is a scheme-relative URL; anything else has no host.
    referrer.remove_prefix(2);
  } else {
    return "";
  }
  size_t end = referrer.find_first_of("/?#");
  absl::string_view authority = referrer.substr(0, end);
  if (size_t at = authority.rfind('@'); at != absl::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  // The port follows the ':' after the host (for an IPv6 literal, after ']').
  const size_t host_end =
      absl::StartsWith(authority, "[") ? authority.find(']') : 0;
  if (host_end != absl::string_view::npos) {
    if (size_t colon = authority.find(':', host_end);
        colon != absl::string_view::npos) {
      authority = authority.substr(0, colon);
    }
  }
  std::string host = absl::AsciiStrToLower(authority);
  if (absl::StartsWith(host, "www.")) host.erase(0, 4);
  return host;
}

void AddEventCounts(const EventFacts& e, RollupDeltas* rollups,
                    RollupSketchIds* ids) {
  const bool pageview = e.type == kPageview;
  auto count = [pageview](RollupDelta& d) {
    d.events += 1;
    d.pageviews += pageview ? 1 : 0;
  };
  auto add = [&](Dimension dimension, std::string_view key) {
    Add(rollups, e.site_id, dimension, key, e.occurred_at, count, ids,
        e.visitor_id, e.session_id);
  };
  // Keep in step with event_dimension_key() (migration 0006), which the
  // statements reading raw events use.
  add(Dimension::kOverview, "");
  if (e.type == kTrack) add(Dimension::kEvent, e.name);
  if (pageview) add(Dimension::kPage, e.path);
  const std::string host = ReferrerHost(e.referrer);
  const std::pair<Dimension, std::string_view> attributed[] = {
      {Dimension::kReferrer, host},
      {Dimension::kUtmSource, e.utm_source},
      {Dimension::kUtmMedium, e.utm_medium},
      {Dimension::kUtmCampaign, e.utm_campaign},
      {Dimension::kDevice, e.device},
      {Dimension::kBrowser, e.browser},
      {Dimension::kOs, e.os},
      {Dimension::kCountry, e.country},
  };
  for (const auto& [dimension, key] : attributed) {
    if (!key.empty()) add(dimension, key);
  }
}

void AddSessionCounts(const SessionFacts& s, int sign, RollupDeltas* rollups) {
  const int64_t duration_us = absl::ToInt64Microseconds(s.duration);
  auto count = [&](RollupDelta& d) {
    d.sessions += sign;
    d.bounces += s.bounced ? sign : 0;
    d.duration_us += sign * duration_us;
  };
  Add(rollups, s.site_id, Dimension::kOverview, "", s.started_at, count);
  const std::pair<Dimension, std::string_view> attributed[] = {
      {Dimension::kReferrer, s.referrer_host},
      {Dimension::kUtmSource, s.utm_source},
      {Dimension::kUtmMedium, s.utm_medium},
      {Dimension::kUtmCampaign, s.utm_campaign},
  };
  for (const auto& [dimension, key] : attributed) {
    if (!key.empty()) {
      Add(rollups, s.site_id, dimension, key, s.started_at, count);
    }
  }
}

std::vector<RollupMismatch> CompareRollups(const RollupDeltas& expected,
                                           const RollupDeltas& actual) {
  std::vector<RollupMismatch> out;
  auto e = expected.begin();
  auto a = actual.begin();
  const RollupDelta zero;
  // Both maps are ordered by key: one merge pass.
  while (e != expected.end() || a != actual.end()) {
    if (a == actual.end() || (e != expected.end() && e->first < a->first)) {
      if (!e->second.zero()) out.push_back({e->first, e->second, zero});
      ++e;
    } else if (e == expected.end() || a->first < e->first) {
      if (!a->second.zero()) out.push_back({a->first, zero, a->second});
      ++a;
    } else {
      if (!(e->second == a->second)) {
        out.push_back({e->first, e->second, a->second});
      }
      ++e;
      ++a;
    }
  }
  return out;
}

namespace {

void IdsField(JsonWriter& json, std::string_view name,
              const std::set<std::string>& values) {
  json.Key(name).BeginArray();
  for (const std::string& v : values) json.String(v);
  json.EndArray();
}

}  // namespace

std::string RollupRowsJson(const RollupDeltas& rows,
                           const RollupSketchIds* ids) {
  JsonWriter json;
  json.BeginArray();
  for (const auto& [k, d] : rows) {
    if (d.zero()) continue;
    json.BeginObject()
        .Field("site_id", k.site_id)
        .Field("granularity", int64_t{static_cast<int16_t>(k.granularity)})
        .Field("dimension", int64_t{static_cast<int16_t>(k.dimension)})
        .Field("key", k.key)
        .Field("bucket_start", ToPgTimestamp(k.bucket_start))
        .Field("events", d.events)
        .Field("pageviews", d.pageviews)
        .Field("visitors", d.visitors)
        .Field("sessions", d.sessions)
        .Field("bounces", d.bounces)
        .Field("duration_us", d.duration_us);
    if (ids != nullptr) {
      if (auto it = ids->find(k); it != ids->end()) {
        IdsField(json, "visitor_ids", it->second.visitor_ids);
        IdsField(json, "session_ids", it->second.session_ids);
      }
    }
    json.EndObject();
  }
  json.EndArray();
  return json.Release();
}

}  // namespace analytics
