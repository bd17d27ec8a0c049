// Group commit (EventRepository): many concurrent Store calls share
// transactions, yet each call gets exactly its own outcome: its stored
// count, duplicates (also of repeats across calls of one group) counted
// once, and a deleted site's call refused without failing its group; a
// group whose COMMIT is lost is UNKNOWN to every member.
#include <atomic>
#include <iostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "ingest-service/src/event_repository.h"
#include "tests/support/stack.h"

namespace analytics::testing {
namespace {

ingest::IngestEvent Pageview(const std::string& id, absl::Time at) {
  ingest::IngestEvent e;
  e.client_event_id = id;
  e.type = v1::PAGEVIEW;
  e.occurred_at = at;
  e.visitor_id = "v-" + id;
  e.session_id = "s-" + id;
  e.path = "/";
  e.properties_json = "{}";
  return e;
}

v1::Event PageviewProto(const std::string& id, const std::string& session) {
  v1::Event e;
  e.set_event_id(id);
  e.set_type(v1::PAGEVIEW);
  e.set_visitor_id("v-" + session);
  e.set_session_id(session);
  e.set_path("/");
  return e;
}

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // One committer behind the stack's Ingest: a call arriving while a group
    // commits waits for the next group, so groups of many calls are certain
    // (the tests that build their own repository choose their own options).
    StackOptions options;
    options.group_commit = {.committers = 1, .max_group_events = 2000};
    absl::StatusOr<std::unique_ptr<ServiceStack>> stack =
        ServiceStack::Start(options);
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = std::move(*stack);
    for (const char* slug : {"a", "b"}) {
      absl::StatusOr<v1::CreateSiteResponse> site = stack_->CreateSite(slug);
      ASSERT_TRUE(site.ok()) << site.status();
      site_ids_.push_back(site->site().site_id());
      write_keys_.push_back(site->write_key());
    }
    pool_ = std::make_unique<db::ConnectionPool>(
        db::PoolOptions{.url = stack_->db().url(), .size = 4},
        ingest::EventRepository::Statements());
  }

  int64_t Count(const std::string& where) {
    return stack_->db().QueryInt(
        absl::StrCat("SELECT count(*) FROM events WHERE ", where));
  }

  std::unique_ptr<ServiceStack> stack_;
  std::vector<int64_t> site_ids_;
  std::vector<std::string> write_keys_;
  std::unique_ptr<db::ConnectionPool> pool_;
};

TEST_F(GroupCommitTest, ConcurrentCallsShareTransactionsAndKeepTheirCounts) {
  // One committer: every call that arrives while it is busy joins the next
  // group, so groups of many calls are certain.
  ingest::EventRepository events(
      pool_.get(),
      ingest::GroupCommitOptions{.committers = 1, .max_group_events = 50});
  const absl::Time at = absl::Now() - absl::Hours(1);
  constexpr int kThreads = 32;
  constexpr int kCalls = 40;
  std::atomic<int> stored{0}, duplicates{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int c = 0; c < kCalls; ++c) {
        // Every id is sent by two threads (t and t ^ 1) and twice within
        // one call: exactly one copy may be stored.
        const std::string id = absl::StrCat("e", t / 2, "-", c);
        ingest::EventBatch batch{
            site_ids_[0],
            {Pageview(id, at), Pageview(id, at),
             Pageview(absl::StrCat("own", t, "-", c), at)}};
        absl::StatusOr<int> n = events.Store(batch);
        if (!n.ok()) {
          ++failed;
          continue;
        }
        stored += *n;
        duplicates += 3 - *n;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed, 0);
  const int shared_ids = kThreads / 2 * kCalls;
  const int own_ids = kThreads * kCalls;
  EXPECT_EQ(stored, shared_ids + own_ids);
  EXPECT_EQ(duplicates, kThreads * kCalls * 3 - shared_ids - own_ids);
  EXPECT_EQ(Count(absl::StrCat("site_id = ", site_ids_[0])),
            shared_ids + own_ids);
  EXPECT_EQ(
      stack_->db().QueryInt(
          "SELECT count(*) FROM event_queue WHERE site_id = $1", site_ids_[0]),
      shared_ids + own_ids);
  // Far fewer transactions than calls: the groups were real. (Each group
  // is one statement; pg_stat_database is not per test, so count the
  // distinct transactions that wrote the events instead.)
  const int64_t transactions = stack_->db().QueryInt(
      "SELECT count(DISTINCT xmin::text) FROM events WHERE site_id = $1",
      site_ids_[0]);
  EXPECT_LT(transactions, kThreads * kCalls / 4) << transactions;
}

TEST_F(GroupCommitTest, ADeletedSitesCallIsRefusedItsGroupCommits) {
  ingest::EventRepository events(
      pool_.get(),
      ingest::GroupCommitOptions{.committers = 1, .max_group_events = 1000});
  ASSERT_TRUE(stack_->db()
                  .Query("UPDATE sites SET deleted_at = now() "
                         "WHERE site_id = $1",
                         site_ids_[1])
                  .empty());
  const absl::Time at = absl::Now() - absl::Hours(1);
  constexpr int kThreads = 16;
  std::atomic<int> stored{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int c = 0; c < 20; ++c) {
        const bool deleted = (t + c) % 4 == 0;
        absl::StatusOr<int> n =
            events.Store({site_ids_[deleted ? 1 : 0],
                          {Pageview(absl::StrCat("g", t, "-", c), at)}});
        if (deleted) {
          EXPECT_EQ(n.status().code(), absl::StatusCode::kUnauthenticated);
          ++refused;
        } else {
          ASSERT_TRUE(n.ok()) << n.status();
          EXPECT_EQ(*n, 1);
          ++stored;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(refused, kThreads * 20 / 4);
  EXPECT_EQ(Count(absl::StrCat("site_id = ", site_ids_[0])), stored.load());
  EXPECT_EQ(Count(absl::StrCat("site_id = ", site_ids_[1])), 0);
}

TEST_F(GroupCommitTest, CommitLostInDoubtAnswersUnknownToTheWholeGroup) {
  const int64_t site = site_ids_[0];
  const std::string& key = write_keys_[0];
  TestDatabase& db = stack_->db();
  // At COMMIT (the trigger is deferred) the leader's transaction waits for
  // advisory lock (2026, 1), any other for (2026, 2); the test holds both.
  // The others first label themselves with the batches and events of their
  // group (counted from their own rows, which no one else sees before the
  // COMMIT), so that the test finds the COMMIT to lose and learns how large
  // its group is.
  db.Query(R"sql(
      CREATE FUNCTION hold_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM events e
                   WHERE e.site_id = NEW.site_id AND e.id = NEW.event_id
                     AND e.session_id = 'leader') THEN
          PERFORM pg_advisory_xact_lock(2026, 1);
        ELSE
          PERFORM set_config('application_name',
                             format('in-doubt %s %s',
                                    count(DISTINCT session_id), count(*)),
                             true)
          FROM events WHERE site_id = NEW.site_id AND session_id <> 'leader';
          PERFORM pg_advisory_xact_lock(2026, 2);
        END IF;
        RETURN NULL;
      END $$)sql");
  db.Query(absl::StrCat(
      "CREATE CONSTRAINT TRIGGER hold_commit AFTER INSERT ON event_queue "
      "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.site_id = ",
      site, ") EXECUTE FUNCTION hold_commit()"));
  pqxx::connection locks(db.url());
  pqxx::nontransaction holder(locks);
  holder.exec("SELECT pg_advisory_lock(2026, 1), pg_advisory_lock(2026, 2)");
  // Backends of this database at COMMIT, waiting in hold_commit().
  auto held_commits = [&db](const std::string& application_name) {
    return db.Query(
        "SELECT pid, application_name FROM pg_stat_activity "
        "WHERE datname = current_database() AND state = 'active' "
        "AND query = 'COMMIT' AND wait_event = 'advisory' "
        "AND application_name LIKE $1 ORDER BY pid",
        application_name);
  };

  // The leader takes the only committer and keeps it while the batches
  // arrive, so they queue and become one group.
  v1::IngestRequest leader;
  *leader.add_events() = PageviewProto("leader", "leader");
  grpc::Status leader_status;
  v1::IngestResponse leader_response;
  std::thread leader_call(
      [&] { leader_status = stack_->Ingest(key, leader, &leader_response); });
  absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (held_commits("test-stack").empty() && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(held_commits("test-stack").size(), 1u) << "the leader's COMMIT";

  // Batches 0-4: 3 events with ids each; batch 5: 2 events without, which
  // no resend can deduplicate (had a lost COMMIT landed, retrying it would
  // store them twice: why EventRepository never retries one).
  constexpr int kBatches = 6;
  std::vector<v1::IngestRequest> batches(kBatches);
  for (int b = 0; b < kBatches; ++b) {
    const bool ids = b < kBatches - 1;
    for (int i = 0; i < (ids ? 3 : 2); ++i) {
      *batches[b].add_events() =
          PageviewProto(ids ? absl::StrCat("doubt-", b, "-", i) : "",
                        absl::StrCat("batch-", b));
    }
  }
  constexpr int kEvents = 5 * 3 + 2;
  constexpr int kEventsWithIds = 5 * 3;
  std::vector<grpc::Status> statuses(kBatches);
  std::atomic<int> answered{0};
  std::vector<std::thread> calls;
  for (int b = 0; b < kBatches; ++b) {
    calls.emplace_back([&, b] {
      v1::IngestResponse response;
      statuses[b] = stack_->Ingest(key, batches[b], &response);
      ++answered;
    });
  }
  // Time for every call to reach EventRepository::Store and queue; a call
  // still later would make a group of its own, lost the same way below.
  absl::SleepFor(absl::Seconds(1));
  holder.exec("SELECT pg_advisory_unlock(2026, 1)");

  // Every group that reaches COMMIT now loses its connection there: the
  // transaction rolls back, its callers cannot know.
  std::vector<std::string> lost_groups;
  std::set<int> terminated;
  give_up = absl::Now() + absl::Seconds(15);
  while (answered < kBatches && absl::Now() < give_up) {
    for (const auto& row : held_commits("in-doubt %")) {
      if (!terminated.insert(row[0].as<int>()).second) continue;
      lost_groups.push_back(row[1].as<std::string>());
      EXPECT_EQ(
          db.QueryInt("SELECT pg_terminate_backend($1)::int", row[0].as<int>()),
          1);
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  // Whatever still waits (only if the test already failed) may commit.
  holder.exec("SELECT pg_advisory_unlock_all()");
  leader_call.join();
  for (auto& call : calls) call.join();

  EXPECT_TRUE(leader_status.ok()) << leader_status.error_message();
  EXPECT_EQ(leader_response.accepted(), 1);
  std::cout << "lost COMMITs: " << lost_groups.size() << " ("
            << absl::StrJoin(lost_groups, ", ") << ")\n";
  ASSERT_FALSE(lost_groups.empty());
  // "in-doubt <batches> <events>" of each lost group.
  std::vector<int> group_batches;
  int lost_batches = 0;
  int lost_events = 0;
  for (const std::string& group : lost_groups) {
    std::vector<std::string> words = absl::StrSplit(group, ' ');
    int batches_in_group = 0;
    int events_in_group = 0;
    ASSERT_EQ(words.size(), 3u) << group;
    ASSERT_TRUE(absl::SimpleAtoi(words[1], &batches_in_group)) << group;
    ASSERT_TRUE(absl::SimpleAtoi(words[2], &events_in_group)) << group;
    group_batches.push_back(batches_in_group);
    lost_batches += batches_in_group;
    lost_events += events_in_group;
  }
  // The first lost COMMIT was shared, and every batch was in a lost one.
  EXPECT_GT(group_batches[0], 1);
  EXPECT_EQ(lost_batches, kBatches);
  EXPECT_EQ(lost_events, kEvents);
  for (int b = 0; b < kBatches; ++b) {
    EXPECT_EQ(statuses[b].error_code(), grpc::StatusCode::UNKNOWN)
        << "batch " << b << ": " << statuses[b].error_message();
    EXPECT_TRUE(absl::StrContains(statuses[b].error_message(),
                                  "commit outcome unknown"))
        << statuses[b].error_message();
  }
  // The truth the callers could not know: nothing of theirs is stored.
  const std::string of_site = absl::StrCat(" WHERE site_id = ", site);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM events" + of_site), 1);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM event_queue" + of_site), 1);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM event_client_ids" + of_site), 1);

  db.Query("DROP TRIGGER hold_commit ON event_queue");
  db.Query("DROP FUNCTION hold_commit()");
  // Each caller resends its batch with the same ids: stored once, in full.
  for (int b = 0; b < kBatches; ++b) {
    v1::IngestResponse response;
    grpc::Status status = stack_->Ingest(key, batches[b], &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.accepted(), batches[b].events_size()) << b;
    EXPECT_EQ(response.duplicates(), 0) << b;
    EXPECT_EQ(response.rejected_size(), 0) << b;
  }
  // And once more, as a caller unsure of its resend: ids make it harmless.
  for (int b = 0; b < kBatches - 1; ++b) {
    v1::IngestResponse response;
    grpc::Status status = stack_->Ingest(key, batches[b], &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.accepted(), 0) << b;
    EXPECT_EQ(response.duplicates(), 3) << b;
  }
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM events" + of_site), 1 + kEvents);
  EXPECT_EQ(db.QueryInt("SELECT count(DISTINCT client_event_id) FROM events" +
                        of_site),
            1 + kEventsWithIds);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM events" + of_site +
                        " AND client_event_id IS NULL"),
            kEvents - kEventsWithIds);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM event_queue" + of_site),
            1 + kEvents);

  // The service serves on, over the connections that replaced the lost.
  v1::IngestRequest after;
  *after.add_events() = PageviewProto("after", "after");
  v1::IngestResponse response;
  grpc::Status status = stack_->Ingest(key, after, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.accepted(), 1);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM events" + of_site), 2 + kEvents);
}

}  // namespace
}  // namespace analytics::testing
