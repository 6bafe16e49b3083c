// Request metrics of the proxy, in Kong's Prometheus names, without cross-worker contention.
//
// The proxy calls record() once per request on the worker that served it; each worker
// owns a shard (its own series maps and relaxed atomic counters, written by that worker
// alone with plain loads and stores, no locked instructions), so an update touches only
// that worker's cache lines; the series it updated last is remembered, so a request on the
// same route as the previous one finds its series without hashing. render() (the admin
// /metrics endpoint) sums the shards and writes Prometheus text exposition:
// kong_http_requests_total, kong_kong_latency_ms,
// kong_upstream_latency_ms, kong_request_latency_ms, kong_bandwidth_bytes,
// kong_nginx_requests_total, kong_nginx_connections_total, kong_node_info,
// kong_datastore_reachable, then whatever extra renderers other modules registered.
//
// Who fills what (see docs/plugins/prometheus.md): the proxy core records every request
// with a route (status, source, latencies); the prometheus plugin, when it applies to a
// request, asks for the consumer label (per_consumer) and kong_bandwidth_bytes
// (bandwidth_metrics) through metrics/request_options.h.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace gh::metrics {

struct request_sample {
  std::string_view service;   // Kong: service name, else its host; "" without service
  std::string_view route;     // Kong: route name, else its id; "" = no route (not labelled)
  std::string_view consumer;  // label value; "" unless the prometheus plugin asked for it
  int status = 0;
  bool from_service = true;   // source="service" when the upstream answered, else "kong"
  int64_t request_latency_ms = 0;
  int64_t upstream_latency_ms = -1;  // -1 when the upstream never answered
  int64_t kong_latency_ms = 0;       // -1 when unknown
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  bool bandwidth = false;  // record kong_bandwidth_bytes (prometheus bandwidth_metrics)
};

// nginx-style connection counters, as Kong exports them from ngx.status.
struct connection_stats {
  uint64_t accepted = 0, handled = 0, active = 0, reading = 0, writing = 0, waiting = 0;
};

class proxy_metrics {
 public:
  explicit proxy_metrics(unsigned workers);
  ~proxy_metrics();
  proxy_metrics(const proxy_metrics&) = delete;
  proxy_metrics& operator=(const proxy_metrics&) = delete;

  // Called by worker `worker` only (one thread per worker index); never blocks on other
  // workers. A worker index out of range is folded into range.
  void record(unsigned worker, const request_sample& sample);

  // Prometheus text exposition format 0.0.4.
  std::string render() const;
  static constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

  // Gauges the proxy/server set (any thread).
  void set_connection_stats(const connection_stats& stats);
  void set_datastore_reachable(bool reachable);
  void set_node_info(std::string node_id, std::string version);
  // Extra exposition text appended by render(), e.g. a plugin's own counters or upstream
  // target health. A renderer appends complete lines (with # HELP/# TYPE) to the string.
  void add_renderer(std::function<void(std::string&)> renderer);

  // Series the per-worker cardinality cap refused (kong_nginx_metric_errors_total).
  uint64_t dropped_series() const noexcept;
  // Per worker and metric family, new label sets beyond this are dropped and counted.
  static constexpr std::size_t max_series_per_worker = 20'000;

 private:
  struct shard;
  std::vector<std::unique_ptr<shard>> shards_;

  std::atomic<uint64_t> conn_[6] = {};
  std::atomic<bool> datastore_reachable_{true};
  mutable std::mutex info_mu_;
  std::string node_id_;
  std::string version_;
  std::vector<std::function<void(std::string&)>> renderers_;
};

// The process's metrics, set once at startup by the server; nullptr until then. The
// prometheus plugin and other modules reach the registry through it.
void set_process_metrics(proxy_metrics* metrics);
proxy_metrics* process_metrics() noexcept;

}  // namespace gh::metrics
