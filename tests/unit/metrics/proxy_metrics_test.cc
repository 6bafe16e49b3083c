#include "metrics/proxy_metrics.h"
#include "metrics/request_options.h"

#include <gtest/gtest.h>

#include <thread>

namespace gh::metrics {
namespace {

bool contains(const std::string& text, std::string_view line) {
  return text.find(line) != std::string::npos;
}

request_sample sample(std::string_view route, int status) {
  request_sample s;
  s.service = "svc";
  s.route = route;
  s.status = status;
  s.request_latency_ms = 30;
  s.upstream_latency_ms = 20;
  s.kong_latency_ms = 3;
  return s;
}

TEST(ProxyMetrics, RequestsTotalUsesKongNamesAndLabels) {
  proxy_metrics m(2);
  m.record(0, sample("r1", 200));
  m.record(1, sample("r1", 200));
  auto blocked = sample("r1", 429);
  blocked.from_service = false;
  m.record(1, blocked);
  const std::string text = m.render();
  EXPECT_TRUE(contains(text, "# TYPE kong_http_requests_total counter\n"));
  EXPECT_TRUE(contains(text, "kong_http_requests_total{service=\"svc\",route=\"r1\",code=\"200\","
                             "source=\"service\",workspace=\"default\",consumer=\"\"} 2\n"));
  EXPECT_TRUE(contains(text, "kong_http_requests_total{service=\"svc\",route=\"r1\",code=\"429\","
                             "source=\"kong\",workspace=\"default\",consumer=\"\"} 1\n"));
  EXPECT_TRUE(contains(text, "kong_nginx_requests_total{node_id=\"\",subsystem=\"http\"} 3\n"));
}

TEST(ProxyMetrics, ConsecutiveRequestsOnOneRouteKeepTheirOwnStatusAndConsumerSeries) {
  // A worker reuses the series it updated last; a different code, consumer or route must
  // still get its own series.
  proxy_metrics m(1);
  auto alice = sample("r1", 200);
  alice.consumer = "alice";
  for (const auto& s : {sample("r1", 200), sample("r1", 200), sample("r1", 503), alice,
                        sample("r2", 200), sample("r1", 200)}) {
    m.record(0, s);
  }
  const std::string text = m.render();
  auto line = [](std::string_view route, std::string_view code, std::string_view consumer,
                 int n) {
    return "kong_http_requests_total{service=\"svc\",route=\"" + std::string(route) +
           "\",code=\"" + std::string(code) + "\",source=\"service\",workspace=\"default\"," +
           "consumer=\"" + std::string(consumer) + "\"} " + std::to_string(n) + "\n";
  };
  EXPECT_TRUE(contains(text, line("r1", "200", "", 3)));
  EXPECT_TRUE(contains(text, line("r1", "503", "", 1)));
  EXPECT_TRUE(contains(text, line("r1", "200", "alice", 1)));
  EXPECT_TRUE(contains(text, line("r2", "200", "", 1)));
  EXPECT_TRUE(contains(text, "kong_request_latency_ms_count{service=\"svc\",route=\"r1\","
                             "workspace=\"default\"} 5\n"));
}

TEST(ProxyMetrics, LatencyHistogramsUseKongBucketsAndAreCumulative) {
  proxy_metrics m(1);
  m.record(0, sample("r", 200));  // kong 3, upstream 20, request 30
  const std::string text = m.render();
  const std::string labels = "service=\"svc\",route=\"r\",workspace=\"default\"";
  EXPECT_TRUE(contains(text, "# TYPE kong_kong_latency_ms histogram\n"));
  EXPECT_TRUE(contains(text, "kong_kong_latency_ms_bucket{" + labels + ",le=\"2\"} 0\n"));
  EXPECT_TRUE(contains(text, "kong_kong_latency_ms_bucket{" + labels + ",le=\"5\"} 1\n"));
  EXPECT_TRUE(contains(text, "kong_kong_latency_ms_bucket{" + labels + ",le=\"6000\"} 1\n"));
  EXPECT_TRUE(contains(text, "kong_kong_latency_ms_bucket{" + labels + ",le=\"+Inf\"} 1\n"));
  EXPECT_TRUE(contains(text, "kong_kong_latency_ms_sum{" + labels + "} 3\n"));
  EXPECT_TRUE(contains(text, "kong_upstream_latency_ms_bucket{" + labels + ",le=\"25\"} 1\n"));
  EXPECT_TRUE(contains(text, "kong_request_latency_ms_bucket{" + labels + ",le=\"25\"} 0\n"));
  EXPECT_TRUE(contains(text, "kong_request_latency_ms_bucket{" + labels + ",le=\"50\"} 1\n"));
  EXPECT_TRUE(contains(text, "kong_request_latency_ms_count{" + labels + "} 1\n"));
}

TEST(ProxyMetrics, UpstreamLatencyIsNotObservedWhenTheUpstreamNeverAnswered) {
  proxy_metrics m(1);
  auto s = sample("r", 502);
  s.upstream_latency_ms = -1;
  m.record(0, s);
  const std::string text = m.render();
  EXPECT_FALSE(contains(text, "kong_upstream_latency_ms_count"));
  EXPECT_TRUE(contains(text, "kong_request_latency_ms_count"));
}

TEST(ProxyMetrics, BandwidthOnlyWhenAskedAndWithDirections) {
  proxy_metrics m(1);
  auto s = sample("r", 200);
  s.bytes_in = 100;
  s.bytes_out = 2000;
  m.record(0, s);
  EXPECT_FALSE(contains(m.render(), "kong_bandwidth_bytes"));
  s.bandwidth = true;
  s.consumer = "alice";
  m.record(0, s);
  const std::string text = m.render();
  EXPECT_TRUE(contains(text, "kong_bandwidth_bytes{service=\"svc\",route=\"r\",direction=\"ingress\","
                             "workspace=\"default\",consumer=\"alice\"} 100\n"));
  EXPECT_TRUE(contains(text, "kong_bandwidth_bytes{service=\"svc\",route=\"r\",direction=\"egress\","
                             "workspace=\"default\",consumer=\"alice\"} 2000\n"));
}

TEST(ProxyMetrics, RequestsWithoutRouteCountOnlyInNginxTotals) {
  proxy_metrics m(1);
  m.record(0, sample("", 404));
  const std::string text = m.render();
  EXPECT_FALSE(contains(text, "kong_http_requests_total{"));
  EXPECT_TRUE(contains(text, "kong_nginx_requests_total{node_id=\"\",subsystem=\"http\"} 1\n"));
}

TEST(ProxyMetrics, LabelValuesAreEscaped) {
  proxy_metrics m(1);
  auto s = sample("we\"ird\\name", 200);
  m.record(0, s);
  EXPECT_TRUE(contains(m.render(), "route=\"we\\\"ird\\\\name\""));
}

TEST(ProxyMetrics, GaugesNodeInfoAndExtraRenderersAppear) {
  proxy_metrics m(1);
  m.set_node_info("node-1", "0.1.0");
  m.set_datastore_reachable(false);
  m.set_connection_stats({10, 10, 3, 1, 1, 1});
  m.add_renderer([](std::string& out) { out += "# TYPE gatehouse_extra counter\ngatehouse_extra 7\n"; });
  const std::string text = m.render();
  EXPECT_TRUE(contains(text, "kong_node_info{node_id=\"node-1\",version=\"0.1.0\"} 1\n"));
  EXPECT_TRUE(contains(text, "kong_datastore_reachable 0\n"));
  EXPECT_TRUE(contains(text,
                       "kong_nginx_connections_total{node_id=\"node-1\",subsystem=\"http\","
                       "state=\"active\"} 3\n"));
  EXPECT_TRUE(contains(text, "gatehouse_extra 7\n"));
}

TEST(ProxyMetrics, WorkersRecordingConcurrentlyWithScrapesLoseNothing) {
  proxy_metrics m(4);
  std::atomic<bool> done{false};
  std::thread scraper([&] {
    while (!done.load()) (void)m.render();
  });
  std::vector<std::thread> workers;
  for (unsigned w = 0; w < 4; ++w) {
    workers.emplace_back([&m, w] {
      for (int i = 0; i < 20000; ++i) {
        m.record(w, sample(i % 2 ? "a" : "b", 200 + (i % 3)));
      }
    });
  }
  for (auto& t : workers) t.join();
  done = true;
  scraper.join();
  const std::string text = m.render();
  EXPECT_TRUE(contains(text, "kong_nginx_requests_total{node_id=\"\",subsystem=\"http\"} 80000\n"));
  EXPECT_TRUE(contains(text, "kong_request_latency_ms_count{service=\"svc\",route=\"a\","
                             "workspace=\"default\"} 40000\n"));
}

TEST(ProxyMetrics, SampleFromContextLabelsLikeKongsExporter) {
  config::Service svc;
  svc.host = "backend.internal";
  config::Route route;
  route.id = "route-uuid";
  config::Consumer alice;
  alice.username = "alice";
  plugin::Context ctx;
  ctx.service = &svc;
  ctx.route = &route;
  ctx.consumer = &alice;
  ctx.resp.status = 201;
  ctx.started_at = std::chrono::steady_clock::now() - std::chrono::milliseconds(40);
  auto s = sample_from(ctx);
  EXPECT_EQ(s.service, "backend.internal");
  EXPECT_EQ(s.route, "route-uuid");
  EXPECT_EQ(s.consumer, "");  // no prometheus plugin asked for it
  EXPECT_FALSE(s.bandwidth);
  EXPECT_EQ(s.status, 201);
  EXPECT_GE(s.request_latency_ms, 40);
  options_of(ctx).per_consumer = true;
  options_of(ctx).bandwidth = true;
  ctx.exit(429, "API rate limit exceeded");
  s = sample_from(ctx);
  EXPECT_EQ(s.consumer, "alice");
  EXPECT_TRUE(s.bandwidth);
  EXPECT_EQ(s.status, 429);
  EXPECT_FALSE(s.from_service);
}

TEST(ProxyMetrics, ProcessWidePointerIsSettable) {
  proxy_metrics m(1);
  set_process_metrics(&m);
  EXPECT_EQ(process_metrics(), &m);
  set_process_metrics(nullptr);
  EXPECT_EQ(process_metrics(), nullptr);
}

}  // namespace
}  // namespace gh::metrics
