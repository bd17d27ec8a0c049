// Status mapping: absl -> gRPC codes, libpqxx exceptions -> absl::Status, and
// which codes are transient.
#include "common/status/status_mapping.h"

#include <gtest/gtest.h>

#include <pqxx/except>
#include <stdexcept>
#include <string>

namespace analytics {
namespace {

TEST(ToGrpcStatusTest, OkStaysOk) {
  grpc::Status s = ToGrpcStatus(absl::OkStatus());
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.error_message(), "");
}

TEST(ToGrpcStatusTest, CopiesEveryCodeAndTheMessage) {
  for (int code = 1; code <= 16; ++code) {
    const absl::Status in(static_cast<absl::StatusCode>(code), "details");
    grpc::Status out = ToGrpcStatus(in);
    EXPECT_EQ(static_cast<int>(out.error_code()), code);
    EXPECT_EQ(out.error_message(), "details");
  }
}

TEST(ToGrpcStatusTest, MapsNamedCodes) {
  EXPECT_EQ(ToGrpcStatus(absl::InvalidArgumentError("x")).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ToGrpcStatus(absl::UnauthenticatedError("x")).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ToGrpcStatus(absl::PermissionDeniedError("x")).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ToGrpcStatus(absl::NotFoundError("x")).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ToGrpcStatus(absl::UnavailableError("x")).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

absl::Status FromSqlState(const char* sqlstate, const std::string& what = "x") {
  return FromPqxx(pqxx::sql_error(what, "SELECT 1", sqlstate));
}

TEST(FromPqxxTest, UniqueViolationIsAlreadyExists) {
  absl::Status s =
      FromPqxx(pqxx::unique_violation("duplicate key", "INSERT", "23505"));
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(s.message(), "database error 23505: duplicate key");
}

TEST(FromPqxxTest, OtherIntegrityViolationsAreFailedPrecondition) {
  EXPECT_EQ(FromPqxx(pqxx::foreign_key_violation("fk", "", "23503")).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(FromPqxx(pqxx::check_violation("check", "", "23514")).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(FromPqxx(pqxx::not_null_violation("null", "", "23502")).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(FromPqxxTest, DataExceptionsAreInvalidArgument) {
  absl::Status s = FromPqxx(pqxx::data_exception("bad input", "", "22P02"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "database error 22P02: bad input");
  EXPECT_EQ(FromSqlState("22003").code(), absl::StatusCode::kInvalidArgument);
}

TEST(FromPqxxTest, SerializationFailureAndDeadlockAreAborted) {
  absl::Status s = FromPqxx(pqxx::serialization_failure("could not serialize"));
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(s.message(), "transaction rolled back: could not serialize");
  EXPECT_EQ(FromPqxx(pqxx::deadlock_detected("deadlock")).code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(FromPqxx(pqxx::transaction_rollback("rollback")).code(),
            absl::StatusCode::kAborted);
}

TEST(FromPqxxTest, RollbackSqlStatesAreAborted) {
  EXPECT_EQ(FromSqlState("40001").code(), absl::StatusCode::kAborted);
  EXPECT_EQ(FromSqlState("40P01").code(), absl::StatusCode::kAborted);
}

TEST(FromPqxxTest, BrokenConnectionIsUnavailable) {
  absl::Status s = FromPqxx(pqxx::broken_connection("server closed"));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "database unavailable: server closed");
}

TEST(FromPqxxTest, ShutdownAndConnectionSqlStatesAreUnavailable) {
  EXPECT_EQ(FromSqlState("57P01").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(FromSqlState("08006").code(), absl::StatusCode::kUnavailable);
}

TEST(FromPqxxTest, QueryCanceledIsDeadlineExceeded) {
  EXPECT_EQ(FromSqlState("57014").code(), absl::StatusCode::kDeadlineExceeded);
}

TEST(FromPqxxTest, InsufficientResourcesAreResourceExhausted) {
  EXPECT_EQ(FromPqxx(pqxx::insufficient_resources("full", "", "53100")).code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(FromSqlState("53300").code(), absl::StatusCode::kResourceExhausted);
}

TEST(FromPqxxTest, InDoubtCommitIsUnknown) {
  absl::Status s = FromPqxx(pqxx::in_doubt_error("lost during commit"));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(s.message(), "commit outcome unknown: lost during commit");
}

TEST(FromPqxxTest, StatementCompletionUnknownIsUnknownNotAborted) {
  absl::Status s = FromPqxx(pqxx::statement_completion_unknown("lost"));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(s.message(), "statement outcome unknown: lost");
}

TEST(FromPqxxTest, OtherSqlErrorsAreInternal) {
  absl::Status s = FromSqlState("42P01", "relation does not exist");
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(s.message(), "database error 42P01: relation does not exist");
}

TEST(FromPqxxTest, ConversionAndRangeErrorsAreInternal) {
  absl::Status s = FromPqxx(pqxx::conversion_error("not an int"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(s.message(), "unexpected result: not an int");
  EXPECT_EQ(FromPqxx(pqxx::unexpected_rows("2 rows")).code(),
            absl::StatusCode::kInternal);
}

TEST(FromPqxxTest, StandardExceptionsAreInternal) {
  absl::Status s = FromPqxx(std::runtime_error("boom"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(s.message(), "boom");
}

TEST(FromPqxxTest, KeepsOnlyTheFirstLineOfTheMessage) {
  absl::Status s = FromPqxx(pqxx::unique_violation(
      "ERROR: duplicate key\nDETAIL: Key (slug)=(secret) already exists.\n",
      "INSERT", "23505"));
  EXPECT_EQ(s.message(), "database error 23505: ERROR: duplicate key");
}

TEST(IsTransientTest, EnvironmentFailuresAreTransient) {
  EXPECT_TRUE(IsTransient(absl::UnavailableError("x")));
  EXPECT_TRUE(IsTransient(absl::AbortedError("x")));
  EXPECT_TRUE(IsTransient(absl::DeadlineExceededError("x")));
  EXPECT_TRUE(IsTransient(absl::ResourceExhaustedError("x")));
  EXPECT_TRUE(IsTransient(absl::UnknownError("x")));
}

TEST(IsTransientTest, DataFailuresAreNotTransient) {
  EXPECT_FALSE(IsTransient(absl::OkStatus()));
  EXPECT_FALSE(IsTransient(absl::InvalidArgumentError("x")));
  EXPECT_FALSE(IsTransient(absl::FailedPreconditionError("x")));
  EXPECT_FALSE(IsTransient(absl::AlreadyExistsError("x")));
  EXPECT_FALSE(IsTransient(absl::InternalError("x")));
  EXPECT_FALSE(IsTransient(absl::CancelledError("x")));
  EXPECT_FALSE(IsTransient(absl::NotFoundError("x")));
}

}  // namespace
}  // namespace analytics
