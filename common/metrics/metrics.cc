// Metrics registry and the Prometheus text format.
#include "common/metrics/metrics.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace analytics {
namespace {

const char* TypeName(Metrics::Type type) {
  switch (type) {
    case Metrics::Type::kCounter:
      return "counter";
    case Metrics::Type::kGauge:
      return "gauge";
    case Metrics::Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// Label values escape backslash, double quote and newline.
std::string Escape(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string Number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  return absl::StrFormat("%.10g", v);
}

// {a="x",b="y"} plus `extra` (le="..."), or "" without labels.
std::string LabelText(const std::vector<std::string>& names,
                      const Metrics::Labels& values,
                      const std::string& extra = "") {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    absl::StrAppend(&out, out.empty() ? "" : ",", names[i], "=\"",
                    Escape(values[i]), "\"");
  }
  if (!extra.empty()) absl::StrAppend(&out, out.empty() ? "" : ",", extra);
  return out.empty() ? "" : absl::StrCat("{", out, "}");
}

}  // namespace

std::vector<double> Metrics::LatencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
          0.25,  0.5,    1,     2.5,  5,     10};
}

void Metrics::Declare(const std::string& name, const std::string& help,
                      Type type, std::vector<std::string> label_names,
                      std::vector<double> buckets) {
  absl::MutexLock lock(&mu_);
  if (families_.contains(name)) return;
  Family& f = families_[name];
  f.help = help;
  f.type = type;
  f.label_names = std::move(label_names);
  f.buckets = std::move(buckets);
  std::sort(f.buckets.begin(), f.buckets.end());
}

Metrics::Series* Metrics::Find(const std::string& name, Type type,
                               const Labels& labels) {
  auto it = families_.find(name);
  if (it == families_.end() || it->second.type != type ||
      it->second.label_names.size() != labels.size()) {
    return nullptr;
  }
  Series& s = it->second.series[labels];
  if (type == Type::kHistogram && s.bucket_counts.empty()) {
    s.bucket_counts.assign(it->second.buckets.size(), 0);
  }
  return &s;
}

void Metrics::Add(const std::string& name, const Labels& labels, double value) {
  absl::MutexLock lock(&mu_);
  if (Series* s = Find(name, Type::kCounter, labels)) s->value += value;
}

void Metrics::Set(const std::string& name, const Labels& labels, double value) {
  absl::MutexLock lock(&mu_);
  if (Series* s = Find(name, Type::kGauge, labels)) s->value = value;
}

void Metrics::Observe(const std::string& name, const Labels& labels,
                      double value) {
  absl::MutexLock lock(&mu_);
  Series* s = Find(name, Type::kHistogram, labels);
  if (s == nullptr) return;
  const std::vector<double>& bounds = families_[name].buckets;
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (value <= bounds[i]) ++s->bucket_counts[i];
  }
  ++s->count;
  s->sum += value;
}

void Metrics::AddCollector(std::function<void(Metrics&)> collect) {
  absl::MutexLock lock(&collectors_mu_);
  collectors_.push_back(std::move(collect));
}

std::string Metrics::Render() {
  {
    absl::MutexLock lock(&collectors_mu_);
    for (auto& collect : collectors_) collect(*this);
  }
  absl::MutexLock lock(&mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    absl::StrAppend(&out, "# HELP ", name, " ", f.help, "\n# TYPE ", name, " ",
                    TypeName(f.type), "\n");
    if (f.series.empty() && f.label_names.empty() &&
        f.type != Type::kHistogram) {
      absl::StrAppend(&out, name, " 0\n");
    }
    for (const auto& [labels, s] : f.series) {
      if (f.type != Type::kHistogram) {
        absl::StrAppend(&out, name, LabelText(f.label_names, labels), " ",
                        Number(s.value), "\n");
        continue;
      }
      for (size_t i = 0; i < f.buckets.size(); ++i) {
        absl::StrAppend(
            &out, name, "_bucket",
            LabelText(f.label_names, labels,
                      absl::StrCat("le=\"", Number(f.buckets[i]), "\"")),
            " ", s.bucket_counts[i], "\n");
      }
      absl::StrAppend(&out, name, "_bucket",
                      LabelText(f.label_names, labels, "le=\"+Inf\""), " ",
                      s.count, "\n");
      absl::StrAppend(&out, name, "_sum", LabelText(f.label_names, labels), " ",
                      Number(s.sum), "\n");
      absl::StrAppend(&out, name, "_count", LabelText(f.label_names, labels),
                      " ", s.count, "\n");
    }
  }
  return out;
}

}  // namespace analytics
