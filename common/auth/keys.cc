// Key generation and hashing with OpenSSL.
#include "common/auth/keys.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace analytics {

std::string GenerateKey(std::string_view prefix) {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();  // no entropy
  return absl::StrCat(
      std::string(prefix),
      absl::WebSafeBase64Escape(absl::string_view(
          reinterpret_cast<const char*>(bytes), sizeof(bytes))));
}

std::string HashKey(std::string_view secret) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
         digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

absl::StatusOr<std::string> BearerToken(const grpc::ServerContext& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError(
        "missing metadata 'authorization: Bearer <key>'");
  }
  absl::string_view value(it->second.data(), it->second.size());
  constexpr absl::string_view kScheme = "Bearer ";
  if (!absl::StartsWithIgnoreCase(value, kScheme) ||
      value.size() == kScheme.size()) {
    return absl::UnauthenticatedError(
        "authorization metadata must be 'Bearer <key>'");
  }
  return std::string(value.substr(kScheme.size()));
}

bool IsAdminToken(std::string_view presented, std::string_view admin_hash) {
  if (admin_hash.empty()) return false;
  return ConstantTimeEquals(HashKey(presented), admin_hash);
}

}  // namespace analytics
