#include "metrics/proxy_metrics.h"

#include "metrics/series.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <span>
#include <unordered_map>

namespace gh::metrics {

using detail::bandwidth_cells;
using detail::histogram_cells;
using detail::label_eq;
using detail::label_hash;
using detail::label_key;
using detail::label_view;
using detail::latency_cells;

namespace {

constexpr auto relaxed = std::memory_order_relaxed;

template <class Cells>
using series_map = std::unordered_map<label_key, Cells, label_hash, label_eq>;

std::size_t bucket_index(std::span<const int64_t> bounds, int64_t v) {
  return static_cast<std::size_t>(std::lower_bound(bounds.begin(), bounds.end(), v) -
                                  bounds.begin());
}

// A shard's cells have one writer, its worker: a relaxed load and store is enough (render()
// may read a value one update old) and spares the locked read-modify-write per update.
void bump(std::atomic<uint64_t>& cell, uint64_t n) {
  cell.store(cell.load(relaxed) + n, relaxed);
}

void observe(histogram_cells& h, std::span<const int64_t> bounds, int64_t v) {
  bump(h.buckets[bucket_index(bounds, v)], 1);
  bump(h.sum, static_cast<uint64_t>(v));
  bump(h.count, 1);
}

// The series a worker updated last, per family: consecutive requests mostly hit the same
// route, so most lookups are one comparison of the label values instead of a hash.
template <class Cells>
struct last_series {
  const label_key* key = nullptr;
  Cells* cells = nullptr;
};

void append_escaped(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

void append_label(std::string& out, std::string_view name, std::string_view value, bool first) {
  if (!first) out += ',';
  out += name;
  out += "=\"";
  append_escaped(out, value);
  out += '"';
}

void header(std::string& out, std::string_view name, std::string_view help,
            std::string_view type) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

struct histogram_sum {
  uint64_t buckets[detail::max_buckets + 1] = {};
  uint64_t sum = 0, count = 0;
  void add(const histogram_cells& h, std::size_t n) {
    for (std::size_t i = 0; i <= n; ++i) buckets[i] += h.buckets[i].load(relaxed);
    sum += h.sum.load(relaxed);
    count += h.count.load(relaxed);
  }
};

struct latency_sum {
  histogram_sum kong, upstream, request;
};

void render_histogram(std::string& out, std::string_view name,
                      const std::map<label_key, latency_sum>& series,
                      histogram_sum latency_sum::*member, std::span<const int64_t> bounds) {
  bool any = false;
  for (const auto& [key, sums] : series) {
    const histogram_sum& h = sums.*member;
    if (h.count == 0) continue;
    if (!any) {
      any = true;
      if (name == "kong_kong_latency_ms") {
        header(out, name, "Latency added by Kong and enabled plugins for each service/route in Kong",
               "histogram");
      } else if (name == "kong_upstream_latency_ms") {
        header(out, name, "Latency added by upstream response for each service/route in Kong",
               "histogram");
      } else {
        header(out, name, "Total latency incurred during requests for each service/route in Kong",
               "histogram");
      }
    }
    std::string labels;
    append_label(labels, "service", key.service, true);
    append_label(labels, "route", key.route, false);
    append_label(labels, "workspace", "default", false);
    uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= bounds.size(); ++i) {
      cumulative += h.buckets[i];
      std::string le = i < bounds.size() ? std::to_string(bounds[i]) : "+Inf";
      fmt::format_to(std::back_inserter(out), "{}_bucket{{{},le=\"{}\"}} {}\n", name, labels, le,
                     cumulative);
    }
    fmt::format_to(std::back_inserter(out), "{}_count{{{}}} {}\n", name, labels, h.count);
    fmt::format_to(std::back_inserter(out), "{}_sum{{{}}} {}\n", name, labels, h.sum);
  }
}

std::atomic<proxy_metrics*> g_process_metrics{nullptr};

}  // namespace

struct alignas(64) proxy_metrics::shard {
  // Taken by the owning worker to add a series and by render() to read the maps; the
  // owner looks series up without it (it is the only writer of the maps).
  mutable std::mutex mu;
  series_map<std::atomic<uint64_t>> status;
  series_map<latency_cells> latency;
  series_map<bandwidth_cells> bandwidth;
  last_series<std::atomic<uint64_t>> last_status;
  last_series<latency_cells> last_latency;
  last_series<bandwidth_cells> last_bandwidth;
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> dropped{0};

  // Series are never erased, so the cached key and cells stay valid.
  template <class Cells>
  Cells* series(series_map<Cells>& map, last_series<Cells>& last, const label_view& v) {
    if (last.key != nullptr && detail::same(last.key->view(), v)) return last.cells;
    auto it = map.find(v);
    if (it == map.end()) {
      if (map.size() >= max_series_per_worker) {
        bump(dropped, 1);
        return nullptr;
      }
      std::lock_guard lock(mu);
      it = map.try_emplace(label_key(v)).first;
    }
    last = {&it->first, &it->second};
    return &it->second;
  }
};

proxy_metrics::proxy_metrics(unsigned workers) {
  const unsigned n = std::max(1u, workers);
  shards_.reserve(n);
  for (unsigned i = 0; i < n; ++i) shards_.push_back(std::make_unique<shard>());
  version_ = GATEHOUSE_VERSION;
}

proxy_metrics::~proxy_metrics() = default;

void proxy_metrics::record(unsigned worker, const request_sample& s) {
  shard& sh = *shards_[worker % shards_.size()];
  bump(sh.requests, 1);
  if (s.route.empty()) return;  // as Kong: only routed requests are labelled

  if (auto* c = sh.series(sh.status, sh.last_status,
                          {s.service, s.route, s.consumer, s.status, s.from_service})) {
    bump(*c, 1);
  }
  if (auto* l = sh.series(sh.latency, sh.last_latency, {s.service, s.route, {}, 0, false})) {
    if (s.request_latency_ms >= 0) {
      observe(l->request, detail::upstream_latency_buckets, s.request_latency_ms);
    }
    if (s.upstream_latency_ms >= 0) {
      observe(l->upstream, detail::upstream_latency_buckets, s.upstream_latency_ms);
    }
    if (s.kong_latency_ms >= 0) {
      observe(l->kong, detail::kong_latency_buckets, s.kong_latency_ms);
    }
  }
  if (s.bandwidth && (s.bytes_in > 0 || s.bytes_out > 0)) {
    if (auto* b = sh.series(sh.bandwidth, sh.last_bandwidth,
                            {s.service, s.route, s.consumer, 0, false})) {
      bump(b->ingress, s.bytes_in);
      bump(b->egress, s.bytes_out);
    }
  }
}

void proxy_metrics::set_connection_stats(const connection_stats& st) {
  const uint64_t v[6] = {st.accepted, st.handled, st.active, st.reading, st.writing, st.waiting};
  for (int i = 0; i < 6; ++i) conn_[i].store(v[i], relaxed);
}

void proxy_metrics::set_datastore_reachable(bool reachable) {
  datastore_reachable_.store(reachable, relaxed);
}

void proxy_metrics::set_node_info(std::string node_id, std::string version) {
  std::lock_guard lock(info_mu_);
  node_id_ = std::move(node_id);
  version_ = std::move(version);
}

void proxy_metrics::add_renderer(std::function<void(std::string&)> renderer) {
  std::lock_guard lock(info_mu_);
  renderers_.push_back(std::move(renderer));
}

uint64_t proxy_metrics::dropped_series() const noexcept {
  uint64_t n = 0;
  for (const auto& s : shards_) n += s->dropped.load(relaxed);
  return n;
}

std::string proxy_metrics::render() const {
  std::map<label_key, uint64_t> status;
  std::map<label_key, latency_sum> latency;
  std::map<label_key, std::pair<uint64_t, uint64_t>> bandwidth;
  uint64_t requests = 0;
  for (const auto& sh : shards_) {
    std::lock_guard lock(sh->mu);
    requests += sh->requests.load(relaxed);
    for (const auto& [k, c] : sh->status) status[k] += c.load(relaxed);
    for (const auto& [k, l] : sh->latency) {
      auto& sum = latency.try_emplace(k).first->second;
      sum.kong.add(l.kong, std::size(detail::kong_latency_buckets));
      sum.upstream.add(l.upstream, std::size(detail::upstream_latency_buckets));
      sum.request.add(l.request, std::size(detail::upstream_latency_buckets));
    }
    for (const auto& [k, b] : sh->bandwidth) {
      auto& sum = bandwidth[k];
      sum.first += b.ingress.load(relaxed);
      sum.second += b.egress.load(relaxed);
    }
  }

  std::string out;
  out.reserve(4096 + 256 * (status.size() + 8 * latency.size()));
  if (!bandwidth.empty()) {
    header(out, "kong_bandwidth_bytes", "Total bandwidth (ingress/egress) throughput in bytes",
           "counter");
    for (const char* direction : {"egress", "ingress"}) {
      for (const auto& [k, v] : bandwidth) {
        const uint64_t n = direction[0] == 'e' ? v.second : v.first;
        if (n == 0) continue;
        out += "kong_bandwidth_bytes{";
        append_label(out, "service", k.service, true);
        append_label(out, "route", k.route, false);
        append_label(out, "direction", direction, false);
        append_label(out, "workspace", "default", false);
        append_label(out, "consumer", k.consumer, false);
        fmt::format_to(std::back_inserter(out), "}} {}\n", n);
      }
    }
  }
  header(out, "kong_datastore_reachable", "Datastore reachable from Kong, 0 is unreachable",
         "gauge");
  fmt::format_to(std::back_inserter(out), "kong_datastore_reachable {}\n",
                 datastore_reachable_.load(relaxed) ? 1 : 0);
  if (!status.empty()) {
    header(out, "kong_http_requests_total", "HTTP status codes per consumer/service/route in Kong",
           "counter");
    for (const auto& [k, n] : status) {
      out += "kong_http_requests_total{";
      append_label(out, "service", k.service, true);
      append_label(out, "route", k.route, false);
      append_label(out, "code", std::to_string(k.code), false);
      append_label(out, "source", k.from_service ? "service" : "kong", false);
      append_label(out, "workspace", "default", false);
      append_label(out, "consumer", k.consumer, false);
      fmt::format_to(std::back_inserter(out), "}} {}\n", n);
    }
  }
  render_histogram(out, "kong_kong_latency_ms", latency, &latency_sum::kong,
                   detail::kong_latency_buckets);

  std::string node_id, version;
  std::vector<std::function<void(std::string&)>> renderers;
  {
    std::lock_guard lock(info_mu_);
    node_id = node_id_;
    version = version_;
    renderers = renderers_;
  }
  header(out, "kong_nginx_connections_total", "Number of connections by subsystem", "gauge");
  const char* states[] = {"accepted", "active", "handled", "reading", "total", "waiting", "writing"};
  const uint64_t values[] = {conn_[0].load(relaxed), conn_[2].load(relaxed), conn_[1].load(relaxed),
                             conn_[3].load(relaxed), requests,               conn_[5].load(relaxed),
                             conn_[4].load(relaxed)};
  for (std::size_t i = 0; i < std::size(states); ++i) {
    out += "kong_nginx_connections_total{";
    append_label(out, "node_id", node_id, true);
    append_label(out, "subsystem", "http", false);
    append_label(out, "state", states[i], false);
    fmt::format_to(std::back_inserter(out), "}} {}\n", values[i]);
  }
  header(out, "kong_nginx_metric_errors_total",
         "Number of nginx-lua-prometheus errors", "counter");
  fmt::format_to(std::back_inserter(out), "kong_nginx_metric_errors_total {}\n", dropped_series());
  header(out, "kong_nginx_requests_total", "Number of requests total", "gauge");
  out += "kong_nginx_requests_total{";
  append_label(out, "node_id", node_id, true);
  append_label(out, "subsystem", "http", false);
  fmt::format_to(std::back_inserter(out), "}} {}\n", requests);
  header(out, "kong_node_info", "Kong Node metadata information", "gauge");
  out += "kong_node_info{";
  append_label(out, "node_id", node_id, true);
  append_label(out, "version", version, false);
  out += "} 1\n";
  render_histogram(out, "kong_request_latency_ms", latency, &latency_sum::request,
                   detail::upstream_latency_buckets);
  render_histogram(out, "kong_upstream_latency_ms", latency, &latency_sum::upstream,
                   detail::upstream_latency_buckets);
  for (const auto& r : renderers) r(out);
  return out;
}

void set_process_metrics(proxy_metrics* metrics) { g_process_metrics.store(metrics); }

proxy_metrics* process_metrics() noexcept { return g_process_metrics.load(); }

}  // namespace gh::metrics
