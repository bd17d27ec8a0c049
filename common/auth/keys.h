// Secrets: generation of site keys, hashing for storage, constant-time
// comparison, and extraction of `authorization: Bearer <token>` metadata.
// Keys are stored and compared only as SHA-256 hashes and never logged.
#pragma once

#include <grpcpp/server_context.h>

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace analytics {

// A new random key: `prefix` + 43 characters of base64url (256 bits).
// Prefixes ("wk_", "rk_") only help humans tell keys apart.
std::string GenerateKey(std::string_view prefix);

// SHA-256 of `secret` as 64 lowercase hex characters.
std::string HashKey(std::string_view secret);

bool ConstantTimeEquals(std::string_view a, std::string_view b);

// The token of `authorization: Bearer <token>`; UNAUTHENTICATED if missing or
// malformed.
absl::StatusOr<std::string> BearerToken(const grpc::ServerContext& context);

// Checks a presented admin token against the configured token's hash.
// An empty configured hash means admin access is disabled.
bool IsAdminToken(std::string_view presented, std::string_view admin_hash);

}  // namespace analytics
