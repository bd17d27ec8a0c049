// Session clustering, rollup contributions and visitor updates.
#include "reducer-service/src/reduction.h"

#include <algorithm>
#include <set>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/time/pg_time.h"

namespace analytics::reducer {

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

namespace {

// (time, event id): the total order every "first"/"last" choice uses.
using Stamp = std::pair<absl::Time, int64_t>;

Session SessionOf(const ReducerEvent& e) {
  Session s;
  s.site_id = e.site_id;
  s.session_id = e.session_id;
  s.started_at = s.last_seen_at = e.occurred_at;
  s.first_event_id = s.last_event_id = e.id;
  s.visitor_id = e.visitor_id;
  s.events = 1;
  if (e.type == kPageview) {
    s.pageviews = 1;
    s.entry_path = s.exit_path = e.path;
    s.entry_at = s.exit_at = e.occurred_at;
    s.entry_event_id = s.exit_event_id = e.id;
  }
  s.referrer = ReferrerHost(e.referrer);
  s.utm_source = e.utm_source;
  s.utm_medium = e.utm_medium;
  s.utm_campaign = e.utm_campaign;
  s.device = e.device;
  s.browser = e.browser;
  s.os = e.os;
  s.country = e.country;
  return s;
}

// Folds `b` into `a`; the result does not depend on which is which.
void MergeInto(Session& a, const Session& b) {
  if (Stamp{b.started_at, b.first_event_id} <
      Stamp{a.started_at, a.first_event_id}) {
    a.started_at = b.started_at;
    a.first_event_id = b.first_event_id;
    a.visitor_id = b.visitor_id;
    a.referrer = b.referrer;
    a.utm_source = b.utm_source;
    a.utm_medium = b.utm_medium;
    a.utm_campaign = b.utm_campaign;
    a.device = b.device;
    a.browser = b.browser;
    a.os = b.os;
    a.country = b.country;
  }
  if (Stamp{b.last_seen_at, b.last_event_id} >
      Stamp{a.last_seen_at, a.last_event_id}) {
    a.last_seen_at = b.last_seen_at;
    a.last_event_id = b.last_event_id;
  }
  if (b.entry_at.has_value() &&
      (!a.entry_at.has_value() || Stamp{*b.entry_at, b.entry_event_id} <
                                      Stamp{*a.entry_at, a.entry_event_id})) {
    a.entry_at = b.entry_at;
    a.entry_event_id = b.entry_event_id;
    a.entry_path = b.entry_path;
  }
  if (b.exit_at.has_value() &&
      (!a.exit_at.has_value() || Stamp{*b.exit_at, b.exit_event_id} >
                                     Stamp{*a.exit_at, a.exit_event_id})) {
    a.exit_at = b.exit_at;
    a.exit_event_id = b.exit_event_id;
    a.exit_path = b.exit_path;
  }
  a.pageviews += b.pageviews;
  a.events += b.events;
}

void Add(RollupDeltas* rollups, int64_t site_id, Dimension dimension,
         const std::string& key, absl::Time at,
         const std::function<void(RollupDelta&)>& apply) {
  apply((*rollups)[RollupKey{site_id, Granularity::kHour, dimension, key,
                             FloorHour(at)}]);
  apply((*rollups)[RollupKey{site_id, Granularity::kDay, dimension, key,
                             FloorDay(at)}]);
}

void AddEvent(const ReducerEvent& e, RollupDeltas* rollups) {
  const bool pageview = e.type == kPageview;
  auto count = [pageview](RollupDelta& d) {
    d.events += 1;
    d.pageviews += pageview ? 1 : 0;
  };
  Add(rollups, e.site_id, Dimension::kOverview, "", e.occurred_at, count);
  if (e.type == kTrack) {
    Add(rollups, e.site_id, Dimension::kEvent, e.name, e.occurred_at, count);
  }
  if (pageview) {
    Add(rollups, e.site_id, Dimension::kPage, e.path, e.occurred_at, count);
  }
  const std::pair<Dimension, std::string> attributed[] = {
      {Dimension::kReferrer, ReferrerHost(e.referrer)},
      {Dimension::kUtmSource, e.utm_source},
      {Dimension::kUtmMedium, e.utm_medium},
      {Dimension::kUtmCampaign, e.utm_campaign},
  };
  for (const auto& [dimension, key] : attributed) {
    if (!key.empty()) Add(rollups, e.site_id, dimension, key, e.occurred_at, count);
  }
}

// A session's metrics belong to the bucket of its start, under the overview
// and under the acquisition dimensions of its first event.
void AddSession(const Session& s, int sign, RollupDeltas* rollups) {
  const int64_t duration_us = absl::ToInt64Microseconds(s.duration());
  auto count = [&](RollupDelta& d) {
    d.sessions += sign;
    d.bounces += s.bounced() ? sign : 0;
    d.duration_us += sign * duration_us;
  };
  Add(rollups, s.site_id, Dimension::kOverview, "", s.started_at, count);
  const std::pair<Dimension, const std::string*> attributed[] = {
      {Dimension::kReferrer, &s.referrer},
      {Dimension::kUtmSource, &s.utm_source},
      {Dimension::kUtmMedium, &s.utm_medium},
      {Dimension::kUtmCampaign, &s.utm_campaign},
  };
  for (const auto& [dimension, key] : attributed) {
    if (!key->empty()) Add(rollups, s.site_id, dimension, *key, s.started_at, count);
  }
}

// One item of a session id's timeline: a stored session or a new event.
struct TimelineItem {
  absl::Time start;
  absl::Time end;
  int64_t tiebreak;
  const Session* stored = nullptr;
  const ReducerEvent* event = nullptr;
};

void PlanSessions(const std::vector<const ReducerEvent*>& events,
                  const std::vector<const Session*>& stored, BatchPlan* plan) {
  const absl::Duration timeout = events.front()->session_timeout;
  std::vector<TimelineItem> items;
  for (const Session* s : stored) {
    items.push_back({s->started_at, s->last_seen_at, s->first_event_id, s, nullptr});
  }
  for (const ReducerEvent* e : events) {
    items.push_back({e->occurred_at, e->occurred_at, e->id, nullptr, e});
  }
  std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
    return std::tie(a.start, a.tiebreak) < std::tie(b.start, b.tiebreak);
  });
  size_t i = 0;
  while (i < items.size()) {
    // A cluster: items whose gaps are at most the timeout.
    size_t j = i;
    absl::Time end = items[i].end;
    while (j + 1 < items.size() && items[j + 1].start - end <= timeout) {
      ++j;
      end = std::max(end, items[j].end);
    }
    bool has_event = false;
    std::optional<Session> merged;
    for (size_t k = i; k <= j; ++k) {
      Session part = items[k].stored ? *items[k].stored : SessionOf(*items[k].event);
      has_event |= items[k].event != nullptr;
      if (merged) {
        MergeInto(*merged, part);
      } else {
        merged = std::move(part);
      }
    }
    if (has_event) {
      for (size_t k = i; k <= j; ++k) {
        const Session* old = items[k].stored;
        if (old == nullptr) continue;
        AddSession(*old, -1, &plan->rollups);
        if (old->started_at != merged->started_at) {
          plan->session_deletes.push_back(
              {old->site_id, old->session_id, old->started_at});
        }
      }
      AddSession(*merged, +1, &plan->rollups);
      plan->session_upserts.push_back(std::move(*merged));
    }
    i = j + 1;
  }
}

}  // namespace

BatchPlan PlanBatch(const std::vector<ReducerEvent>& events,
                    const std::vector<Session>& existing,
                    const PlanOptions& options) {
  BatchPlan plan;
  using SessionGroup = std::pair<int64_t, std::string>;
  std::map<SessionGroup, std::vector<const ReducerEvent*>> by_session;
  std::map<std::pair<int64_t, std::string>, VisitorUpdate> visitors;
  std::set<VisitorBucket> buckets;
  absl::flat_hash_map<std::pair<int64_t, std::string>, Stamp> identify_stamp;

  for (const ReducerEvent& e : events) {
    if (!options.fail_event_name.empty() && e.type == kTrack &&
        e.name == options.fail_event_name) {
      plan.failed.push_back({e.site_id, e.id,
                             absl::StrCat("fault injection: event name '",
                                          e.name, "' is set to fail")});
      continue;
    }
    by_session[{e.site_id, e.session_id}].push_back(&e);
    AddEvent(e, &plan.rollups);
    buckets.insert({e.site_id, Granularity::kHour, FloorHour(e.occurred_at),
                    e.visitor_id});
    buckets.insert({e.site_id, Granularity::kDay, FloorDay(e.occurred_at),
                    e.visitor_id});

    auto [it, inserted] = visitors.try_emplace({e.site_id, e.visitor_id});
    VisitorUpdate& v = it->second;
    if (inserted) {
      v.site_id = e.site_id;
      v.visitor_id = e.visitor_id;
      v.first_seen_at = v.last_seen_at = e.occurred_at;
    }
    v.first_seen_at = std::min(v.first_seen_at, e.occurred_at);
    v.last_seen_at = std::max(v.last_seen_at, e.occurred_at);
    if (e.type == kIdentify) {
      Stamp stamp{e.occurred_at, e.id};
      auto& latest = identify_stamp[{e.site_id, e.visitor_id}];
      if (!v.identified_at.has_value() || stamp > latest) {
        latest = stamp;
        v.identified_at = e.occurred_at;
        v.user_id = e.user_id;
        v.traits_json = e.properties_json;
      }
    }
  }

  std::map<SessionGroup, std::vector<const Session*>> stored;
  for (const Session& s : existing) {
    stored[{s.site_id, s.session_id}].push_back(&s);
  }
  for (const auto& [group, group_events] : by_session) {
    PlanSessions(group_events, stored[group], &plan);
  }
  for (auto it = plan.rollups.begin(); it != plan.rollups.end();) {
    it = it->second.zero() ? plan.rollups.erase(it) : std::next(it);
  }
  plan.visitor_buckets.assign(buckets.begin(), buckets.end());
  for (auto& [key, v] : visitors) plan.visitors.push_back(std::move(v));
  return plan;
}

void AddFreshVisitors(const std::vector<VisitorBucket>& fresh,
                      RollupDeltas* rollups) {
  for (const VisitorBucket& b : fresh) {
    (*rollups)[RollupKey{b.site_id, b.granularity, Dimension::kOverview, "",
                         b.bucket_start}]
        .visitors += 1;
  }
}

}  // namespace analytics::reducer
