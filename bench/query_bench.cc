// query_bench: latency of QueryService's dashboard reads against the same
// numbers computed by scanning raw events in SQL, on one running
// reducer-service and its database (bench scenario 4; scripts/bench drives
// it). Prints one JSON object: per RPC the p50/p99 of --runs sequential calls
// over one channel (after warm-up calls), per scan the median of
// --scan_runs, the scan/RPC ratios, and whether the RPCs' numbers agree with
// the scans (events exactly, visitors within the documented 2%).
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <iostream>
#include <map>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "analytics/v1/query.grpc.pb.h"
#include "common/json/json_writer.h"
#include "common/time/pg_time.h"
#include "common/time/proto_time.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50052", "reducer-service address");
ABSL_FLAG(std::string, token, "",
          "read key of --site or the admin token (default: "
          "ANALYTICS_ADMIN_TOKEN)");
ABSL_FLAG(std::string, database_url, "",
          "database for the raw scans (default: DATABASE_URL)");
ABSL_FLAG(int64_t, site, 1, "site id");
ABSL_FLAG(std::string, from, "", "range start, RFC 3339");
ABSL_FLAG(std::string, to, "", "range end, RFC 3339");
ABSL_FLAG(int, runs, 50, "measured calls per RPC");
ABSL_FLAG(int, warmup, 5, "unmeasured calls per RPC first");
ABSL_FLAG(int, scan_runs, 3, "measured runs per raw scan");
ABSL_FLAG(std::string, label, "", "copied into the output");

namespace analytics::bench {
namespace {

namespace v1 = ::analytics::v1;

struct Latencies {
  std::vector<double> ms;
  double Quantile(double q) const {
    std::vector<double> sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    if (sorted.empty()) return 0;
    const size_t i = std::min(
        sorted.size() - 1,
        static_cast<size_t>(std::ceil(q * sorted.size())) - (q > 0 ? 1 : 0));
    return sorted[i];
  }
};

double MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

// Runs `call` warmup + runs times; fails the process on a non-OK status.
Latencies Measure(const std::string& name, int warmup, int runs,
                  const std::function<grpc::Status()>& call) {
  Latencies out;
  for (int i = 0; i < warmup + runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    grpc::Status status = call();
    const double ms = MillisSince(start);
    if (!status.ok()) {
      std::cerr << name << ": " << status.error_code() << " "
                << status.error_message() << "\n";
      std::exit(1);
    }
    if (i >= warmup) out.ms.push_back(ms);
  }
  return out;
}

struct ScanResult {
  Latencies latency;
  pqxx::result rows;
};

ScanResult Scan(pqxx::connection& connection, int runs, const std::string& sql,
                int64_t site, const std::string& from, const std::string& to) {
  ScanResult out;
  for (int i = 0; i < runs; ++i) {
    pqxx::read_transaction tx(connection);
    const auto start = std::chrono::steady_clock::now();
    out.rows = tx.exec_params(sql, site, from, to);
    out.latency.ms.push_back(MillisSince(start));
  }
  return out;
}

bool Within2Percent(int64_t estimate, int64_t exact) {
  return std::abs(static_cast<double>(estimate - exact)) <=
         0.02 * static_cast<double>(std::max<int64_t>(exact, 1));
}

int Main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::string token = absl::GetFlag(FLAGS_token);
  if (token.empty() && std::getenv("ANALYTICS_ADMIN_TOKEN") != nullptr) {
    token = std::getenv("ANALYTICS_ADMIN_TOKEN");
  }
  std::string url = absl::GetFlag(FLAGS_database_url);
  if (url.empty() && std::getenv("DATABASE_URL") != nullptr) {
    url = std::getenv("DATABASE_URL");
  }
  absl::Time from, to;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, absl::GetFlag(FLAGS_from), &from,
                       &error) ||
      !absl::ParseTime(absl::RFC3339_full, absl::GetFlag(FLAGS_to), &to,
                       &error)) {
    std::cerr << "--from and --to must be RFC 3339 times: " << error << "\n";
    return 2;
  }
  const int64_t site = absl::GetFlag(FLAGS_site);
  const int runs = absl::GetFlag(FLAGS_runs);
  const int warmup = absl::GetFlag(FLAGS_warmup);

  auto stub = v1::QueryService::NewStub(grpc::CreateChannel(
      absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials()));
  auto context = [&](grpc::ClientContext* c) {
    c->AddMetadata("authorization", absl::StrCat("Bearer ", token));
    c->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(60));
  };

  v1::GetOverviewRequest overview_request;
  overview_request.set_site_id(site);
  *overview_request.mutable_from() = ToProtoTimestamp(from);
  *overview_request.mutable_to() = ToProtoTimestamp(to);
  v1::Overview overview;
  const Latencies overview_ms = Measure("GetOverview", warmup, runs, [&] {
    grpc::ClientContext c;
    context(&c);
    return stub->GetOverview(&c, overview_request, &overview);
  });

  v1::GetTimeseriesRequest series_request;
  series_request.set_site_id(site);
  *series_request.mutable_from() = ToProtoTimestamp(from);
  *series_request.mutable_to() = ToProtoTimestamp(to);
  series_request.set_interval(v1::DAY);
  series_request.set_time_zone("UTC");
  v1::Timeseries series;
  const Latencies series_ms = Measure("GetTimeseries", warmup, runs, [&] {
    grpc::ClientContext c;
    context(&c);
    return stub->GetTimeseries(&c, series_request, &series);
  });

  std::map<std::string, Latencies> breakdown_ms;
  std::map<std::string, v1::Breakdown> breakdowns;
  for (const auto& [name, dimension] :
       std::vector<std::pair<std::string, v1::Dimension>>{
           {"page", v1::DIMENSION_PAGE},
           {"referrer", v1::DIMENSION_REFERRER},
           {"entry_page", v1::DIMENSION_ENTRY_PAGE}}) {
    v1::GetBreakdownRequest request;
    request.set_site_id(site);
    *request.mutable_from() = ToProtoTimestamp(from);
    *request.mutable_to() = ToProtoTimestamp(to);
    request.set_dimension(dimension);
    request.set_limit(10);
    breakdown_ms[name] =
        Measure("GetBreakdown " + name, warmup, runs, [&, request] {
          grpc::ClientContext c;
          context(&c);
          return stub->GetBreakdown(&c, request, &breakdowns[name]);
        });
  }

  // The same numbers by scanning raw events, as an application without
  // rollups would compute them.
  pqxx::connection connection(url);
  const std::string f = ToPgTimestamp(from), t = ToPgTimestamp(to);
  const int scan_runs = absl::GetFlag(FLAGS_scan_runs);
  const ScanResult overview_scan = Scan(connection, scan_runs,
                                        R"sql(
      SELECT count(*), count(*) FILTER (WHERE type = 1),
             count(DISTINCT visitor_id)
      FROM events
      WHERE site_id = $1 AND occurred_at >= $2 AND occurred_at < $3
        AND NOT bot)sql",
                                        site, f, t);
  const ScanResult series_scan = Scan(connection, scan_runs,
                                      R"sql(
      SELECT date_trunc('day', occurred_at, 'UTC'), count(*),
             count(DISTINCT visitor_id)
      FROM events
      WHERE site_id = $1 AND occurred_at >= $2 AND occurred_at < $3
        AND NOT bot
      GROUP BY 1 ORDER BY 1)sql",
                                      site, f, t);
  const ScanResult page_scan = Scan(connection, scan_runs,
                                    R"sql(
      SELECT path, count(*), count(DISTINCT visitor_id) AS visitors
      FROM events
      WHERE site_id = $1 AND occurred_at >= $2 AND occurred_at < $3
        AND NOT bot AND type = 1
      GROUP BY path ORDER BY visitors DESC, path LIMIT 10)sql",
                                    site, f, t);

  const int64_t scan_events = overview_scan.rows[0][0].as<int64_t>();
  const int64_t scan_visitors = overview_scan.rows[0][2].as<int64_t>();
  const bool overview_agrees =
      overview.events() == scan_events &&
      Within2Percent(overview.visitors(), scan_visitors) &&
      overview.pending_events() == 0;
  const bool page_agrees = !breakdowns["page"].rows().empty() &&
                           breakdowns["page"].rows(0).key() ==
                               page_scan.rows[0][0].as<std::string>() &&
                           Within2Percent(breakdowns["page"].rows(0).visitors(),
                                          page_scan.rows[0][2].as<int64_t>());

  JsonWriter json;
  json.BeginObject()
      .Field("label", absl::GetFlag(FLAGS_label))
      .Field("from", f)
      .Field("to", t)
      .Field("events", scan_events)
      .Field("visitors", scan_visitors)
      .Field("runs", static_cast<int64_t>(runs));
  auto rpc = [&](const std::string& name, const Latencies& l,
                 const ScanResult* scan) {
    json.Key(name).BeginObject();
    json.Key("p50_ms").Double(l.Quantile(0.5));
    json.Key("p99_ms").Double(l.Quantile(0.99));
    if (scan != nullptr) {
      const double scan_ms = scan->latency.Quantile(0.5);
      json.Key("scan_median_ms").Double(scan_ms);
      json.Key("speedup").Double(scan_ms / l.Quantile(0.5));
    }
    json.EndObject();
  };
  json.Key("rpcs").BeginObject();
  rpc("GetOverview", overview_ms, &overview_scan);
  rpc("GetTimeseries_day", series_ms, &series_scan);
  rpc("GetBreakdown_page_top10", breakdown_ms["page"], &page_scan);
  rpc("GetBreakdown_referrer_top10", breakdown_ms["referrer"], nullptr);
  rpc("GetBreakdown_entry_page_top10", breakdown_ms["entry_page"], nullptr);
  json.EndObject();
  json.Key("agree").BeginObject();
  json.Key("overview").Bool(overview_agrees);
  json.Key("timeseries_buckets")
      .Bool(static_cast<size_t>(series.points_size()) ==
            series_scan.rows.size());
  json.Key("page_top").Bool(page_agrees);
  json.EndObject();
  json.EndObject();
  std::cout << json.Release() << "\n";
  return 0;
}

}  // namespace
}  // namespace analytics::bench

int main(int argc, char** argv) { return analytics::bench::Main(argc, argv); }
