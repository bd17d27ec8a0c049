// TLS for the gRPC servers: the PEM files named by --tls_cert, --tls_key and
// --tls_client_ca, read once at start-up, and the server credentials they
// make. No cert: plaintext (a service mesh or a private network terminates
// TLS). A client CA: mutual TLS, every client must present a certificate
// that CA signed.
#pragma once

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace analytics {

struct ServerTls {
  std::string cert_chain_pem;
  std::string private_key_pem;
  // Non-empty: require and verify client certificates (mTLS).
  std::string client_ca_pem;
  bool enabled() const { return !cert_chain_pem.empty(); }
};

// Reads the files; all paths empty means no TLS. INVALID_ARGUMENT naming the
// flag for a cert without a key (or the reverse), a client CA without a
// server cert, or a file that cannot be read or holds no PEM block.
absl::StatusOr<ServerTls> LoadServerTls(const std::string& cert_path,
                                        const std::string& key_path,
                                        const std::string& client_ca_path);

// Insecure credentials when `tls` is not enabled.
std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(
    const ServerTls& tls);

// Contents of a PEM file for flag `flag`; shared with analyticsctl's client
// side. INVALID_ARGUMENT naming the flag when unreadable or not PEM.
absl::StatusOr<std::string> ReadPemFile(const std::string& flag,
                                        const std::string& path);

}  // namespace analytics
