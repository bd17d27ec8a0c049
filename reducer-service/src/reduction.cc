// Session clustering, rollup contributions and visitor updates.
#include "reducer-service/src/reduction.h"

#include <algorithm>
#include <set>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/time/pg_time.h"

namespace analytics::reducer {

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

void AddEvent(const ReducerEvent& e, RollupDeltas* rollups,
              RollupSketchIds* ids) {
  AddEventCounts(EventFacts{.site_id = e.site_id,
                            .type = e.type,
                            .occurred_at = e.occurred_at,
                            .name = e.name,
                            .path = e.path,
                            .referrer = e.referrer,
                            .utm_source = e.utm_source,
                            .utm_medium = e.utm_medium,
                            .utm_campaign = e.utm_campaign,
                            .device = e.device,
                            .browser = e.browser,
                            .os = e.os,
                            .country = e.country,
                            .visitor_id = e.visitor_id,
                            .session_id = e.session_id},
                 rollups, ids);
}

void AddSession(const Session& s, int sign, RollupDeltas* rollups) {
  AddSessionCounts(SessionFacts{.site_id = s.site_id,
                                .started_at = s.started_at,
                                .duration = s.duration(),
                                .bounced = s.bounced(),
                                .referrer_host = s.referrer,
                                .utm_source = s.utm_source,
                                .utm_medium = s.utm_medium,
                                .utm_campaign = s.utm_campaign},
                   sign, rollups);
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
    items.push_back(
        {s->started_at, s->last_seen_at, s->first_event_id, s, nullptr});
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
      Session part =
          items[k].stored ? *items[k].stored : SessionOf(*items[k].event);
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
    if (e.bot) continue;
    by_session[{e.site_id, e.session_id}].push_back(&e);
    AddEvent(e, &plan.rollups, &plan.sketch_ids);
    buckets.insert({e.site_id, Granularity::kHour, FloorHour(e.occurred_at),
                    e.visitor_id});
    buckets.insert(
        {e.site_id, Granularity::kDay, FloorDay(e.occurred_at), e.visitor_id});

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
