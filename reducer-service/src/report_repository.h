// ReportRepository: the read side of rollups. Overview totals for one or
// more RangePlans (GetOverview with its comparison period, every bucket of
// GetTimeseries), breakdowns by a dimension, event property values, and a
// dashboard's worth of them, each read in one snapshot. The only query-side
// code that touches rollups.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/db/connection_pool.h"
#include "common/db/statement.h"
#include "common/rollups/rollup_model.h"
#include "reducer-service/src/page_token.h"
#include "reducer-service/src/range_plan.h"

namespace analytics::reducer {

// Additive totals of one range (bounces and duration over its sessions).
struct RangeTotals {
  int64_t events = 0;
  int64_t pageviews = 0;
  int64_t sessions = 0;
  int64_t bounces = 0;
  int64_t duration_us = 0;
  int64_t visitors = 0;
};

struct OverviewSnapshot {
  // One per requested plan, in order.
  std::vector<RangeTotals> ranges;
  int64_t pending_events = 0;
  absl::Time as_of;
};

// What a breakdown groups by: an event dimension (rollup rows plus raw
// edges) or a session's entry or exit page (sessions table).
struct BreakdownKind {
  enum class Source { kEvents, kEntryPage, kExitPage };
  Source source = Source::kEvents;
  Dimension dimension = Dimension::kPage;  // kEvents only
};

enum class BreakdownMetric {
  kVisitors = 1,
  kEvents = 2,
  kPageviews = 3,
  kSessions = 4
};

struct BreakdownQuery {
  int64_t site_id = 0;
  absl::Time from;
  absl::Time to;
  BreakdownKind kind;
  BreakdownMetric sort_by = BreakdownMetric::kVisitors;
  // Rows strictly after this (sort value, key); nullopt: from the top.
  std::optional<BreakdownCursor> after;
  int limit = 100;
};

struct BreakdownValues {
  std::string key;
  int64_t events = 0;
  int64_t pageviews = 0;
  int64_t visitors = 0;
  int64_t sessions = 0;
  // The value of the query's sort_by (the page cursor's value).
  int64_t sort_value = 0;
};

struct BreakdownPage {
  std::vector<BreakdownValues> rows;
  int64_t pending_events = 0;
  absl::Time as_of;
};

struct PropertyQuery {
  int64_t site_id = 0;
  absl::Time from;
  absl::Time to;
  std::string event_name;
  std::string property_key;
  int limit = 100;
};

struct PropertyValueCount {
  std::string value;
  int64_t events = 0;
  int64_t visitors = 0;
  int64_t sessions = 0;
};

struct PropertyBreakdown {
  std::vector<PropertyValueCount> rows;
  // Events of that name in the range, with or without the property.
  int64_t events = 0;
  int64_t pending_events = 0;
  absl::Time as_of;
};

struct DashboardSnapshot {
  // plans[0] is the whole range, then one per series bucket.
  OverviewSnapshot overview;
  // One per requested breakdown, in order.
  std::vector<BreakdownPage> breakdowns;
};

class ReportRepository {
 public:
  static std::vector<db::Statement> Statements();

  explicit ReportRepository(db::ConnectionPool* pool) : pool_(pool) {}

  // Each takes the caller's remaining deadline `time_left`: DEADLINE_EXCEEDED
  // when it has passed or a statement outlives it.
  absl::StatusOr<OverviewSnapshot> Read(
      int64_t site_id, const std::vector<RangePlan>& plans,
      absl::Duration time_left = absl::InfiniteDuration());
  absl::StatusOr<BreakdownPage> ReadBreakdown(
      const BreakdownQuery& query,
      absl::Duration time_left = absl::InfiniteDuration());
  absl::StatusOr<PropertyBreakdown> ReadProperties(
      const PropertyQuery& query,
      absl::Duration time_left = absl::InfiniteDuration());
  // The overview of `plans` and every breakdown of `breakdowns` (of the same
  // site), all in one snapshot.
  absl::StatusOr<DashboardSnapshot> ReadDashboard(
      int64_t site_id, const std::vector<RangePlan>& plans,
      const std::vector<BreakdownQuery>& breakdowns,
      absl::Duration time_left = absl::InfiniteDuration());

 private:
  db::ConnectionPool* const pool_;
};

}  // namespace analytics::reducer
