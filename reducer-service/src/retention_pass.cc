// RetentionPass on libpqxx.
#include "reducer-service/src/retention_pass.h"

#include <algorithm>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/db/locks.h"
#include "common/sites/site.h"
#include "reducer-service/src/retention.h"
#include "reducer-service/src/sql_queries.h"
#include "spdlog/spdlog.h"

namespace analytics::reducer {
namespace {

// Partitions one pass may drop; months expire one at a time in practice.
constexpr int kMaxDropsPerPass = 12;
// 0001-01-01T00:00:00Z: stands for "no cutoff" (an infinite past has no
// timestamptz), earlier than any stored row.
constexpr int64_t kEarliestMicros = -62135596800LL * 1000000;

int64_t Micros(absl::Time t) {
  return std::max(absl::ToUnixMicros(t), kEarliestMicros);
}

}  // namespace

std::vector<db::Statement> RetentionPass::Statements() {
  return {{"select_site_retention", sql::kSelectSiteRetention},
          {"lock_retention", sql::kLockRetention},
          {"ensure_event_partitions", sql::kEnsureEventPartitions},
          {"drop_expired_event_partitions", sql::kDropExpiredEventPartitions},
          {"expire_site_rows", sql::kExpireSiteRows}};
}

absl::StatusOr<std::vector<RetentionPass::SiteSettings>>
RetentionPass::ReadSites() {
  return pool_->RunTransaction(
      "select_site_retention",
      [](pqxx::transaction_base& tx)
          -> absl::StatusOr<std::vector<SiteSettings>> {
        std::vector<SiteSettings> sites;
        for (const auto& row : tx.exec_prepared("select_site_retention")) {
          sites.push_back(SiteSettings{
              .site_id = row[0].as<int64_t>(),
              .raw_retention = absl::Milliseconds(row[1].as<int64_t>()),
              .session_timeout = absl::Milliseconds(row[2].as<int64_t>())});
        }
        return sites;
      });
}

absl::Status RetentionPass::MaintainPartitions(absl::Time now,
                                               absl::Duration longest_retention,
                                               RetentionReport* report) {
  const PartitionPlan plan =
      PlanPartitions(now, longest_retention, options_.partition_lead);
  return pool_->RunTransaction(
      "retention_partitions", [&](pqxx::transaction_base& tx) -> absl::Status {
        if (!TakeTurn(tx)) {
          report->contended = true;
          return absl::OkStatus();
        }
        report->partitions_created =
            tx.exec_prepared1("ensure_event_partitions",
                              Micros(plan.ensure_from),
                              Micros(plan.ensure_to))[0]
                .as<int>();
        report->partitions_dropped.clear();
        for (const auto& row :
             tx.exec_prepared("drop_expired_event_partitions",
                              Micros(plan.drop_before), kMaxDropsPerPass)) {
          report->partitions_dropped.push_back(row[0].as<std::string>());
        }
        return absl::OkStatus();
      });
}

bool RetentionPass::TakeTurn(pqxx::transaction_base& tx) {
  return tx
      .exec_prepared1(
          "lock_retention", db::PartitionMaintenanceLockKey(),
          absl::StrCat(absl::ToInt64Milliseconds(options_.lock_timeout),
                       "ms"))[0]
      .as<bool>();
}

absl::StatusOr<RetentionReport> RetentionPass::RunOnce() {
  const absl::Time now = options_.clock->Now();
  RetentionReport report;
  absl::StatusOr<std::vector<SiteSettings>> sites = ReadSites();
  if (!sites.ok()) return sites.status();

  absl::Duration longest = kDefaultRawRetention;
  if (!sites->empty()) {
    longest =
        std::max_element(sites->begin(), sites->end(),
                         [](const SiteSettings& a, const SiteSettings& b) {
                           return a.raw_retention < b.raw_retention;
                         })
            ->raw_retention;
  }
  // A partition step that cannot get its lock in time (a long query on
  // `events`) is retried next pass; the sites' steps go on regardless.
  if (absl::Status s = MaintainPartitions(now, longest, &report); !s.ok()) {
    spdlog::warn("retention: partition maintenance skipped this pass: {}",
                 s.ToString());
  }

  int steps = 0;
  for (const SiteSettings& site : *sites) {
    const SiteExpiry expiry =
        ExpiryFor(site.site_id, now, site.raw_retention, site.session_timeout,
                  options_.hourly_rollup_retention);
    bool site_done = false;
    while (!site_done) {
      if (steps == options_.max_steps) {
        report.more = true;
        break;
      }
      ++steps;
      // Rows deleted per table, in expire_site_rows.sql's order; empty when
      // another replica had the turn.
      absl::StatusOr<std::vector<int64_t>> deleted = pool_->RunTransaction(
          "expire_site_rows",
          [&](pqxx::transaction_base& tx)
              -> absl::StatusOr<std::vector<int64_t>> {
            if (!TakeTurn(tx)) return std::vector<int64_t>();
            const pqxx::row n = tx.exec_prepared1(
                "expire_site_rows", site.site_id, Micros(expiry.events_before),
                Micros(expiry.sessions_before), Micros(expiry.hours_before),
                options_.batch_rows);
            std::vector<int64_t> counts;
            for (const auto& field : n) counts.push_back(field.as<int64_t>());
            return counts;
          });
      if (!deleted.ok()) return deleted.status();
      if (deleted->empty()) {
        report.contended = true;
        break;
      }
      int64_t* totals[] = {&report.events_deleted, &report.client_ids_deleted,
                           &report.sessions_deleted,
                           &report.hour_rollups_deleted,
                           &report.visitor_buckets_deleted};
      for (size_t i = 0; i < std::size(totals); ++i) {
        *totals[i] += (*deleted)[i];
      }
      site_done = *std::max_element(deleted->begin(), deleted->end()) <
                  options_.batch_rows;
    }
    if (report.more) break;
  }
  return report;
}

void RetentionPass::Start() {
  stopping_ = false;
  loop_ = std::thread([this] { Loop(); });
}

void RetentionPass::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (loop_.joinable()) loop_.join();
}

void RetentionPass::Loop() {
  while (!stopping_) {
    absl::StatusOr<RetentionReport> report = RunOnce();
    if (!report.ok()) {
      spdlog::warn("retention pass failed: {}", report.status().ToString());
    } else if (report->partitions_created > 0 ||
               !report->partitions_dropped.empty() ||
               report->events_deleted + report->sessions_deleted +
                       report->hour_rollups_deleted >
                   0) {
      spdlog::info(
          "retention: {} partitions created, dropped [{}]; deleted {} raw "
          "events, {} event ids, {} sessions, {} hour rollups, {} hour "
          "visitor rows{}",
          report->partitions_created,
          absl::StrJoin(report->partitions_dropped, ", "),
          report->events_deleted, report->client_ids_deleted,
          report->sessions_deleted, report->hour_rollups_deleted,
          report->visitor_buckets_deleted,
          report->more ? " (more next pass)" : "");
    }
    absl::MutexLock lock(&mu_);
    auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_.load();
    };
    mu_.AwaitWithTimeout(absl::Condition(&stopping), options_.interval);
  }
}

}  // namespace analytics::reducer
