// Scenario: generated traffic for the pipeline tests and the oracle that
// recounts any [from, to) straight from the generated events, independently
// of the SQL under test. The oracle implements the product's definitions:
// sessions are a session id's events split after `session_timeout` of
// inactivity and count in the range where they start; bounce = at most one
// pageview in the whole session; duration = last event - first event;
// visitors = distinct visitor ids with an event in the range. It also
// recounts GetBreakdown and GetEventPropertyBreakdown (proto/analytics/v1/
// query.proto) the same way.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "analytics/v1/ingest.pb.h"
#include "analytics/v1/query.pb.h"

namespace analytics::testing {

struct ScenarioEvent {
  std::string event_id;
  v1::EventType type = v1::PAGEVIEW;
  std::string name;
  absl::Time at;
  std::string visitor_id;
  std::string session_id;
  std::string path;
  std::string user_id;
  std::string referrer;
  std::string utm_source;
  std::string device;
  std::string country;
  // The host the product must derive from `referrer` (lowercased, without
  // "www." and port; empty when there is none). Written by the generators
  // from a fixed table next to each URL, never computed from it.
  std::string referrer_host;
  std::string utm_medium;
  std::string utm_campaign;
  std::string browser;
  std::string os;
  // Sent as Event.properties (TRACK events of RandomTraffic).
  std::map<std::string, v1::PropertyValue> properties;
};

// The acceptance scenario: `visitors` visitors, each identify, pageview "/",
// track plan_selected, pageview "/pricing", track plan_selected at +0..4 s;
// the first half in the hour starting at `first_hour`, the rest in the next.
std::vector<ScenarioEvent> PricingFunnel(absl::Time first_hour, int visitors);

// Random traffic over [start, start + span): `visitors` visitors with 1-4
// sessions each, gaps inside a session below `session_timeout` (and at least
// 1 s, so no two events of a session share an instant), some session ids
// reused after a longer gap (so they split), microsecond timestamps. Every
// event carries a path (a few frequent ones, a handful of byte-order traps
// such as "/Pricing", "/_drafts", "/caf\xc3\xa9", and a long tail "/p/<n>"), a
// referrer from a fixed table of URLs (with referrer_host; often none), utm
// source / medium / campaign, device, browser, os and country (each sometimes
// empty). TRACK events are named signup, click, purchase, download or Share
// and carry properties (strings, booleans, nulls and numbers whose JSON text
// is unambiguous: 1, 2, 10, 2.5, 0.5, 100, -3, 9.5, 19, 12.75).
std::vector<ScenarioEvent> RandomTraffic(absl::Time start, absl::Duration span,
                                         int visitors,
                                         absl::Duration session_timeout,
                                         uint32_t seed);

struct ExpectedOverview {
  int64_t events = 0;
  int64_t pageviews = 0;
  int64_t sessions = 0;
  int64_t bounces = 0;
  int64_t duration_us = 0;
  int64_t visitors = 0;
};

ExpectedOverview Recount(const std::vector<ScenarioEvent>& events,
                         absl::Time from, absl::Time to,
                         absl::Duration session_timeout);

// A session as the product defines it: a session id's events (in time
// order) up to a gap longer than the timeout.
struct ScenarioSession {
  std::vector<const ScenarioEvent*> events;
};

// Every session of `events`, in no particular order. The pointers point into
// `events`.
std::vector<ScenarioSession> Sessionize(
    const std::vector<ScenarioEvent>& events, absl::Duration session_timeout);

// One row of GetBreakdown.
struct ExpectedBreakdownRow {
  std::string key;
  int64_t events = 0;
  int64_t pageviews = 0;
  int64_t visitors = 0;
  int64_t sessions = 0;
  bool operator==(const ExpectedBreakdownRow&) const = default;
};

// The row's value of `metric` (UNSPECIFIED: visitors).
int64_t MetricOf(const ExpectedBreakdownRow& row, v1::BreakdownMetric metric);

// GetBreakdown's complete row list for [from, to), sorted by `sort_by`
// descending, then key ascending in byte order. Event dimensions: the events
// in the range whose own value (page: path of PAGEVIEW events; event: name of
// TRACK events; referrer: referrer_host; utm_*, device, browser, os, country
// as sent) is the key, their pageviews, distinct visitor ids and distinct
// session ids (the raw string). entry_page / exit_page: the sessions (see
// Sessionize) that started in the range and have a pageview, by the path of
// their first / last pageview; their whole events and pageviews (also those
// outside the range) and distinct visitor ids. Adds a test failure if two
// pageviews of one session share an instant (the order would depend on
// server event ids, which the oracle does not know).
std::vector<ExpectedBreakdownRow> RecountBreakdown(
    const std::vector<ScenarioEvent>& events, absl::Time from, absl::Time to,
    v1::Dimension dimension, v1::BreakdownMetric sort_by,
    absl::Duration session_timeout);

// The text GetEventPropertyBreakdown reports for a value: strings as is,
// booleans "true" / "false", null "null", numbers as their JSON text (exact
// for the integers and short decimals the generators use).
std::string PropertyText(const v1::PropertyValue& value);

struct ExpectedPropertyRow {
  std::string value;
  int64_t events = 0;
  int64_t visitors = 0;
  int64_t sessions = 0;
  bool operator==(const ExpectedPropertyRow&) const = default;
};

struct ExpectedPropertyBreakdown {
  // All rows, sorted by events descending, then value in byte order.
  std::vector<ExpectedPropertyRow> rows;
  // TRACK events named `event_name` in the range, with or without the key.
  int64_t events = 0;
};

ExpectedPropertyBreakdown RecountPropertyBreakdown(
    const std::vector<ScenarioEvent>& events, absl::Time from, absl::Time to,
    const std::string& event_name, const std::string& property_key);

// Distinct counts (visitors; a breakdown row's visitors and sessions) are
// exact while the range holds at most this many distinct ids, HyperLogLog
// estimates within 2% above (query.proto, migration 0006).
inline constexpr int64_t kExactDistinctLimit = 2560;

// Whether `actual` is what the product promises for a true distinct count
// `expected`: equal in the exact regime, within 2% of it above.
bool DistinctCountAgrees(int64_t actual, int64_t expected);

// Adds a test failure for every metric of `actual` that differs from
// `expected` (visitors as DistinctCountAgrees; pending_events must be 0: the
// range is fully reduced).
void ExpectOverviewMatches(const ExpectedOverview& expected,
                           const v1::Overview& actual);

v1::Event ToProto(const ScenarioEvent& event);

// The events as Ingest requests of at most `batch_size` events, in order.
std::vector<v1::IngestRequest> ToRequests(
    const std::vector<ScenarioEvent>& events, int batch_size);

}  // namespace analytics::testing
