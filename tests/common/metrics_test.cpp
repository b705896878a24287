#include "tidewire/common/metrics.hpp"

#include <gtest/gtest.h>

namespace tidewire {
namespace {

TEST(Metrics, SameNameAndLabelsIsSameCounter) {
  MetricsRegistry r;
  r.counter("tw_rejects_total", "rejects", {{"reason", "oversize"}}).inc();
  r.counter("tw_rejects_total", "rejects", {{"reason", "oversize"}}).inc(2);
  r.counter("tw_rejects_total", "rejects", {{"reason", "malformed"}}).inc();
  EXPECT_EQ(r.counter_value("tw_rejects_total", {{"reason", "oversize"}}), 3u);
  EXPECT_EQ(r.counter_total("tw_rejects_total"), 4u);
}

TEST(Metrics, RendersPrometheusText) {
  MetricsRegistry r;
  r.counter("a_total", "things", {{"k", "v\"q"}}).inc(5);
  r.gauge("depth", "queue depth").set(-2);
  r.histogram("lat_ms", "latency", {1, 10}).observe(5);
  std::string text = r.render_prometheus();
  EXPECT_NE(text.find("# TYPE a_total counter"), std::string::npos);
  EXPECT_NE(text.find("a_total{k=\"v\\\"q\"} 5"), std::string::npos);
  EXPECT_NE(text.find("depth -2"), std::string::npos);
  EXPECT_NE(text.find("lat_ms_bucket{le=\"1\"} 0"), std::string::npos);
  EXPECT_NE(text.find("lat_ms_bucket{le=\"10\"} 1"), std::string::npos);
  EXPECT_NE(text.find("lat_ms_count 1"), std::string::npos);
}

TEST(Metrics, HistogramQuantileIsBucketBound) {
  Histogram h({1, 2, 5, 10});
  for (int i = 0; i < 90; ++i) h.observe(1);
  for (int i = 0; i < 10; ++i) h.observe(8);
  EXPECT_EQ(h.quantile(0.5), 1);
  EXPECT_EQ(h.quantile(0.95), 10);
}

}  // namespace
}  // namespace tidewire
