// BreakdownRanking: the exact page of a breakdown sorted by a distinct count
// (visitors or sessions) while evaluating as few keys as possible.
//
// A key's distinct count needs the union of its sketches over the range,
// which is what a breakdown costs; its events are a cheap sum and an upper
// bound of it (every visitor and session of a key has at least one of its
// events). So keys are evaluated highest bound first, and once `limit`
// evaluated keys after the cursor beat the bound of every key not yet
// evaluated, no other key can reach the page: the page equals the one a full
// evaluation would give. The caller reports values clamped to their bounds
// (an estimate above the events is never true), so the rule also holds in
// the estimate regime.
//
// Pure: no database; the caller evaluates what Next() asks for.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "reducer-service/src/page_token.h"

namespace analytics::reducer {

struct KeyBound {
  std::string key;
  // At least the key's sort value; >= 0.
  int64_t bound = 0;
};

struct RankedKey {
  std::string key;
  int64_t value = 0;
  friend bool operator==(const RankedKey&, const RankedKey&) = default;
};

class BreakdownRanking {
 public:
  // `keys`: every key of the breakdown (any order, each once) with its
  // bound. The page holds the `limit` (> 0) best keys strictly after
  // `after` in (value descending, key ascending in byte order).
  BreakdownRanking(std::vector<KeyBound> keys,
                   std::optional<BreakdownCursor> after, size_t limit);

  // Up to `n` keys whose values are still needed, highest bound first;
  // empty once the page is settled.
  std::vector<std::string> Next(size_t n);

  // The value of a key Next() returned (clamped to the key's bound).
  void Record(const std::string& key, int64_t value);

  // The page, in order. Complete once Next() has returned empty.
  std::vector<RankedKey> Page() const;

  // Keys evaluated so far (for tests and logs).
  size_t evaluated() const { return next_; }

 private:
  // The value the page's last row has now, if `limit_` keys after the
  // cursor have been evaluated.
  std::optional<int64_t> Threshold() const;
  bool Settled() const;

  std::vector<KeyBound> keys_;  // bound descending, then key
  absl::flat_hash_map<std::string, size_t> index_;
  std::optional<BreakdownCursor> after_;
  size_t limit_;
  size_t next_ = 0;             // keys_[0, next_) were handed out by Next()
  std::vector<bool> recorded_;  // per keys_ index
  // Evaluated keys after the cursor, best first, at most limit_.
  std::vector<RankedKey> best_;
};

}  // namespace analytics::reducer
