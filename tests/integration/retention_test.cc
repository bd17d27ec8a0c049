// Retention against a real database: a site with one day of raw retention
// loses exactly its expired raw events, idempotency keys and sessions, in
// bounded steps; hour rollups go after the hourly retention while day
// rollups keep answering whole days exactly; a month no site keeps any more
// goes by dropping its partition; queued events are never deleted; and
// queries that would need expired rows are refused, not answered short.
// And a step on a site with nothing to expire reads next to nothing of it.
#include "reducer-service/src/retention.h"

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/db/locks.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "reducer-service/src/retention_pass.h"
#include "tests/support/scenario.h"
#include "tests/support/stack.h"

namespace analytics::testing {
namespace {

using ::google::protobuf::util::TimeUtil;
using ::testing::Contains;
using ::testing::HasSubstr;

constexpr absl::Duration kDay = absl::Hours(24);

// What one scan node of an EXPLAIN (ANALYZE, FORMAT JSON) plan read.
struct ScanRead {
  // The table scanned: events (any partition), event_client_ids, ...
  std::string table;
  // Node type, relation or index, alias and enclosing CTE, for messages.
  std::string node;
  // Rows returned plus rows removed by its filters, times its loops.
  int64_t rows = 0;
};

std::string StringField(const google::protobuf::Struct& node,
                        const std::string& key) {
  auto it = node.fields().find(key);
  return it == node.fields().end() ? "" : it->second.string_value();
}

double NumberField(const google::protobuf::Struct& node,
                   const std::string& key) {
  auto it = node.fields().find(key);
  return it == node.fields().end() ? 0 : it->second.number_value();
}

// Appends every scan of a table in `table_of` (relation or index name ->
// table) under `node`. DELETE targets are not scans and are skipped.
void CollectScans(const google::protobuf::Struct& node,
                  const absl::flat_hash_map<std::string, std::string>& table_of,
                  std::string subplan, std::vector<ScanRead>* out) {
  if (std::string name = StringField(node, "Subplan Name"); !name.empty()) {
    subplan = name;
  }
  const std::string type = StringField(node, "Node Type");
  std::string relation = StringField(node, "Relation Name");
  if (relation.empty()) relation = StringField(node, "Index Name");
  auto table = table_of.find(relation);
  if (type != "ModifyTable" && table != table_of.end()) {
    // Actual Rows and Rows Removed by ... are averages per loop.
    const double per_loop = NumberField(node, "Actual Rows") +
                            NumberField(node, "Rows Removed by Filter") +
                            NumberField(node, "Rows Removed by Index Recheck");
    const double loops = NumberField(node, "Actual Loops");
    out->push_back(ScanRead{
        .table = table->second,
        .node = absl::StrCat(
            type, " on ", relation, " (alias ", StringField(node, "Alias"),
            ") in ", subplan.empty() ? "the main query" : subplan,
            ": Actual Rows ", NumberField(node, "Actual Rows"),
            " x Actual Loops ", loops, ", Rows Removed by Filter ",
            NumberField(node, "Rows Removed by Filter")),
        .rows = std::llround(per_loop * loops)});
  }
  if (auto it = node.fields().find("Plans"); it != node.fields().end()) {
    for (const google::protobuf::Value& child :
         it->second.list_value().values())
      CollectScans(child.struct_value(), table_of, subplan, out);
  }
}

class RetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ServiceStack>> stack = ServiceStack::Start();
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = std::move(*stack);
    for (const char* slug : {"short", "long"}) {
      absl::StatusOr<v1::CreateSiteResponse> site = stack_->CreateSite(slug);
      ASSERT_TRUE(site.ok()) << site.status();
      sites_.push_back(*site);
    }
    pool_ = std::make_unique<db::ConnectionPool>(
        db::PoolOptions{.url = stack_->db().url(), .size = 2},
        reducer::RetentionPass::Statements());
  }

  int64_t short_id() const { return sites_[0].site().site_id(); }
  int64_t long_id() const { return sites_[1].site().site_id(); }

  grpc::Status SetRetention(int64_t site_id, absl::Duration retention) {
    v1::UpdateSiteRequest request;
    request.set_site_id(site_id);
    *request.mutable_site()->mutable_settings()->mutable_raw_retention() =
        TimeUtil::SecondsToDuration(absl::ToInt64Seconds(retention));
    request.mutable_update_mask()->add_paths("settings.raw_retention");
    v1::Site out;
    auto context = AuthorizedContext(kAdminToken);
    return stack_->admin().UpdateSite(context.get(), request, &out);
  }

  // One pageview per instant, each its own visitor and session.
  void Send(int site, const std::vector<absl::Time>& instants,
            const std::string& prefix) {
    v1::IngestRequest request;
    for (size_t i = 0; i < instants.size(); ++i) {
      ScenarioEvent e;
      e.event_id = absl::StrCat(prefix, "-", i);
      e.at = instants[i];
      e.visitor_id = e.session_id = e.event_id;
      e.path = "/";
      *request.add_events() = ToProto(e);
    }
    v1::IngestResponse response;
    grpc::Status status =
        stack_->Ingest(sites_[site].write_key(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(response.accepted(), static_cast<int>(instants.size()));
  }

  int64_t Count(const char* table, int64_t site_id) {
    return stack_->db().QueryInt(
        absl::StrCat("SELECT count(*) FROM ", table, " WHERE site_id = $1"),
        site_id);
  }

  std::set<std::string> Partitions() {
    std::set<std::string> names;
    for (const auto& row :
         stack_->db().Query("SELECT c.relname FROM pg_inherits i"
                            " JOIN pg_class c ON c.oid = i.inhrelid"
                            " WHERE i.inhparent = 'events'::regclass")) {
      names.insert(row[0].as<std::string>());
    }
    return names;
  }

  // Passes until one has nothing more to do (each bounded by max_steps).
  reducer::RetentionReport RunUntilDone(reducer::RetentionOptions options) {
    reducer::RetentionPass pass(pool_.get(), options);
    reducer::RetentionReport total;
    for (int i = 0; i < 100; ++i) {
      absl::StatusOr<reducer::RetentionReport> r = pass.RunOnce();
      EXPECT_TRUE(r.ok()) << r.status();
      if (!r.ok()) break;
      EXPECT_FALSE(r->contended);
      total.partitions_created += r->partitions_created;
      for (const auto& p : r->partitions_dropped)
        total.partitions_dropped.push_back(p);
      total.events_deleted += r->events_deleted;
      total.client_ids_deleted += r->client_ids_deleted;
      total.sessions_deleted += r->sessions_deleted;
      total.hour_rollups_deleted += r->hour_rollups_deleted;
      total.visitor_buckets_deleted += r->visitor_buckets_deleted;
      if ((!r->more || options.max_steps == 0) &&
          r->partitions_dropped.empty()) {
        break;
      }
    }
    return total;
  }

  static std::string MonthName(absl::Time t) {
    return absl::StrCat("events_",
                        absl::FormatTime("%Y%m", t, absl::UTCTimeZone()));
  }

  std::unique_ptr<ServiceStack> stack_;
  std::vector<v1::CreateSiteResponse> sites_;
  std::unique_ptr<db::ConnectionPool> pool_;
};

TEST_F(RetentionTest, ShortRetentionLosesExactlyTheExpiredData) {
  const absl::Time now = absl::Now();
  // Room for an old month first: ten years back.
  ASSERT_TRUE(SetRetention(short_id(), 3660 * kDay).ok());
  const absl::Time ancient = now - 9 * 365 * kDay;
  Send(0, {ancient, ancient + absl::Minutes(1), ancient + absl::Minutes(2)},
       "ancient");
  std::vector<absl::Time> expired, kept;
  for (int i = 0; i < 20; ++i) {
    expired.push_back(now - 3 * kDay + i * absl::Minutes(90));  // 3d..1.8d
  }
  expired.push_back(now - kDay - absl::Minutes(1));
  kept.push_back(now - kDay + absl::Minutes(1));
  kept.push_back(now - absl::Hours(12));
  kept.push_back(now - absl::Hours(1));
  Send(0, expired, "expired");
  Send(0, kept, "kept");
  Send(1, expired, "other");  // the long site keeps all of these
  ASSERT_TRUE(stack_->Drain().ok());
  // Queued but not reduced: retention leaves it alone.
  Send(0, {now - 2 * kDay}, "queued");

  ASSERT_TRUE(SetRetention(short_id(), kDay).ok());
  const int64_t short_events = 3 + 21 + 3 + 1;
  ASSERT_EQ(Count("events", short_id()), short_events);
  ASSERT_EQ(Count("event_client_ids", short_id()), short_events);
  const int64_t short_hour_rollups = stack_->db().QueryInt(
      "SELECT count(*) FROM rollups WHERE site_id = $1 AND granularity = 0",
      short_id());
  const std::set<std::string> before = Partitions();
  ASSERT_THAT(before, Contains(MonthName(ancient)));

  FakeClock clock(now);
  reducer::RetentionOptions options;
  options.clock = &clock;
  options.hourly_rollup_retention = absl::ZeroDuration();
  // Partitions first: every month no site keeps goes whole, the ancient
  // one with its three events, a bounded number per pass.
  options.max_steps = 0;
  const reducer::RetentionReport drops = RunUntilDone(options);
  EXPECT_THAT(drops.partitions_dropped, Contains(MonthName(ancient)));
  EXPECT_FALSE(Partitions().contains(MonthName(ancient)));
  EXPECT_EQ(drops.events_deleted, 0);
  EXPECT_EQ(Count("events", short_id()), short_events - 3);

  options.batch_rows = 4;  // many steps per table
  options.max_steps = 3;   // and many passes
  const reducer::RetentionReport report = RunUntilDone(options);

  // Raw: the 21 expired and 3 ancient events (dropped with their month) are
  // gone; the 3 kept and the queued one remain. The long site kept all.
  EXPECT_EQ(Count("events", short_id()), 4);
  EXPECT_EQ(
      stack_->db().QueryInt("SELECT count(*) FROM events WHERE site_id = $1"
                            " AND occurred_at < now() - interval '1 day'"
                            " AND client_event_id <> 'queued-0'",
                            short_id()),
      0);
  EXPECT_EQ(Count("events", long_id()), 21);
  EXPECT_EQ(report.events_deleted, 21);
  EXPECT_TRUE(report.partitions_dropped.empty());
  // Idempotency keys go with their events (the queued event's too: Ingest
  // refuses an event that old anyway).
  EXPECT_EQ(Count("event_client_ids", short_id()), 3);
  EXPECT_EQ(Count("event_client_ids", long_id()), 21);
  // Sessions wait while the site has a queued event older than its raw
  // horizon (reducing it may extend one of them).
  EXPECT_EQ(report.sessions_deleted, 0);
  EXPECT_EQ(Count("sessions", short_id()), 3 + 21 + 3);
  // Hour rollups are kept forever here.
  EXPECT_EQ(report.hour_rollups_deleted, 0);
  EXPECT_EQ(stack_->db().QueryInt("SELECT count(*) FROM rollups WHERE "
                                  "site_id = $1 AND granularity = 0",
                                  short_id()),
            short_hour_rollups);

  // Once it is reduced, it expires too, and so do the sessions whose last
  // event is older than a day plus the 30 minute session timeout: all but
  // the one a minute past the horizon and the three kept.
  ASSERT_TRUE(stack_->Drain().ok());
  EXPECT_EQ(Count("event_queue", short_id()), 0);
  const reducer::RetentionReport second = RunUntilDone(options);
  EXPECT_EQ(second.events_deleted, 1);
  EXPECT_EQ(Count("events", short_id()), 3);
  EXPECT_EQ(second.sessions_deleted, 3 + 20 + 1);
  EXPECT_EQ(Count("sessions", short_id()), 1 + 3);
  EXPECT_EQ(Count("sessions", long_id()), 21);

  // Every month from 400 days back (the long site) to three months ahead
  // exists, and no other.
  std::set<std::string> expected;
  for (absl::Time m = reducer::MonthStartUtc(now - 400 * kDay);
       m < now + absl::Hours(24 * 92);
       m = reducer::MonthStartUtc(m + 32 * kDay)) {
    expected.insert(MonthName(m));
  }
  EXPECT_EQ(Partitions(), expected);

  // Whole days are still answered, exactly, from day rollups: all 28 events
  // of the short site up to today.
  const absl::Time today = absl::FromCivil(
      absl::CivilDay(absl::ToCivilDay(now, absl::UTCTimeZone())),
      absl::UTCTimeZone());
  v1::Overview overview;
  grpc::Status status = stack_->GetOverview(
      sites_[0].read_key(), short_id(), today - 3650 * kDay, today, &overview);
  ASSERT_TRUE(status.ok()) << status.error_message();
  int64_t before_today = 0;
  for (absl::Time t : {ancient, ancient, ancient, now - 2 * kDay})
    before_today += t < today;
  for (absl::Time t : expired) before_today += t < today;
  for (absl::Time t : kept) before_today += t < today;
  EXPECT_EQ(overview.events(), before_today);
  EXPECT_EQ(overview.visitors(), before_today);

  // An edge that needs expired raw rows is refused, naming the field.
  status = stack_->GetOverview(sites_[0].read_key(), short_id(), now - 2 * kDay,
                               now, &overview);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_THAT(status.error_message(), HasSubstr("from: raw events before"));
  // Inside the retention, edges are fine.
  status = stack_->GetOverview(sites_[0].read_key(), short_id(),
                               now - absl::Hours(13), now, &overview);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(overview.events(), 2);

  // Rollups of expired days can no longer be rebuilt from raw events (that
  // would wipe the day rollups that still hold them).
  v1::RollupCheckRequest rebuild;
  rebuild.set_site_id(short_id());
  *rebuild.mutable_from() =
      TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(now - 3 * kDay));
  *rebuild.mutable_to() =
      TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(now));
  v1::RollupCheckResponse rebuilt;
  auto context = AuthorizedContext(kAdminToken);
  status = stack_->admin().RebuildRollups(context.get(), rebuild, &rebuilt);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_THAT(status.error_message(),
              HasSubstr("rollups there can no longer be rebuilt"));
}

TEST_F(RetentionTest, HourRollupsExpireAfterTheirRetentionDayRollupsStay) {
  const absl::Time now = absl::Now();
  std::vector<absl::Time> instants;
  for (int i = 0; i < 12; ++i) instants.push_back(now - i * absl::Hours(10));
  Send(1, instants, "h");
  ASSERT_TRUE(stack_->Drain().ok());
  const int64_t day_rollups = stack_->db().QueryInt(
      "SELECT count(*) FROM rollups WHERE site_id = $1 AND granularity = 1",
      long_id());
  const int64_t day_buckets = stack_->db().QueryInt(
      "SELECT count(*) FROM visitor_buckets WHERE site_id = $1"
      " AND granularity = 1",
      long_id());
  const absl::Time horizon = now - 2 * kDay;
  const int64_t expired_hours = stack_->db().QueryInt(
      "SELECT count(*) FROM rollups WHERE site_id = $1 AND granularity = 0"
      " AND bucket_start < to_timestamp($2::float8 / 1e6)",
      long_id(), absl::ToUnixMicros(horizon));
  ASSERT_GT(expired_hours, 0);

  FakeClock clock(now);
  reducer::RetentionOptions options;
  options.clock = &clock;
  options.hourly_rollup_retention = 2 * kDay;
  const reducer::RetentionReport report = RunUntilDone(options);
  EXPECT_EQ(report.hour_rollups_deleted, expired_hours);
  EXPECT_EQ(report.events_deleted, 0);
  EXPECT_EQ(stack_->db().QueryInt(
                "SELECT count(*) FROM rollups WHERE site_id = $1 AND "
                "granularity = 0 AND bucket_start < to_timestamp($2::float8 "
                "/ 1e6)",
                long_id(), absl::ToUnixMicros(horizon)),
            0);
  // Hours inside the retention, every day rollup and day visitor row stay.
  EXPECT_GT(stack_->db().QueryInt("SELECT count(*) FROM rollups WHERE "
                                  "site_id = $1 AND granularity = 0",
                                  long_id()),
            0);
  EXPECT_EQ(stack_->db().QueryInt(
                "SELECT count(*) FROM rollups WHERE site_id = $1 AND "
                "granularity = 1",
                long_id()),
            day_rollups);
  EXPECT_EQ(stack_->db().QueryInt("SELECT count(*) FROM visitor_buckets "
                                  "WHERE site_id = $1 AND granularity = 1",
                                  long_id()),
            day_buckets);
  EXPECT_EQ(stack_->db().QueryInt(
                "SELECT count(*) FROM visitor_buckets WHERE site_id = $1 AND "
                "granularity = 0 AND bucket_start < to_timestamp($2::float8 "
                "/ 1e6)",
                long_id(), absl::ToUnixMicros(horizon)),
            0);
}

// A retention step on a site with nothing to expire reads (next to) none of
// its rows, however many it has: the cutoffs bound every index scan and
// prune the partitions of `events`. Until 49b38a1 they came from a CTE that
// the planner could only filter with, and every such step read all the
// site's events (1.9M rows, 10 s) at each reducer start and each pass. The
// step deletes nothing either way, so this reads the statement's EXPLAIN
// ANALYZE: how many rows each scan of the five tables read.
TEST_F(RetentionTest, StepWithNothingToExpireReadsNoRows) {
  constexpr int kEvents = 20000;
  // Allows for a join that fetches a row of one side before it finds the
  // other empty; the regression reads all kEvents.
  constexpr int64_t kMaxRowsPerScan = 2;
  const int64_t site = long_id();  // default retention: 400 days
  // kEvents reduced pageviews of the last day (none queued), each its own
  // visitor and session, with their idempotency keys, sessions, hour and day
  // visitor buckets and page rollups.
  TestDatabase& db = stack_->db();
  db.Query(
      "INSERT INTO events (site_id, client_event_id, type, occurred_at,"
      " received_at, visitor_id, session_id, path)"
      " SELECT $1, 'busy-' || i, 1, now() - i * interval '4 seconds', now(),"
      " 'v-' || i, 's-' || i, '/p/' || (i % 100)"
      " FROM generate_series(1, $2) i",
      site, kEvents);
  db.Query(
      "INSERT INTO event_client_ids (site_id, client_event_id, occurred_at)"
      " SELECT site_id, client_event_id, occurred_at FROM events"
      " WHERE site_id = $1",
      site);
  db.Query(
      "INSERT INTO sessions (site_id, session_id, started_at, last_seen_at,"
      " first_event_id, last_event_id, visitor_id, pageviews, events,"
      " entry_path, entry_at, entry_event_id, exit_path, exit_at,"
      " exit_event_id)"
      " SELECT site_id, session_id, occurred_at, occurred_at, id, id,"
      " visitor_id, 1, 1, path, occurred_at, id, path, occurred_at, id"
      " FROM events WHERE site_id = $1",
      site);
  db.Query(
      "INSERT INTO visitor_buckets (site_id, granularity, bucket_start,"
      " visitor_id)"
      " SELECT site_id, g, date_trunc(CASE g WHEN 0 THEN 'hour' ELSE 'day'"
      " END, occurred_at, 'UTC'), visitor_id"
      " FROM events, generate_series(0, 1) g WHERE site_id = $1",
      site);
  db.Query(
      "INSERT INTO rollups (site_id, granularity, dimension, key,"
      " bucket_start, events, pageviews)"
      " SELECT site_id, g, 2, path, date_trunc(CASE g WHEN 0 THEN 'hour'"
      " ELSE 'day' END, occurred_at, 'UTC'), count(*), count(*)"
      " FROM events, generate_series(0, 1) g WHERE site_id = $1"
      " GROUP BY 1, 2, 3, 4, 5",
      site);
  // Statistics as autovacuum would have them, before it runs at a moment
  // of its choosing.
  db.Query(
      "ANALYZE events, event_client_ids, event_queue, sessions, rollups,"
      " visitor_buckets");
  ASSERT_EQ(Count("events", site), kEvents);
  ASSERT_EQ(Count("event_client_ids", site), kEvents);
  ASSERT_EQ(Count("sessions", site), kEvents);
  ASSERT_EQ(Count("event_queue", site), 0);
  ASSERT_GT(db.QueryInt("SELECT count(*) FROM rollups WHERE site_id = $1"
                        " AND granularity = 0",
                        site),
            0);

  // Which table each relation and index name belongs to (events: any of
  // its partitions).
  absl::flat_hash_map<std::string, std::string> table_of;
  for (const auto& row :
       db.Query("WITH watched AS ("
                "  SELECT c.oid, c.relname::text AS table_name FROM pg_class c"
                "  WHERE c.oid IN ('event_client_ids'::regclass,"
                "    'sessions'::regclass, 'rollups'::regclass,"
                "    'visitor_buckets'::regclass)"
                "  UNION ALL"
                "  SELECT i.inhrelid, 'events' FROM pg_inherits i"
                "  WHERE i.inhparent = 'events'::regclass)"
                " SELECT c.relname, w.table_name FROM watched w"
                " JOIN pg_class c ON c.oid = w.oid"
                " UNION ALL"
                " SELECT c.relname, w.table_name FROM watched w"
                " JOIN pg_index x ON x.indrelid = w.oid"
                " JOIN pg_class c ON c.oid = x.indexrelid")) {
    table_of[row[0].as<std::string>()] = row[1].as<std::string>();
  }

  // The cutoffs RetentionPass computes for the site at this instant.
  const reducer::RetentionOptions options;
  const reducer::SiteExpiry expiry = reducer::ExpiryFor(
      site, absl::Now(),
      absl::Milliseconds(db.QueryInt(
          "SELECT raw_retention_ms FROM sites WHERE site_id = $1", site)),
      absl::Milliseconds(db.QueryInt(
          "SELECT session_timeout_ms FROM sites WHERE site_id = $1", site)),
      options.hourly_rollup_retention);
  ASSERT_LT(expiry.events_before, absl::Now() - 300 * kDay);
  ASSERT_LT(expiry.hours_before, absl::Now() - 300 * kDay);

  // The statements RetentionPass prepares, "expire_site_rows" wrapped in
  // EXPLAIN ANALYZE, run as RunOnce runs them (after its turn lock, with
  // its parameters) and rolled back: EXPLAIN ANALYZE does delete.
  std::vector<db::Statement> statements = reducer::RetentionPass::Statements();
  std::string explained;
  for (db::Statement& statement : statements) {
    if (statement.name == "expire_site_rows") {
      explained =
          "EXPLAIN (ANALYZE, FORMAT JSON)\n" + std::string(statement.sql);
      statement.sql = explained;
    }
  }
  ASSERT_FALSE(explained.empty());
  db::ConnectionPool pool(db::PoolOptions{.url = db.url(), .size = 1},
                          statements);
  absl::StatusOr<db::ConnectionPool::Lease> lease = pool.Acquire();
  ASSERT_TRUE(lease.ok()) << lease.status();
  std::string plan_json;
  {
    pqxx::work tx(lease->connection());
    ASSERT_TRUE(tx.exec_prepared1("lock_retention",
                                  db::PartitionMaintenanceLockKey(), "500ms")[0]
                    .as<bool>());
    plan_json = tx.exec_prepared1("expire_site_rows", site,
                                  absl::ToUnixMicros(expiry.events_before),
                                  absl::ToUnixMicros(expiry.sessions_before),
                                  absl::ToUnixMicros(expiry.hours_before),
                                  options.batch_rows)[0]
                    .as<std::string>();
    tx.abort();
  }
  google::protobuf::Value plan;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(plan_json, &plan).ok())
      << plan_json;
  ASSERT_EQ(plan.list_value().values_size(), 1) << plan_json;

  std::vector<ScanRead> scans;
  CollectScans(plan.list_value()
                   .values(0)
                   .struct_value()
                   .fields()
                   .at("Plan")
                   .struct_value(),
               table_of, "", &scans);
  absl::flat_hash_set<std::string> scanned;
  for (const ScanRead& scan : scans) {
    scanned.insert(scan.table);
    EXPECT_LE(scan.rows, kMaxRowsPerScan)
        << scan.node << ": read " << scan.rows << " rows of " << scan.table
        << " on a site with " << kEvents
        << " recent events and nothing to expire; the cutoffs no longer "
           "bound this scan";
  }
  // Not vacuous: every table of the statement was found in the plan.
  for (const char* table : {"events", "event_client_ids", "sessions", "rollups",
                            "visitor_buckets"}) {
    EXPECT_TRUE(scanned.contains(table))
        << "no scan of " << table << " in the plan:\n"
        << plan_json;
  }
  EXPECT_EQ(Count("events", site), kEvents);  // rolled back
}

TEST_F(RetentionTest, ReplicasTakeTurns) {
  // A step that finds the maintenance lock held skips instead of waiting.
  pqxx::connection holder(stack_->db().url());
  pqxx::work tx(holder);
  tx.exec_params("SELECT pg_advisory_xact_lock($1)",
                 db::PartitionMaintenanceLockKey());
  reducer::RetentionPass pass(pool_.get(), reducer::RetentionOptions{});
  absl::StatusOr<reducer::RetentionReport> r = pass.RunOnce();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->contended);
  EXPECT_EQ(r->partitions_created, 0);
}

}  // namespace
}  // namespace analytics::testing
