// Request ids through the real ingest-service binary with --log_format=json:
// the caller's x-request-id is echoed in the response metadata and is the
// request_id of every line logged while serving it (a handler's own line and
// the debug access line); without a usable header the server makes one up
// and still echoes it. Keys and tokens never reach the log.
#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/service_process.h"
#include "tests/support/stack.h"
#include "tests/support/test_database.h"

namespace analytics::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

// The x-request-id the server sent back, or "(none)".
std::string EchoedId(const grpc::ClientContext& context) {
  const auto& metadata = context.GetServerInitialMetadata();
  const auto it = metadata.find("x-request-id");
  if (it == metadata.end()) return "(none)";
  return std::string(it->second.data(), it->second.size());
}

class RequestIdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TestDatabase>> db = TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    const int port = FreePort();
    absl::StatusOr<std::unique_ptr<ServiceProcess>> process =
        ServiceProcess::Spawn(
            ANALYTICS_INGEST_BIN,
            {"--database_url=" + db_->url(), "--migrate", "--db_pool_size=2",
             absl::StrCat("--listen=127.0.0.1:", port), "--log_format=json",
             "--log_level=debug"},
            {absl::StrCat("ANALYTICS_ADMIN_TOKEN=", kAdminToken)});
    ASSERT_TRUE(process.ok()) << process.status();
    ingest_ = std::move(*process);
    absl::Status ready = ingest_->WaitForPort(port, absl::Seconds(30));
    ASSERT_TRUE(ready.ok()) << ready << "\n" << ingest_->LogTail();
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                       grpc::InsecureChannelCredentials());
    admin_ = v1::AdminService::NewStub(channel);
    ingest_stub_ = v1::IngestService::NewStub(channel);
  }

  std::string Log() const { return ingest_->LogTail(1 << 20); }

  // The log's lines containing `text`; waits a little for them, although
  // both lines the tests look for are written before the reply is sent.
  std::vector<std::string> LinesWith(const std::string& text) const {
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    while (true) {
      std::vector<std::string> lines;
      for (absl::string_view line : absl::StrSplit(Log(), '\n')) {
        if (absl::StrContains(line, text)) lines.emplace_back(line);
      }
      if (!lines.empty() || absl::Now() > deadline) return lines;
      absl::SleepFor(absl::Milliseconds(20));
    }
  }

  grpc::Status IngestWithBadKey(const std::string& request_id,
                                std::string* echoed) {
    auto context = AuthorizedContext("wk_not-a-key");
    if (!request_id.empty()) context->AddMetadata("x-request-id", request_id);
    v1::IngestResponse response;
    grpc::Status status =
        ingest_stub_->Ingest(context.get(), v1::IngestRequest(), &response);
    *echoed = EchoedId(*context);
    return status;
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<ServiceProcess> ingest_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
  std::unique_ptr<v1::IngestService::Stub> ingest_stub_;
};

TEST_F(RequestIdTest, CallersIdIsEchoedAndOnEveryLineOfItsRequest) {
  v1::CreateSiteRequest create;
  create.set_slug("request-ids");
  v1::CreateSiteResponse site;
  auto context = AuthorizedContext(kAdminToken);
  context->AddMetadata("x-request-id", "test-req-123");
  grpc::Status status = admin_->CreateSite(context.get(), create, &site);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(EchoedId(*context), "test-req-123");

  // The handler's own line and the access line.
  for (const std::string& text :
       {absl::StrCat("created site ", site.site().site_id()),
        std::string("rpc /analytics.v1.AdminService/CreateSite OK ")}) {
    const std::vector<std::string> lines = LinesWith(text);
    ASSERT_EQ(lines.size(), 1u) << text << "\n" << Log();
    EXPECT_THAT(lines[0], MatchesRegex("\\{.*\\}"));
    EXPECT_THAT(lines[0], HasSubstr("\"request_id\":\"test-req-123\""));
  }
  // Lines outside any request have no id.
  const std::vector<std::string> listening = LinesWith("listening on");
  ASSERT_EQ(listening.size(), 1u) << Log();
  EXPECT_THAT(listening[0], Not(HasSubstr("request_id")));

  // Keys issued by rotation: not in the log either.
  v1::RotateKeyRequest rotate;
  rotate.set_site_id(site.site().site_id());
  v1::RotateKeyResponse new_write;
  v1::RotateKeyResponse new_read;
  auto rotate_write = AuthorizedContext(kAdminToken);
  ASSERT_TRUE(
      admin_->RotateWriteKey(rotate_write.get(), rotate, &new_write).ok());
  auto rotate_read = AuthorizedContext(kAdminToken);
  ASSERT_TRUE(admin_->RotateReadKey(rotate_read.get(), rotate, &new_read).ok());
  ASSERT_EQ(
      LinesWith("rpc /analytics.v1.AdminService/RotateReadKey OK ").size(), 1u)
      << Log();

  const std::string log = Log();
  for (const std::string& secret :
       {std::string(kAdminToken), site.write_key(), site.read_key(),
        new_write.key(), new_read.key()}) {
    ASSERT_FALSE(secret.empty());
    EXPECT_THAT(log, Not(HasSubstr(secret)));
  }
}

TEST_F(RequestIdTest, MissingOrUnusableIdIsReplacedByANewOne) {
  std::string generated;
  EXPECT_EQ(IngestWithBadKey("", &generated).error_code(),
            grpc::UNAUTHENTICATED);
  EXPECT_THAT(generated, MatchesRegex("[0-9a-f]{16}"));
  const std::vector<std::string> lines =
      LinesWith(absl::StrCat("\"request_id\":\"", generated, "\""));
  ASSERT_EQ(lines.size(), 1u) << Log();
  EXPECT_THAT(lines[0], HasSubstr("rpc /analytics.v1.IngestService/Ingest "
                                  "UNAUTHENTICATED "));

  // Unusable: a character outside [A-Za-z0-9._:-], or longer than 128.
  for (const std::string& unusable :
       {std::string("has space"), std::string("x\"},{\"y"),
        std::string(129, 'a')}) {
    std::string echoed;
    IngestWithBadKey(unusable, &echoed);
    EXPECT_THAT(echoed, MatchesRegex("[0-9a-f]{16}")) << unusable;
    EXPECT_NE(echoed, generated);
  }
  std::string echoed;
  IngestWithBadKey(std::string(128, 'a'), &echoed);
  EXPECT_EQ(echoed, std::string(128, 'a'));

  const std::string log = Log();
  EXPECT_THAT(log, Not(HasSubstr("wk_not-a-key")));
  EXPECT_THAT(log, Not(HasSubstr("has space")));
  EXPECT_THAT(log, Not(HasSubstr(std::string(129, 'a'))));
}

}  // namespace
}  // namespace analytics::testing
