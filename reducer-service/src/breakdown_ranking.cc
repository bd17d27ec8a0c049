// BreakdownRanking.
#include "reducer-service/src/breakdown_ranking.h"

#include <algorithm>
#include <tuple>
#include <utility>

namespace analytics::reducer {
namespace {

// Page order: value descending, then key ascending (std::string compares
// bytes as unsigned, like COLLATE "C").
bool Before(const RankedKey& a, const RankedKey& b) {
  return std::tie(b.value, a.key) < std::tie(a.value, b.key);
}

bool AfterCursor(const RankedKey& k, const std::optional<BreakdownCursor>& c) {
  return !c.has_value() || k.value < c->value ||
         (k.value == c->value && k.key > c->key);
}

}  // namespace

BreakdownRanking::BreakdownRanking(std::vector<KeyBound> keys,
                                   std::optional<BreakdownCursor> after,
                                   size_t limit)
    : keys_(std::move(keys)), after_(std::move(after)), limit_(limit) {
  std::sort(keys_.begin(), keys_.end(),
            [](const KeyBound& a, const KeyBound& b) {
              return std::tie(b.bound, a.key) < std::tie(a.bound, b.key);
            });
  index_.reserve(keys_.size());
  for (size_t i = 0; i < keys_.size(); ++i) index_.emplace(keys_[i].key, i);
  recorded_.assign(keys_.size(), false);
}

std::optional<int64_t> BreakdownRanking::Threshold() const {
  if (limit_ == 0 || best_.size() < limit_) return std::nullopt;
  return best_.back().value;
}

bool BreakdownRanking::Settled() const {
  if (limit_ == 0 || next_ >= keys_.size()) return true;
  // A key whose bound equals the threshold could still tie with the last
  // row and precede it by key, so it must be evaluated.
  const std::optional<int64_t> threshold = Threshold();
  return threshold.has_value() && keys_[next_].bound < *threshold;
}

std::vector<std::string> BreakdownRanking::Next(size_t n) {
  // Until a threshold exists every key may matter; after, only keys whose
  // bound reaches it, and those come first (bound order). Recording more
  // values only raises the threshold.
  std::vector<std::string> out;
  while (out.size() < n && !Settled()) out.push_back(keys_[next_++].key);
  return out;
}

void BreakdownRanking::Record(const std::string& key, int64_t value) {
  const auto it = index_.find(key);
  if (it == index_.end() || it->second >= next_ || recorded_[it->second]) {
    return;  // not asked for, or already counted
  }
  recorded_[it->second] = true;
  RankedKey ranked{
      .key = key,
      .value = std::clamp<int64_t>(value, 0, keys_[it->second].bound)};
  if (!AfterCursor(ranked, after_)) return;
  const auto at = std::lower_bound(best_.begin(), best_.end(), ranked, Before);
  if (static_cast<size_t>(at - best_.begin()) >= limit_) return;
  best_.insert(at, std::move(ranked));
  if (best_.size() > limit_) best_.pop_back();
}

std::vector<RankedKey> BreakdownRanking::Page() const { return best_; }

}  // namespace analytics::reducer
