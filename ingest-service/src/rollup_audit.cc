// Rollup recomputation on libpqxx.
#include "ingest-service/src/rollup_audit.h"

#include "common/db/locks.h"
#include "common/time/pg_time.h"
#include "ingest-service/src/sql_queries.h"

namespace analytics::ingest {
namespace {

// Events read per round trip: bounds memory for audits of busy days.
constexpr int kEventPage = 20000;
// How long one audit may take.
constexpr char kAuditTimeout[] = "600s";

absl::Time Micros(const pqxx::field& f) {
  return absl::FromUnixMicros(f.as<int64_t>());
}

void AddRawEvents(pqxx::transaction_base& tx, int64_t site_id,
                  const std::string& from, const std::string& to,
                  RollupDeltas* expected) {
  std::string after_time = from;
  int64_t after_id = 0;
  while (true) {
    pqxx::result rows = tx.exec_prepared("select_audit_events", site_id, from,
                                         to, after_time, after_id, kEventPage);
    for (const auto& row : rows) {
      const std::string name = row[2].as<std::string>();
      const std::string path = row[4].as<std::string>();
      const std::string referrer = row[5].as<std::string>();
      const std::string utm_source = row[6].as<std::string>();
      const std::string utm_medium = row[7].as<std::string>();
      const std::string utm_campaign = row[8].as<std::string>();
      const std::string device = row[9].as<std::string>();
      const std::string browser = row[10].as<std::string>();
      const std::string os = row[11].as<std::string>();
      const std::string country = row[12].as<std::string>();
      AddEventCounts(EventFacts{.site_id = site_id,
                                .type = row[1].as<int>(),
                                .occurred_at = Micros(row[3]),
                                .name = name,
                                .path = path,
                                .referrer = referrer,
                                .utm_source = utm_source,
                                .utm_medium = utm_medium,
                                .utm_campaign = utm_campaign,
                                .device = device,
                                .browser = browser,
                                .os = os,
                                .country = country,
                                // Sketches are audited by SQL
                                // (select_audit_sketches), not from ids.
                                .visitor_id = {},
                                .session_id = {}},
                     expected);
    }
    if (static_cast<int>(rows.size()) < kEventPage) return;
    const auto last = rows[rows.size() - 1];
    after_time = ToPgTimestamp(Micros(last[3]));
    after_id = last[0].as<int64_t>();
  }
}

void AddSessions(pqxx::transaction_base& tx, int64_t site_id,
                 const std::string& from, const std::string& to,
                 RollupDeltas* expected) {
  for (const auto& row :
       tx.exec_prepared("select_audit_sessions", site_id, from, to)) {
    const std::string referrer = row[3].as<std::string>();
    const std::string utm_source = row[4].as<std::string>();
    const std::string utm_medium = row[5].as<std::string>();
    const std::string utm_campaign = row[6].as<std::string>();
    AddSessionCounts(
        SessionFacts{.site_id = site_id,
                     .started_at = Micros(row[0]),
                     .duration = absl::Microseconds(row[1].as<int64_t>()),
                     .bounced = row[2].as<int>() <= 1,
                     .referrer_host = referrer,
                     .utm_source = utm_source,
                     .utm_medium = utm_medium,
                     .utm_campaign = utm_campaign},
        +1, expected);
  }
}

void SetVisitors(pqxx::transaction_base& tx, int64_t site_id,
                 const std::string& from, const std::string& to,
                 RollupDeltas* expected) {
  for (const auto& row :
       tx.exec_prepared("select_audit_visitors", site_id, from, to)) {
    (*expected)[RollupKey{site_id, static_cast<Granularity>(row[0].as<int>()),
                          Dimension::kOverview, "", Micros(row[1])}]
        .visitors = row[2].as<int64_t>();
  }
}

void SetSketches(pqxx::transaction_base& tx, int64_t site_id,
                 const std::string& from, const std::string& to,
                 RollupDeltas* expected) {
  for (const auto& row :
       tx.exec_prepared("select_audit_sketches", site_id, from, to)) {
    RollupDelta& d = (*expected)[RollupKey{
        site_id, static_cast<Granularity>(row[0].as<int>()),
        static_cast<Dimension>(row[1].as<int>()), row[2].as<std::string>(),
        Micros(row[3])}];
    d.visitor_ids = row[4].as<int64_t>();
    d.session_ids = row[5].as<int64_t>();
  }
}

RollupDeltas StoredRows(pqxx::transaction_base& tx, int64_t site_id,
                        const std::string& from, const std::string& to) {
  RollupDeltas stored;
  for (const auto& row :
       tx.exec_prepared("select_audit_rollups", site_id, from, to)) {
    stored[RollupKey{site_id, static_cast<Granularity>(row[0].as<int>()),
                     static_cast<Dimension>(row[1].as<int>()),
                     row[2].as<std::string>(), Micros(row[3])}] =
        RollupDelta{.events = row[4].as<int64_t>(),
                    .pageviews = row[5].as<int64_t>(),
                    .visitors = row[6].as<int64_t>(),
                    .sessions = row[7].as<int64_t>(),
                    .bounces = row[8].as<int64_t>(),
                    .duration_us = row[9].as<int64_t>(),
                    .visitor_ids = row[10].as<int64_t>(),
                    .session_ids = row[11].as<int64_t>()};
  }
  return stored;
}

}  // namespace

void WidenToDays(absl::Time* from, absl::Time* to) {
  *from = FloorDay(*from);
  const absl::Time end_day = FloorDay(*to);
  *to = end_day == *to ? end_day : end_day + absl::Hours(24);
}

std::vector<db::Statement> RollupAudit::Statements() {
  return {{"lock_site_reduction", sql::kLockSiteReduction},
          {"select_audit_events", sql::kSelectAuditEvents},
          {"select_audit_sessions", sql::kSelectAuditSessions},
          {"select_audit_visitors", sql::kSelectAuditVisitors},
          {"select_audit_sketches", sql::kSelectAuditSketches},
          {"select_audit_rollups", sql::kSelectAuditRollups},
          {"update_audit_sketches", sql::kUpdateAuditSketches},
          {"delete_audit_rollups", sql::kDeleteAuditRollups},
          {"insert_audit_rollups", sql::kInsertAuditRollups},
          {"delete_audit_visitor_buckets", sql::kDeleteAuditVisitorBuckets},
          {"insert_audit_visitor_buckets", sql::kInsertAuditVisitorBuckets},
          {"select_audit_spans", sql::kSelectAuditSpans},
          {"delete_audit_visitor_spans", sql::kDeleteAuditVisitorSpans},
          {"insert_audit_visitor_spans", sql::kInsertAuditVisitorSpans}};
}

absl::StatusOr<RollupCheck> RollupAudit::Check(int64_t site_id, absl::Time from,
                                               absl::Time to, bool rewrite) {
  WidenToDays(&from, &to);
  const std::string from_text = ToPgTimestamp(from);
  const std::string to_text = ToPgTimestamp(to);
  return pool_->RunTransaction(
      rewrite ? "rebuild_rollups" : "verify_rollups",
      [&](pqxx::transaction_base& tx) -> absl::StatusOr<RollupCheck> {
        tx.exec_prepared("lock_site_reduction",
                         db::SiteReductionLockKey(site_id), kAuditTimeout);
        RollupDeltas expected;
        AddRawEvents(tx, site_id, from_text, to_text, &expected);
        AddSessions(tx, site_id, from_text, to_text, &expected);
        SetVisitors(tx, site_id, from_text, to_text, &expected);
        SetSketches(tx, site_id, from_text, to_text, &expected);
        const RollupDeltas stored = StoredRows(tx, site_id, from_text, to_text);

        RollupCheck check;
        check.from = from;
        check.to = to;
        check.mismatches = CompareRollups(expected, stored);
        for (const auto& [key, delta] : expected) {
          if (!delta.zero()) ++check.rows_checked;
        }
        for (const auto& [key, delta] : stored) {
          if (!expected.contains(key)) ++check.rows_checked;
        }
        const pqxx::row spans = tx.exec_prepared1("select_audit_spans", site_id,
                                                  from_text, to_text);
        check.spans_checked = spans[0].as<int64_t>();
        check.spans_different = spans[1].as<int64_t>();
        if (rewrite) {
          tx.exec_prepared("delete_audit_rollups", site_id, from_text, to_text);
          tx.exec_prepared("insert_audit_rollups", site_id,
                           RollupRowsJson(expected));
          tx.exec_prepared("update_audit_sketches", site_id, from_text,
                           to_text);
          tx.exec_prepared("delete_audit_visitor_buckets", site_id, from_text,
                           to_text);
          tx.exec_prepared("insert_audit_visitor_buckets", site_id, from_text,
                           to_text);
          tx.exec_prepared("delete_audit_visitor_spans", site_id, from_text,
                           to_text);
          tx.exec_prepared("insert_audit_visitor_spans", site_id, from_text,
                           to_text);
          check.rewritten = true;
        }
        return check;
      });
}

}  // namespace analytics::ingest
