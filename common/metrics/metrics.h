// Metrics: the Prometheus counters, gauges and histograms a service
// exports, rendered in the text exposition format (0.0.4) that GET /metrics
// serves (MetricsHttpServer). A family is declared once with its help text,
// type and label names; its series appear on first use. Collectors run
// before each rendering, for gauges read from elsewhere (the queue in the
// database, the connection pool).
//
// Thread-safe: one mutex, held for a map lookup and an addition.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace analytics {

class Metrics {
 public:
  enum class Type { kCounter, kGauge, kHistogram };

  // Label values in the order of the family's label names.
  using Labels = std::vector<std::string>;

  // `buckets`: upper bounds (ascending) of a histogram's buckets; +Inf is
  // implied. Declaring a name twice keeps the first declaration.
  void Declare(const std::string& name, const std::string& help, Type type,
               std::vector<std::string> label_names = {},
               std::vector<double> buckets = {});

  // Counter += value. Unknown families and label arity mismatches are
  // ignored (metrics never fail a request).
  void Add(const std::string& name, const Labels& labels, double value = 1);
  // Gauge = value.
  void Set(const std::string& name, const Labels& labels, double value);
  // Histogram observation.
  void Observe(const std::string& name, const Labels& labels, double value);

  void AddCollector(std::function<void(Metrics&)> collect);

  // Runs the collectors, then renders every family, in name order.
  std::string Render();

  // Buckets for latencies in seconds, 1 ms to 10 s.
  static std::vector<double> LatencyBuckets();

 private:
  struct Series {
    double value = 0;
    std::vector<uint64_t> bucket_counts;
    uint64_t count = 0;
    double sum = 0;
  };
  struct Family {
    std::string help;
    Type type = Type::kCounter;
    std::vector<std::string> label_names;
    std::vector<double> buckets;
    std::map<Labels, Series> series;
  };

  // Null when `name` is unknown, of another type, or `labels` has the
  // wrong arity.
  Series* Find(const std::string& name, Type type, const Labels& labels)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  std::map<std::string, Family> families_ ABSL_GUARDED_BY(mu_);
  absl::Mutex collectors_mu_;
  std::vector<std::function<void(Metrics&)>> collectors_
      ABSL_GUARDED_BY(collectors_mu_);
};

}  // namespace analytics
