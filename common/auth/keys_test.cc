// Keys: generation, hashing, comparison and Bearer metadata parsing.
#include "common/auth/keys.h"

#include <gmock/gmock.h>
#include <grpcpp/test/server_context_test_spouse.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace analytics {
namespace {

using ::testing::MatchesRegex;
using ::testing::StartsWith;

TEST(GenerateKeyTest, StartsWithThePrefix) {
  EXPECT_THAT(GenerateKey("wk_"), StartsWith("wk_"));
  EXPECT_THAT(GenerateKey("rk_"), StartsWith("rk_"));
}

TEST(GenerateKeyTest, Has43Base64UrlCharactersAfterThePrefix) {
  const std::string key = GenerateKey("wk_");
  EXPECT_EQ(key.size(), 3u + 43u);
  EXPECT_THAT(key, MatchesRegex("wk_[A-Za-z0-9_-]{43}"));
}

TEST(GenerateKeyTest, EmptyPrefixGivesBareKey) {
  EXPECT_EQ(GenerateKey("").size(), 43u);
}

TEST(GenerateKeyTest, KeysAreUnique) {
  std::set<std::string> keys;
  for (int i = 0; i < 1000; ++i) keys.insert(GenerateKey("rk_"));
  EXPECT_EQ(keys.size(), 1000u);
}

TEST(HashKeyTest, IsSha256AsLowercaseHex) {
  EXPECT_EQ(HashKey("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HashKey(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(HashKeyTest, HashesEmbeddedNulBytes) {
  EXPECT_NE(HashKey(std::string_view("a\0b", 3)), HashKey("a"));
}

// Median nanoseconds of `compare(a, b)` over interleaved rounds: `a`
// against a copy differing in its first byte, then in its last byte.
template <typename Compare>
std::pair<double, double> MedianTimes(const std::string& a, Compare compare) {
  std::string first = a, last = a;
  first.front() ^= 1;
  last.back() ^= 1;
  std::vector<double> early, late;
  volatile bool sink = false;
  auto time = [&](const std::string& b) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 8; ++i) sink = sink ^ compare(a, b);
    return std::chrono::duration<double, std::nano>(
               std::chrono::steady_clock::now() - start)
        .count();
  };
  for (int round = 0; round < 101; ++round) {
    early.push_back(time(first));
    late.push_back(time(last));
  }
  std::sort(early.begin(), early.end());
  std::sort(late.begin(), late.end());
  return {early[early.size() / 2], late[late.size() / 2]};
}

// The admin token's hash is compared with ConstantTimeEquals (site keys are
// looked up by their SHA-256, so a lookup's time depends on the presented
// key's hash, never on how much of a stored key was guessed). Over 256 KiB
// an early exit would show: a difference in the first byte must take as
// long as one in the last, within a factor 1.5 of medians. The same
// harness on std::string's == (memcmp, which stops at the first
// difference) must see the difference, or it could not fail.
TEST(ConstantTimeEqualsTest, TimeDoesNotDependOnWhereTheContentDiffers) {
  const std::string a(256 * 1024, 'k');
  const auto [early, late] =
      MedianTimes(a, [](const std::string& x, const std::string& y) {
        return ConstantTimeEquals(x, y);
      });
  EXPECT_LT(late / early, 1.5) << early << " ns vs " << late << " ns";
  EXPECT_GT(late / early, 1 / 1.5) << early << " ns vs " << late << " ns";
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  // (Sanitizers' memcmp interceptors read both buffers whole first.)
  const auto [memcmp_early, memcmp_late] = MedianTimes(
      a, [](const std::string& x, const std::string& y) { return x == y; });
  EXPECT_GT(memcmp_late / memcmp_early, 5)
      << memcmp_early << " ns vs " << memcmp_late << " ns";
#endif
}

TEST(ConstantTimeEqualsTest, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("wk_secret", "wk_secret"));
  EXPECT_FALSE(ConstantTimeEquals("wk_secret", "wk_secreT"));
  EXPECT_FALSE(ConstantTimeEquals("wk_secret", "wk_secret2"));
  EXPECT_FALSE(ConstantTimeEquals("wk_secret", ""));
}

TEST(IsAdminTokenTest, AcceptsTokenMatchingTheHash) {
  EXPECT_TRUE(IsAdminToken("let-me-in", HashKey("let-me-in")));
}

TEST(IsAdminTokenTest, RejectsOtherToken) {
  EXPECT_FALSE(IsAdminToken("let-me-out", HashKey("let-me-in")));
}

TEST(IsAdminTokenTest, EmptyHashDisablesAdminAccess) {
  EXPECT_FALSE(IsAdminToken("", ""));
  EXPECT_FALSE(IsAdminToken("anything", ""));
}

// BearerToken of a server context whose client sent `authorization: value`.
absl::StatusOr<std::string> TokenOf(const std::string& value) {
  grpc::ServerContext context;
  grpc::testing::ServerContextTestSpouse spouse(&context);
  spouse.AddClientMetadata("authorization", value);
  return BearerToken(context);
}

TEST(BearerTokenTest, ExtractsTheToken) {
  absl::StatusOr<std::string> token = TokenOf("Bearer wk_abc");
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(*token, "wk_abc");
}

TEST(BearerTokenTest, SchemeIsCaseInsensitive) {
  absl::StatusOr<std::string> token = TokenOf("bearer wk_abc");
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(*token, "wk_abc");
}

TEST(BearerTokenTest, RejectsMissingMetadata) {
  grpc::ServerContext context;
  absl::StatusOr<std::string> token = BearerToken(context);
  EXPECT_EQ(token.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(token.status().message(),
            "missing metadata 'authorization: Bearer <key>'");
}

TEST(BearerTokenTest, RejectsOtherScheme) {
  absl::StatusOr<std::string> token = TokenOf("Basic dXNlcjpwdw==");
  EXPECT_EQ(token.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(token.status().message(),
            "authorization metadata must be 'Bearer <key>'");
}

TEST(BearerTokenTest, RejectsEmptyValue) {
  EXPECT_EQ(TokenOf("").status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(BearerTokenTest, RejectsSchemeWithoutToken) {
  EXPECT_EQ(TokenOf("Bearer ").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(TokenOf("Bearer").status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(BearerTokenTest, RejectsTokenWithoutScheme) {
  EXPECT_EQ(TokenOf("wk_abc").status().code(),
            absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace analytics
