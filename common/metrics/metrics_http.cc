// MetricsHttpServer on cpp-httplib.
#include "common/metrics/metrics_http.h"

#include <httplib.h>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace analytics {

MetricsHttpServer::MetricsHttpServer(Metrics* metrics)
    : metrics_(metrics), server_(std::make_unique<httplib::Server>()) {
  server_->Get(
      "/metrics", [this](const httplib::Request&, httplib::Response& response) {
        response.set_content(metrics_->Render(),
                             "text/plain; version=0.0.4; charset=utf-8");
      });
}

MetricsHttpServer::~MetricsHttpServer() { Stop(); }

absl::Status MetricsHttpServer::Start(const std::string& host, int port) {
  if (!server_->bind_to_port(host.c_str(), port)) {
    return absl::UnavailableError(
        absl::StrCat("metrics: cannot listen on ", host, ":", port));
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  spdlog::info("metrics on http://{}:{}/metrics", host, port);
  return absl::OkStatus();
}

void MetricsHttpServer::Stop() {
  if (!thread_.joinable()) return;
  server_->stop();
  thread_.join();
}

}  // namespace analytics
