// Metrics: the Prometheus text format, exactly.
#include "common/metrics/metrics.h"

#include <gtest/gtest.h>

namespace analytics {
namespace {

TEST(MetricsTest, RendersCountersGaugesAndHistogramsInNameOrder) {
  Metrics m;
  m.Declare("b_requests_total", "Requests", Metrics::Type::kCounter,
            {"method", "code"});
  m.Declare("a_depth", "Queue depth", Metrics::Type::kGauge);
  m.Declare("c_seconds", "Latency", Metrics::Type::kHistogram, {"method"},
            {0.5, 0.001});
  m.Add("b_requests_total", {"/x.Y/Z", "OK"});
  m.Add("b_requests_total", {"/x.Y/Z", "OK"}, 2);
  m.Add("b_requests_total", {"quote\"back\\slash", "NOT_FOUND"});
  m.Set("a_depth", {}, 7);
  m.Set("a_depth", {}, 4.5);
  m.Observe("c_seconds", {"m"}, 0.0005);
  m.Observe("c_seconds", {"m"}, 0.25);
  m.Observe("c_seconds", {"m"}, 3);
  // Ignored: unknown family, wrong type, wrong arity.
  m.Add("nope", {});
  m.Set("b_requests_total", {"/x.Y/Z", "OK"}, 100);
  m.Add("b_requests_total", {"only-one"});
  EXPECT_EQ(m.Render(),
            "# HELP a_depth Queue depth\n"
            "# TYPE a_depth gauge\n"
            "a_depth 4.5\n"
            "# HELP b_requests_total Requests\n"
            "# TYPE b_requests_total counter\n"
            "b_requests_total{method=\"/x.Y/Z\",code=\"OK\"} 3\n"
            "b_requests_total{method=\"quote\\\"back\\\\slash\",code=\"NOT_"
            "FOUND\"} 1\n"
            "# HELP c_seconds Latency\n"
            "# TYPE c_seconds histogram\n"
            "c_seconds_bucket{method=\"m\",le=\"0.001\"} 1\n"
            "c_seconds_bucket{method=\"m\",le=\"0.5\"} 2\n"
            "c_seconds_bucket{method=\"m\",le=\"+Inf\"} 3\n"
            "c_seconds_sum{method=\"m\"} 3.2505\n"
            "c_seconds_count{method=\"m\"} 3\n");
}

TEST(MetricsTest, UnlabelledFamiliesShowZeroBeforeFirstUse) {
  Metrics m;
  m.Declare("x_total", "X", Metrics::Type::kCounter);
  EXPECT_EQ(m.Render(),
            "# HELP x_total X\n# TYPE x_total counter\nx_total 0\n");
}

TEST(MetricsTest, CollectorsRunBeforeEachRendering) {
  Metrics m;
  m.Declare("g", "G", Metrics::Type::kGauge);
  int calls = 0;
  m.AddCollector([&calls](Metrics& metrics) { metrics.Set("g", {}, ++calls); });
  EXPECT_NE(m.Render().find("g 1\n"), std::string::npos);
  EXPECT_NE(m.Render().find("g 2\n"), std::string::npos);
}

}  // namespace
}  // namespace analytics
