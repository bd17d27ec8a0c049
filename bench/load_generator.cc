// load_generator: drives IngestService.Ingest from one async gRPC client
// (a CompletionQueue per thread), closed-loop (`--concurrency` calls in
// flight) or open-loop at `--rate` events per second, and prints one JSON
// object with what it sent, what was acknowledged and the latencies.
//
// Traffic: `--sites` write keys (comma separated, round robin), per site
// `--visitors` visitors with `--sessions_per_visitor` sessions each,
// `--event_mix` pageview:track:identify weights, occurred_at spread over the
// last `--time_spread`, event ids on or off (`--event_ids`). Every event is
// a pure function of its sequence number, so a run is repeatable. With
// --probe_write_key it also measures freshness: how long after Ingest
// acknowledges an event GetOverview counts it.
//
//   load_generator --target=127.0.0.1:50051 --write_keys=K --batch_size=100
//                  --concurrency=32 --duration=10s
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "analytics/v1/ingest.grpc.pb.h"
#include "analytics/v1/query.grpc.pb.h"
#include "google/protobuf/util/time_util.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "ingest-service address");
ABSL_FLAG(std::string, write_keys, "", "Comma-separated write keys (sites)");
ABSL_FLAG(int, batch_size, 100, "Events per Ingest call");
ABSL_FLAG(int, concurrency, 32,
          "Calls in flight (closed loop); with --rate, the most in flight");
ABSL_FLAG(double, rate, 0,
          "Events per second to offer (open loop); 0: as fast as acknowledged");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "How long to send");
ABSL_FLAG(int, threads, 2, "Client threads, each with its own channel");
ABSL_FLAG(int, visitors, 10000, "Visitors per site");
ABSL_FLAG(int, sessions_per_visitor, 3, "Sessions per visitor");
ABSL_FLAG(std::string, event_mix, "8:2:0", "pageview:track:identify weights");
ABSL_FLAG(absl::Duration, time_spread, absl::Hours(1),
          "occurred_at spread over the last this long");
ABSL_FLAG(bool, event_ids, true, "Send an event_id with every event");
ABSL_FLAG(std::string, run_id, "",
          "Prefix of event ids (default: the start time), so runs differ");
ABSL_FLAG(int64_t, max_events, 0, "Stop after this many events (0: none)");
ABSL_FLAG(std::string, probe_write_key, "",
          "Freshness probe: every --probe_interval one event into this site, "
          "then GetOverview on --query_target until it counts it; reports "
          "ack-to-visible latencies. Use a site nothing else writes to");
ABSL_FLAG(std::string, probe_read_key, "", "Read key of the probe site");
ABSL_FLAG(int64_t, probe_site, 0, "Site id of the probe site");
ABSL_FLAG(std::string, query_target, "127.0.0.1:50052",
          "reducer-service address (QueryService) for the probe");
ABSL_FLAG(absl::Duration, probe_interval, absl::Milliseconds(200),
          "Between probe events");

namespace analytics::bench {
namespace {

using google::protobuf::util::TimeUtil;

struct Traffic {
  std::vector<std::string> keys;
  int visitors;
  int sessions_per_visitor;
  int mix[3];
  absl::Duration spread;
  bool event_ids;
  std::string run_id;
  absl::Time now;
};

// A small, fast, stateless mix of the sequence number.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

void FillEvent(const Traffic& t, uint64_t seq, v1::Event* e) {
  const uint64_t h = Mix(seq);
  const int visitor = static_cast<int>(h % t.visitors);
  const int session = static_cast<int>((h >> 20) % t.sessions_per_visitor);
  const int total = t.mix[0] + t.mix[1] + t.mix[2];
  const int pick = static_cast<int>((h >> 32) % std::max(total, 1));
  if (pick < t.mix[0]) {
    e->set_type(v1::PAGEVIEW);
    e->set_path(absl::StrCat("/p/", (h >> 40) % 200));
  } else if (pick < t.mix[0] + t.mix[1]) {
    e->set_type(v1::TRACK);
    e->set_name((h >> 40) % 2 == 0 ? "signup" : "click");
  } else {
    e->set_type(v1::IDENTIFY);
    e->set_user_id(absl::StrCat("u", visitor));
  }
  if (t.event_ids) e->set_event_id(absl::StrCat(t.run_id, "-", seq));
  e->set_visitor_id(absl::StrCat("v", visitor));
  e->set_session_id(absl::StrCat("s", visitor, "-", session));
  const int64_t spread_us =
      std::max<int64_t>(absl::ToInt64Microseconds(t.spread), 1);
  const absl::Time at =
      t.now - absl::Microseconds(static_cast<int64_t>((h >> 8) % spread_us));
  *e->mutable_occurred_at() =
      TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(at));
}

struct Stats {
  absl::Mutex mu;
  int64_t calls = 0;
  int64_t calls_ok = 0;
  int64_t events_sent = 0;
  int64_t events_accepted = 0;
  int64_t events_duplicate = 0;
  int64_t events_rejected = 0;
  std::vector<double> latency_ms;
  std::vector<std::string> errors;
};

struct Call {
  grpc::ClientContext context;
  v1::IngestRequest request;
  v1::IngestResponse response;
  grpc::Status status;
  absl::Time started;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::IngestResponse>> reader;
};

void RunThread(const Traffic& traffic, int thread, int threads,
               std::atomic<uint64_t>* next_seq, Stats* stats,
               absl::Time deadline) {
  auto channel =
      grpc::CreateCustomChannel(absl::GetFlag(FLAGS_target),
                                grpc::InsecureChannelCredentials(), [thread] {
                                  grpc::ChannelArguments args;
                                  // One connection per thread, not one shared
                                  // subchannel.
                                  args.SetInt("grpc.channel_id", thread);
                                  return args;
                                }());
  auto stub = v1::IngestService::NewStub(channel);
  grpc::CompletionQueue cq;
  const int batch = absl::GetFlag(FLAGS_batch_size);
  const int in_flight_max =
      std::max(1, absl::GetFlag(FLAGS_concurrency) / threads);
  const double rate = absl::GetFlag(FLAGS_rate) / threads;
  const int64_t max_events = absl::GetFlag(FLAGS_max_events);
  const absl::Time start = absl::Now();
  int64_t started_events = 0;
  int in_flight = 0;
  uint64_t key_index = thread;

  auto start_call = [&]() -> bool {
    const uint64_t first = next_seq->fetch_add(batch);
    if (max_events > 0 && static_cast<int64_t>(first) >= max_events) {
      return false;
    }
    auto* call = new Call;
    const std::string& key = traffic.keys[key_index++ % traffic.keys.size()];
    call->context.AddMetadata("authorization", absl::StrCat("Bearer ", key));
    call->context.set_deadline(std::chrono::system_clock::now() +
                               std::chrono::seconds(30));
    for (int i = 0; i < batch; ++i) {
      FillEvent(traffic, first + i, call->request.add_events());
    }
    call->started = absl::Now();
    call->reader = stub->AsyncIngest(&call->context, call->request, &cq);
    call->reader->Finish(&call->response, &call->status, call);
    ++in_flight;
    started_events += batch;
    return true;
  };

  bool more = true;
  while (true) {
    const absl::Time now = absl::Now();
    more = more && now < deadline;
    // Open loop: start what the schedule says is due; closed loop: refill.
    while (more && in_flight < in_flight_max) {
      if (rate > 0 &&
          started_events >= absl::ToDoubleSeconds(now - start) * rate) {
        break;
      }
      if (!start_call()) {
        more = false;
        break;
      }
    }
    if (in_flight == 0 && !more) break;
    void* tag;
    bool ok;
    const auto wait_until =
        std::chrono::system_clock::now() + std::chrono::milliseconds(1);
    const auto got = cq.AsyncNext(&tag, &ok, wait_until);
    if (got == grpc::CompletionQueue::TIMEOUT) continue;
    if (got == grpc::CompletionQueue::SHUTDOWN) break;
    std::unique_ptr<Call> call(static_cast<Call*>(tag));
    --in_flight;
    const double ms = absl::ToDoubleMilliseconds(absl::Now() - call->started);
    absl::MutexLock lock(&stats->mu);
    ++stats->calls;
    stats->events_sent += call->request.events_size();
    stats->latency_ms.push_back(ms);
    if (call->status.ok()) {
      ++stats->calls_ok;
      stats->events_accepted += call->response.accepted();
      stats->events_duplicate += call->response.duplicates();
      stats->events_rejected += call->response.rejected_size();
    } else if (stats->errors.size() < 5) {
      stats->errors.push_back(absl::StrCat(call->status.error_code(), ": ",
                                           call->status.error_message()));
    }
  }
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) delete static_cast<Call*>(tag);
}

// Freshness: sends one event at a time into the probe site and measures
// from its acknowledgement until GetOverview counts it. Samples whose event
// never shows up within 30 s count as 30 s.
void RunProbe(absl::Time deadline, std::vector<double>* freshness_ms,
              int64_t* probe_errors) {
  auto ingest = v1::IngestService::NewStub(grpc::CreateChannel(
      absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials()));
  auto query = v1::QueryService::NewStub(grpc::CreateChannel(
      absl::GetFlag(FLAGS_query_target), grpc::InsecureChannelCredentials()));
  const absl::Time from = absl::Now() - absl::Hours(1);
  const absl::Time to = absl::Now() + absl::Hours(2);
  v1::GetOverviewRequest overview;
  overview.set_site_id(absl::GetFlag(FLAGS_probe_site));
  *overview.mutable_from() =
      TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(from));
  *overview.mutable_to() =
      TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(to));
  auto count = [&]() -> int64_t {
    grpc::ClientContext context;
    context.AddMetadata(
        "authorization",
        absl::StrCat("Bearer ", absl::GetFlag(FLAGS_probe_read_key)));
    v1::Overview out;
    if (!query->GetOverview(&context, overview, &out).ok()) return -1;
    return out.events();
  };
  int64_t seen = count();
  const std::string run = absl::StrCat("probe", absl::ToUnixMicros(from));
  for (int n = 0; absl::Now() < deadline; ++n) {
    const absl::Time next = absl::Now() + absl::GetFlag(FLAGS_probe_interval);
    v1::IngestRequest request;
    v1::Event* e = request.add_events();
    e->set_type(v1::PAGEVIEW);
    e->set_event_id(absl::StrCat(run, "-", n));
    e->set_visitor_id("probe");
    e->set_session_id("probe");
    e->set_path("/probe");
    grpc::ClientContext context;
    context.AddMetadata(
        "authorization",
        absl::StrCat("Bearer ", absl::GetFlag(FLAGS_probe_write_key)));
    v1::IngestResponse response;
    if (!ingest->Ingest(&context, request, &response).ok() ||
        response.accepted() != 1) {
      ++*probe_errors;
      absl::SleepFor(next - absl::Now());
      continue;
    }
    const absl::Time acked = absl::Now();
    const absl::Time give_up = acked + absl::Seconds(30);
    int64_t now_seen;
    while ((now_seen = count()) <= seen && absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(2));
    }
    freshness_ms->push_back(absl::ToDoubleMilliseconds(absl::Now() - acked));
    seen = std::max(seen + 1, now_seen);
    absl::SleepFor(next - absl::Now());
  }
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(
      v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  return v[i];
}

int Main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  Traffic traffic;
  traffic.keys =
      absl::StrSplit(absl::GetFlag(FLAGS_write_keys), ',', absl::SkipEmpty());
  if (traffic.keys.empty()) {
    std::cerr << "--write_keys is required\n";
    return 2;
  }
  traffic.visitors = std::max(1, absl::GetFlag(FLAGS_visitors));
  traffic.sessions_per_visitor =
      std::max(1, absl::GetFlag(FLAGS_sessions_per_visitor));
  std::vector<std::string> mix =
      absl::StrSplit(absl::GetFlag(FLAGS_event_mix), ':');
  for (int i = 0; i < 3; ++i) {
    traffic.mix[i] = 0;
    if (i < static_cast<int>(mix.size()) &&
        !absl::SimpleAtoi(mix[i], &traffic.mix[i])) {
      std::cerr << "--event_mix: want pageview:track:identify integers\n";
      return 2;
    }
  }
  traffic.spread = absl::GetFlag(FLAGS_time_spread);
  traffic.event_ids = absl::GetFlag(FLAGS_event_ids);
  traffic.now = absl::Now();
  traffic.run_id = absl::GetFlag(FLAGS_run_id);
  if (traffic.run_id.empty()) {
    traffic.run_id = absl::StrCat("lg", absl::ToUnixMicros(traffic.now));
  }

  const int threads = std::max(1, absl::GetFlag(FLAGS_threads));
  Stats stats;
  std::atomic<uint64_t> next_seq{0};
  const absl::Time start = absl::Now();
  const absl::Time deadline = start + absl::GetFlag(FLAGS_duration);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back(RunThread, std::cref(traffic), t, threads, &next_seq,
                         &stats, deadline);
  }
  std::vector<double> freshness_ms;
  int64_t probe_errors = 0;
  std::thread probe;
  if (!absl::GetFlag(FLAGS_probe_write_key).empty()) {
    probe = std::thread(RunProbe, deadline, &freshness_ms, &probe_errors);
  }
  for (auto& w : workers) w.join();
  if (probe.joinable()) probe.join();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);

  absl::MutexLock lock(&stats.mu);
  std::string errors;
  for (const std::string& e : stats.errors) {
    std::string escaped;
    for (char c : e) {
      if (c == '"' || c == '\\') escaped.push_back('\\');
      if (static_cast<unsigned char>(c) >= 0x20) escaped.push_back(c);
    }
    absl::StrAppend(&errors, errors.empty() ? "" : ",", "\"", escaped, "\"");
  }
  std::cout << absl::StrCat(
                   "{\"batch_size\":", absl::GetFlag(FLAGS_batch_size),
                   ",\"concurrency\":", absl::GetFlag(FLAGS_concurrency),
                   ",\"rate\":", absl::GetFlag(FLAGS_rate),
                   ",\"seconds\":", seconds, ",\"calls\":", stats.calls,
                   ",\"calls_ok\":", stats.calls_ok,
                   ",\"events_sent\":", stats.events_sent,
                   ",\"events_accepted\":", stats.events_accepted,
                   ",\"events_duplicate\":", stats.events_duplicate,
                   ",\"events_rejected\":", stats.events_rejected,
                   ",\"accepted_per_s\":",
                   seconds > 0 ? stats.events_accepted / seconds : 0,
                   ",\"latency_p50_ms\":", Percentile(stats.latency_ms, 0.5),
                   ",\"latency_p99_ms\":", Percentile(stats.latency_ms, 0.99),
                   ",\"freshness_samples\":", freshness_ms.size(),
                   ",\"freshness_p50_ms\":", Percentile(freshness_ms, 0.5),
                   ",\"freshness_p99_ms\":", Percentile(freshness_ms, 0.99),
                   ",\"probe_errors\":", probe_errors, ",\"errors\":[", errors,
                   "]}")
            << std::endl;
  return stats.calls_ok == stats.calls ? 0 : 1;
}

}  // namespace
}  // namespace analytics::bench

int main(int argc, char** argv) { return analytics::bench::Main(argc, argv); }
