// Group commit (EventRepository): many concurrent Store calls share
// transactions, yet each call gets exactly its own outcome: its stored
// count, duplicates (also of repeats across calls of one group) counted
// once, and a deleted site's call refused without failing its group.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
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

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ServiceStack>> stack = ServiceStack::Start();
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = std::move(*stack);
    for (const char* slug : {"a", "b"}) {
      absl::StatusOr<v1::CreateSiteResponse> site = stack_->CreateSite(slug);
      ASSERT_TRUE(site.ok()) << site.status();
      site_ids_.push_back(site->site().site_id());
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

}  // namespace
}  // namespace analytics::testing
