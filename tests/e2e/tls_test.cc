// TLS and mutual TLS through the real binaries: certificates made for the
// test by the openssl command (a CA, a server certificate for 127.0.0.1 and
// localhost, a client certificate, and a second CA nobody trusts), the
// services started with --tls_cert/--tls_key[/--tls_client_ca], and clients
// with and without the right certificates, including analyticsctl.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/support/service_process.h"
#include "tests/support/stack.h"
#include "tests/support/test_database.h"

namespace analytics::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TestDatabase>> db = TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    char dir_template[] = "/tmp/analytics-tls-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    const std::string script = absl::StrCat(
        "set -e; cd ", dir_, "; exec >openssl.log 2>&1\n",
        "for ca in ca other; do\n"
        "  openssl req -x509 -newkey rsa:2048 -nodes -keyout $ca.key "
        "-out $ca.pem -days 2 -subj /CN=test-$ca\n"
        "done\n"
        "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' >san.ext\n"
        "openssl req -newkey rsa:2048 -nodes -keyout server.key "
        "-out server.csr -subj /CN=localhost\n"
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
        "-CAcreateserial -out server.pem -days 2 -extfile san.ext\n"
        "for c in client:ca stranger:other; do\n"
        "  name=${c%%:*}; ca=${c##*:}\n"
        "  openssl req -newkey rsa:2048 -nodes -keyout $name.key "
        "-out $name.csr -subj /CN=$name\n"
        "  openssl x509 -req -in $name.csr -CA $ca.pem -CAkey $ca.key "
        "-CAcreateserial -out $name.pem -days 2\n"
        "done\n");
    ASSERT_EQ(std::system(script.c_str()), 0)
        << ReadFile(dir_ + "/openssl.log");
  }

  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::string File(const std::string& name) const { return dir_ + "/" + name; }

  // Starts `binary` serving on a fresh port with `tls_args`.
  std::unique_ptr<ServiceProcess> Start(const std::string& binary,
                                        std::vector<std::string> tls_args,
                                        int* port) {
    *port = FreePort();
    tls_args.insert(
        tls_args.end(),
        {"--database_url=" + db_->url(), "--migrate", "--log_level=info",
         "--db_pool_size=2", absl::StrCat("--listen=127.0.0.1:", *port)});
    absl::StatusOr<std::unique_ptr<ServiceProcess>> process =
        ServiceProcess::Spawn(
            binary, tls_args,
            {absl::StrCat("ANALYTICS_ADMIN_TOKEN=", kAdminToken)});
    EXPECT_TRUE(process.ok()) << process.status();
    if (!process.ok()) return nullptr;
    absl::Status ready = (*process)->WaitForPort(*port, absl::Seconds(30));
    EXPECT_TRUE(ready.ok()) << ready << "\n" << (*process)->LogTail();
    return std::move(*process);
  }

  // A channel to 127.0.0.1:port: plaintext when `ca` is empty, else TLS
  // trusting `ca`, presenting `client` (a name of the files made in SetUp)
  // when given.
  std::shared_ptr<grpc::Channel> Channel(int port, const std::string& ca,
                                         const std::string& client = "") {
    const std::string target = absl::StrCat("127.0.0.1:", port);
    if (ca.empty()) {
      return grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
    }
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = ReadFile(File(ca + ".pem"));
    if (!client.empty()) {
      tls.pem_cert_chain = ReadFile(File(client + ".pem"));
      tls.pem_private_key = ReadFile(File(client + ".key"));
    }
    return grpc::CreateChannel(target, grpc::SslCredentials(tls));
  }

  // The health service's answer over `channel` within a few seconds.
  static grpc::Status Health(const std::shared_ptr<grpc::Channel>& channel) {
    auto stub = grpc::health::v1::Health::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(5));
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = stub->Check(
        &context, grpc::health::v1::HealthCheckRequest(), &response);
    if (status.ok() &&
        response.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "not SERVING");
    }
    return status;
  }

  // analyticsctl site list against `port` with `flags`; its exit code.
  int Analyticsctl(int port, const std::string& flags) {
    const std::string command = absl::StrCat(
        "ANALYTICS_ADMIN_TOKEN=", kAdminToken, " ", ANALYTICS_CTL_BIN,
        " --target=127.0.0.1:", port, " --timeout=5s ", flags, " site list >",
        dir_, "/ctl.log 2>&1");
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::unique_ptr<TestDatabase> db_;
  std::string dir_;
};

TEST_F(TlsTest, TlsServerAnswersOnlyClientsThatTrustItsCa) {
  int port = 0;
  std::unique_ptr<ServiceProcess> ingest = Start(
      ANALYTICS_INGEST_BIN,
      {"--tls_cert=" + File("server.pem"), "--tls_key=" + File("server.key")},
      &port);
  ASSERT_NE(ingest, nullptr);

  EXPECT_TRUE(Health(Channel(port, "ca")).ok());
  // A TLS client needs no certificate of its own here.
  auto admin = v1::AdminService::NewStub(Channel(port, "ca"));
  auto context = AuthorizedContext(kAdminToken);
  v1::ListSitesResponse sites;
  grpc::Status listed =
      admin->ListSites(context.get(), v1::ListSitesRequest(), &sites);
  EXPECT_TRUE(listed.ok()) << listed.error_message();

  EXPECT_EQ(Health(Channel(port, "")).error_code(), grpc::UNAVAILABLE);
  EXPECT_EQ(Health(Channel(port, "other")).error_code(), grpc::UNAVAILABLE);

  EXPECT_EQ(Analyticsctl(port, "--tls-ca=" + File("ca.pem")), 0)
      << ReadFile(File("ctl.log"));
  EXPECT_NE(Analyticsctl(port, ""), 0);
  EXPECT_NE(Analyticsctl(port, "--tls-ca=" + File("other.pem")), 0);
  EXPECT_NE(ingest->LogTail().find("(TLS)"), std::string::npos);
}

// Kubernetes' gRPC probes cannot speak TLS: --health_port serves health
// alone in plaintext, mirroring the TLS port's statuses, and nothing else.
TEST_F(TlsTest, PlaintextHealthPortServesHealthAndNothingElse) {
  int port = 0;
  const int health_port = FreePort();
  std::unique_ptr<ServiceProcess> ingest = Start(
      ANALYTICS_INGEST_BIN,
      {"--tls_cert=" + File("server.pem"), "--tls_key=" + File("server.key"),
       "--tls_client_ca=" + File("ca.pem"),
       absl::StrCat("--health_port=", health_port)},
      &port);
  ASSERT_NE(ingest, nullptr);
  ASSERT_TRUE(ingest->WaitForPort(health_port, absl::Seconds(10)).ok());

  EXPECT_TRUE(Health(Channel(health_port, "")).ok());
  // The per-service statuses are mirrored too; unknown names are NOT_FOUND.
  auto health = grpc::health::v1::Health::NewStub(Channel(health_port, ""));
  for (const auto& [service, want] :
       std::vector<std::pair<std::string, grpc::StatusCode>>{
           {"analytics.v1.IngestService", grpc::OK},
           {"analytics.v1.AdminService", grpc::OK},
           {"no.such.Service", grpc::NOT_FOUND}}) {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = health->Check(&context, request, &response);
    EXPECT_EQ(status.error_code(), want) << service;
    if (status.ok()) {
      EXPECT_EQ(response.status(),
                grpc::health::v1::HealthCheckResponse::SERVING);
    }
  }
  // Nothing but health there: the services are not reachable in plaintext.
  auto admin = v1::AdminService::NewStub(Channel(health_port, ""));
  auto context = AuthorizedContext(kAdminToken);
  v1::ListSitesResponse sites;
  EXPECT_EQ(admin->ListSites(context.get(), v1::ListSitesRequest(), &sites)
                .error_code(),
            grpc::UNIMPLEMENTED);
  // The TLS port is unchanged: no plaintext, mTLS as configured.
  EXPECT_EQ(Health(Channel(port, "")).error_code(), grpc::UNAVAILABLE);
  EXPECT_TRUE(Health(Channel(port, "ca", "client")).ok());

  // SIGTERM: the mirror turns NOT_SERVING with the server, then both go.
  ingest->Signal(SIGTERM);
  absl::StatusOr<int> exit = ingest->Wait(absl::Seconds(15));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(*exit, 0);
}

TEST_F(TlsTest, MutualTlsNeedsAClientCertificateSignedByTheClientCa) {
  int port = 0;
  std::unique_ptr<ServiceProcess> query = Start(
      ANALYTICS_REDUCER_BIN,
      {"--reduce=false", "--tls_cert=" + File("server.pem"),
       "--tls_key=" + File("server.key"), "--tls_client_ca=" + File("ca.pem")},
      &port);
  ASSERT_NE(query, nullptr);

  EXPECT_TRUE(Health(Channel(port, "ca", "client")).ok());
  EXPECT_NE(Health(Channel(port, "ca")).error_code(), grpc::OK);
  EXPECT_NE(Health(Channel(port, "ca", "stranger")).error_code(), grpc::OK);
  EXPECT_EQ(Health(Channel(port, "")).error_code(), grpc::UNAVAILABLE);
  // A QueryService call gets through to the service (which then refuses
  // the unknown site by its own rules).
  auto stub = v1::QueryService::NewStub(Channel(port, "ca", "client"));
  auto context = AuthorizedContext(kAdminToken);
  v1::Overview overview;
  grpc::Status status = stub->GetOverview(
      context.get(),
      OverviewRequest(12345, absl::Now() - absl::Hours(1), absl::Now()),
      &overview);
  EXPECT_EQ(status.error_code(), grpc::NOT_FOUND) << status.error_message();
  EXPECT_NE(query->LogTail().find("(mutual TLS)"), std::string::npos);
}

TEST_F(TlsTest, IncompleteTlsFlagsStopTheServiceAtStart) {
  struct Case {
    std::vector<std::string> args;
    const char* message;
  };
  const Case cases[] = {
      {{"--tls_cert=" + File("server.pem")}, "--tls_cert and --tls_key"},
      {{"--tls_client_ca=" + File("ca.pem")}, "--tls_client_ca needs"},
      {{"--tls_cert=" + File("server.pem"), "--tls_key=" + File("nope.key")},
       "--tls_key: cannot read"},
      {{"--tls_cert=" + File("san.ext"), "--tls_key=" + File("server.key")},
       "is not a PEM file"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = c.args;
    args.push_back("--database_url=" + db_->url());
    args.push_back(absl::StrCat("--listen=127.0.0.1:", FreePort()));
    absl::StatusOr<std::unique_ptr<ServiceProcess>> process =
        ServiceProcess::Spawn(ANALYTICS_INGEST_BIN, args);
    ASSERT_TRUE(process.ok()) << process.status();
    absl::StatusOr<int> exit = (*process)->Wait(absl::Seconds(10));
    ASSERT_TRUE(exit.ok()) << exit.status();
    EXPECT_EQ(*exit, 2) << c.message;
    EXPECT_NE((*process)->LogTail().find(c.message), std::string::npos)
        << (*process)->LogTail();
  }
}

}  // namespace
}  // namespace analytics::testing
