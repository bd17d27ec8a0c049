// Error conversion between libpqxx, Abseil and gRPC.
#include "common/status/status_mapping.h"

#include <pqxx/except>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace analytics {

std::string GrpcCodeName(grpc::StatusCode code) {
  std::string name =
      absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  if (name.empty()) name = absl::StrCat("CODE_", static_cast<int>(code));
  return name;
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

namespace {

absl::Status FromSqlState(const std::string& state, absl::string_view what) {
  std::string message = absl::StrCat("database error ", state, ": ", what);
  if (state == "23505") return absl::AlreadyExistsError(message);
  if (absl::StartsWith(state, "23")) {
    return absl::FailedPreconditionError(message);
  }
  if (absl::StartsWith(state, "22")) return absl::InvalidArgumentError(message);
  if (state == "40001" || state == "40P01") return absl::AbortedError(message);
  if (state == "57014") return absl::DeadlineExceededError(message);
  if (absl::StartsWith(state, "57P") || absl::StartsWith(state, "08")) {
    return absl::UnavailableError(message);
  }
  if (absl::StartsWith(state, "53")) {
    return absl::ResourceExhaustedError(message);
  }
  return absl::InternalError(message);
}

// libpqxx messages end with a newline and may quote the failing statement;
// keep only the first line so parameters never reach logs or clients.
std::string FirstLine(const char* what) {
  std::string text(what);
  auto end = text.find('\n');
  if (end != std::string::npos) text.resize(end);
  return text;
}

}  // namespace

absl::Status FromPqxx(const std::exception& error) {
  const std::string what = FirstLine(error.what());
  if (dynamic_cast<const pqxx::in_doubt_error*>(&error) != nullptr) {
    return absl::UnknownError(absl::StrCat("commit outcome unknown: ", what));
  }
  if (dynamic_cast<const pqxx::broken_connection*>(&error) != nullptr) {
    return absl::UnavailableError(absl::StrCat("database unavailable: ", what));
  }
  if (dynamic_cast<const pqxx::statement_completion_unknown*>(&error) !=
      nullptr) {
    return absl::UnknownError(
        absl::StrCat("statement outcome unknown: ", what));
  }
  if (dynamic_cast<const pqxx::transaction_rollback*>(&error) != nullptr) {
    return absl::AbortedError(absl::StrCat("transaction rolled back: ", what));
  }
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&error)) {
    return FromSqlState(sql->sqlstate(), what);
  }
  if (dynamic_cast<const pqxx::conversion_error*>(&error) != nullptr ||
      dynamic_cast<const pqxx::range_error*>(&error) != nullptr) {
    return absl::InternalError(absl::StrCat("unexpected result: ", what));
  }
  return absl::InternalError(what);
}

bool IsTransient(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kUnknown:
      return true;
    default:
      return false;
  }
}

}  // namespace analytics
