#include "metrics/proxy_metrics.h"
#include "metrics/request_options.h"
#include "plugins/prometheus/prometheus.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace gh::plugins {
namespace {

namespace json = boost::json;

std::shared_ptr<const plugin::Plugin> build(std::string_view text,
                                            std::vector<plugin::SchemaError>* errors_out = nullptr) {
  config::PluginInstance inst;
  inst.config = json::parse(text).as_object();
  std::vector<plugin::SchemaError> errors;
  prometheus_factory f;
  f.validate(inst.config, errors);
  if (errors_out) *errors_out = errors;
  if (!errors.empty()) return nullptr;
  return f.build(inst, {});
}

TEST(PrometheusPlugin, AllFlagsDefaultToFalse) {
  config::PluginInstance inst;
  std::vector<plugin::SchemaError> errors;
  prometheus_factory().validate(inst.config, errors);
  ASSERT_TRUE(errors.empty());
  for (const char* f : {"per_consumer", "status_code_metrics", "ai_metrics", "latency_metrics",
                        "bandwidth_metrics", "upstream_health_metrics", "wasm_metrics"}) {
    EXPECT_EQ(inst.config.at(f), false) << f;
  }
  EXPECT_EQ(prometheus_factory().priority(), 13);
}

TEST(PrometheusPlugin, RefusesNonBooleanAndUnknownFields) {
  std::vector<plugin::SchemaError> errors;
  EXPECT_EQ(build(R"({"per_consumer": "yes"})", &errors), nullptr);
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0].field, "per_consumer");
  EXPECT_EQ(errors[0].message, "expected a boolean");
  EXPECT_EQ(build(R"({"per_consumers": true})", &errors), nullptr);
  EXPECT_EQ(errors[0].message, "unknown field");
}

TEST(PrometheusPlugin, PerConsumerAndBandwidthReachTheRecordedSeries) {
  auto p = build(R"({"per_consumer": true, "bandwidth_metrics": true})");
  ASSERT_NE(p, nullptr);
  config::Service svc;
  svc.name = "svc";
  config::Route route;
  route.name = "r";
  config::Consumer alice;
  alice.username = "alice";
  plugin::Context ctx;
  ctx.service = &svc;
  ctx.route = &route;
  ctx.consumer = &alice;
  ctx.resp.status = 200;
  ctx.bytes_in = 10;
  ctx.bytes_out = 20;
  p->log(ctx);
  metrics::proxy_metrics m(1);
  m.record(0, metrics::sample_from(ctx));
  const std::string text = m.render();
  EXPECT_NE(text.find("kong_http_requests_total{service=\"svc\",route=\"r\",code=\"200\","
                      "source=\"service\",workspace=\"default\",consumer=\"alice\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("kong_bandwidth_bytes{service=\"svc\",route=\"r\",direction=\"egress\","
                      "workspace=\"default\",consumer=\"alice\"} 20"),
            std::string::npos);
}

TEST(PrometheusPlugin, WithoutPerConsumerTheConsumerLabelStaysEmpty) {
  auto p = build(R"({})");
  config::Route route;
  route.name = "r";
  config::Consumer alice;
  alice.username = "alice";
  plugin::Context ctx;
  ctx.route = &route;
  ctx.consumer = &alice;
  ctx.resp.status = 200;
  p->access(ctx);
  auto s = metrics::sample_from(ctx);
  EXPECT_EQ(s.consumer, "");
  EXPECT_FALSE(s.bandwidth);
}

}  // namespace
}  // namespace gh::plugins
