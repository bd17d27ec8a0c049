// BreakdownRanking: its page equals the page of evaluating every key, for
// any bounds, values, cursors and limits, and it evaluates only the keys
// that can reach the page.
#include "reducer-service/src/breakdown_ranking.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace analytics::reducer {
namespace {

struct Key {
  std::string key;
  int64_t bound;
  int64_t value;  // <= bound
};

// Runs the ranking to the end, evaluating what it asks for `batch` at a
// time from `keys`.
std::vector<RankedKey> Rank(const std::vector<Key>& keys,
                            std::optional<BreakdownCursor> after, size_t limit,
                            size_t batch, size_t* evaluated = nullptr) {
  std::vector<KeyBound> bounds;
  std::map<std::string, int64_t> values;
  for (const Key& k : keys) {
    bounds.push_back({k.key, k.bound});
    values[k.key] = k.value;
  }
  BreakdownRanking ranking(std::move(bounds), after, limit);
  for (;;) {
    const std::vector<std::string> next = ranking.Next(batch);
    if (next.empty()) break;
    for (const std::string& key : next) ranking.Record(key, values.at(key));
  }
  if (evaluated != nullptr) *evaluated = ranking.evaluated();
  return ranking.Page();
}

// Every key evaluated, sorted, filtered by the cursor, cut at limit.
std::vector<RankedKey> FullPage(const std::vector<Key>& keys,
                                std::optional<BreakdownCursor> after,
                                size_t limit) {
  std::vector<RankedKey> all;
  for (const Key& k : keys) {
    const int64_t v = std::min(k.value, k.bound);
    if (after.has_value() &&
        !(v < after->value || (v == after->value && k.key > after->key))) {
      continue;
    }
    all.push_back({k.key, v});
  }
  std::sort(all.begin(), all.end(), [](const RankedKey& a, const RankedKey& b) {
    return a.value != b.value ? a.value > b.value : a.key < b.key;
  });
  if (all.size() > limit) all.resize(limit);
  return all;
}

TEST(BreakdownRankingTest, StopsOnceNoOtherKeyCanReachThePage) {
  // Bounds 100, 90, ..., 10; values 20 below them.
  std::vector<Key> keys;
  for (int i = 0; i < 10; ++i) {
    keys.push_back({absl::StrCat("/p", i), 100 - 10 * i, 80 - 10 * i});
  }
  size_t evaluated = 0;
  const std::vector<RankedKey> page =
      Rank(keys, std::nullopt, 2, 1, &evaluated);
  EXPECT_EQ(page, (std::vector<RankedKey>{{"/p0", 80}, {"/p1", 70}}));
  // /p2 (bound 80) could beat 70 and /p3 (bound 70) tie it; /p4 (bound 60)
  // and the rest cannot reach the page.
  EXPECT_EQ(evaluated, 4u);
}

TEST(BreakdownRankingTest, ATieAtTheThresholdIsEvaluated) {
  // "/a" has bound 5 and value 5: it ties with "/b" and precedes it.
  const std::vector<Key> keys = {{"/b", 9, 5}, {"/a", 5, 5}};
  EXPECT_EQ(Rank(keys, std::nullopt, 1, 1),
            (std::vector<RankedKey>{{"/a", 5}}));
}

TEST(BreakdownRankingTest, ValuesAboveTheBoundAreClamped) {
  const std::vector<Key> keys = {{"/a", 3, 7}, {"/b", 4, 4}};
  EXPECT_EQ(Rank(keys, std::nullopt, 2, 8),
            (std::vector<RankedKey>{{"/b", 4}, {"/a", 3}}));
}

TEST(BreakdownRankingTest, EmptyAndZeroLimit) {
  EXPECT_TRUE(Rank({}, std::nullopt, 10, 4).empty());
  size_t evaluated = 1;
  EXPECT_TRUE(Rank({{"/a", 1, 1}}, std::nullopt, 0, 4, &evaluated).empty());
  EXPECT_EQ(evaluated, 0u);
}

TEST(BreakdownRankingTest, IgnoresKeysItDidNotAskForAndRepeats) {
  BreakdownRanking ranking({{"/a", 5}, {"/b", 4}}, std::nullopt, 1);
  ranking.Record("/b", 4);  // not handed out yet
  ASSERT_EQ(ranking.Next(1), std::vector<std::string>{"/a"});
  ranking.Record("/a", 2);
  ranking.Record("/a", 3);  // a repeat does not count twice
  ranking.Record("/zzz", 9);
  ASSERT_EQ(ranking.Next(1), std::vector<std::string>{"/b"});
  ranking.Record("/b", 4);
  EXPECT_TRUE(ranking.Next(1).empty());
  EXPECT_EQ(ranking.Page(), (std::vector<RankedKey>{{"/b", 4}}));
}

TEST(BreakdownRankingTest, RandomPagesEqualFullEvaluation) {
  std::mt19937_64 rng(20261202);
  for (int round = 0; round < 3000; ++round) {
    const int n = std::uniform_int_distribution<int>(0, 40)(rng);
    const int64_t max = std::uniform_int_distribution<int64_t>(1, 30)(rng);
    std::vector<Key> keys;
    for (int i = 0; i < n; ++i) {
      const int64_t bound = std::uniform_int_distribution<int64_t>(0, max)(rng);
      // Mostly below the bound, sometimes above it (an estimate).
      const int64_t value =
          std::uniform_int_distribution<int64_t>(0, bound + 2)(rng);
      keys.push_back({absl::StrCat("k", i), bound, value});
    }
    std::optional<BreakdownCursor> after;
    if (n > 0 && rng() % 2 == 0) {
      const Key& k = keys[rng() % n];
      after =
          BreakdownCursor{.value = std::min(k.value, k.bound), .key = k.key};
    }
    const size_t limit = std::uniform_int_distribution<size_t>(0, 12)(rng);
    const size_t batch = std::uniform_int_distribution<size_t>(1, 16)(rng);
    ASSERT_EQ(Rank(keys, after, limit, batch), FullPage(keys, after, limit))
        << "round " << round;
  }
}

TEST(BreakdownRankingTest, SkewedKeysNeedFewEvaluations) {
  // 200 keys of Zipf-like events, visitors about 60% of events: the top 10
  // need the keys whose events reach the 10th visitors, 6000: 16 of them.
  std::vector<Key> keys;
  for (int i = 1; i <= 200; ++i) {
    const int64_t events = 100000 / i;
    keys.push_back({absl::StrCat("/p", i), events, events * 6 / 10});
  }
  size_t evaluated = 0;
  const std::vector<RankedKey> page =
      Rank(keys, std::nullopt, 10, 10, &evaluated);
  ASSERT_EQ(page.size(), 10u);
  EXPECT_EQ(page.front().key, "/p1");
  EXPECT_EQ(page.back().key, "/p10");
  EXPECT_EQ(evaluated, 16u);  // 100000 / 16 >= 6000 > 100000 / 17
}

}  // namespace
}  // namespace analytics::reducer
