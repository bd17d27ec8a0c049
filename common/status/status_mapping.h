// The one place where errors change representation at a boundary:
// libpqxx exceptions become absl::Status at the data layer, and absl::Status
// becomes grpc::Status at the RPC layer.
//
// Thread-safe: stateless functions.
#pragma once

#include <grpcpp/support/status.h>

#include <exception>
#include <string>

#include "absl/status/status.h"

namespace analytics {

// Copies code and message across; the codes of both libraries are equal.
grpc::Status ToGrpcStatus(const absl::Status& status);

// "OK", "NOT_FOUND", ...; "CODE_<n>" for a number no library names.
std::string GrpcCodeName(grpc::StatusCode code);

// Maps an exception thrown by libpqxx (or the standard library) to the most
// specific status code, so callers can tell what is worth retrying:
//   unique violation                     -> ALREADY_EXISTS
//   foreign-key / check / not-null       -> FAILED_PRECONDITION
//   other data exceptions (SQLSTATE 22)  -> INVALID_ARGUMENT
//   serialization failure / deadlock     -> ABORTED (retry the transaction)
//   broken connection, admin shutdown    -> UNAVAILABLE (retry the call)
//   statement timeout / query canceled   -> DEADLINE_EXCEEDED
//   out of resources (SQLSTATE 53)       -> RESOURCE_EXHAUSTED
//   commit outcome unknown (in doubt)    -> UNKNOWN
//   anything else                        -> INTERNAL
// The message carries the SQLSTATE, never the statement's parameters.
absl::Status FromPqxx(const std::exception& error);

// True for failures of the environment rather than of the data: retrying the
// same work later may succeed without any change to it.
bool IsTransient(const absl::Status& status);

}  // namespace analytics
