// Label sets and cells of the proxy metrics' per-worker shards (internal to src/metrics).
//
// A series is found by a label_view of string_views (no allocation on the hot path) and
// stored under an owning label_key the first time it is seen.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <tuple>

namespace gh::metrics::detail {

struct label_view {
  std::string_view service, route, consumer;
  int code = 0;
  bool from_service = false;
};

struct label_key {
  std::string service, route, consumer;
  int code = 0;
  bool from_service = false;

  explicit label_key(const label_view& v)
      : service(v.service), route(v.route), consumer(v.consumer), code(v.code),
        from_service(v.from_service) {}
  label_view view() const noexcept { return {service, route, consumer, code, from_service}; }
  friend bool operator<(const label_key& a, const label_key& b) noexcept {
    return std::tie(a.service, a.route, a.consumer, a.code, a.from_service) <
           std::tie(b.service, b.route, b.consumer, b.code, b.from_service);
  }
};

inline bool same(const label_view& a, const label_view& b) noexcept {
  return a.code == b.code && a.from_service == b.from_service && a.service == b.service &&
         a.route == b.route && a.consumer == b.consumer;
}

struct label_hash {
  using is_transparent = void;
  std::size_t operator()(const label_view& v) const noexcept {
    std::hash<std::string_view> h;
    std::size_t x = h(v.service);
    x = x * 31 + h(v.route);
    x = x * 31 + h(v.consumer);
    x = x * 31 + static_cast<std::size_t>(v.code) * 2 + (v.from_service ? 1 : 0);
    return x;
  }
  std::size_t operator()(const label_key& k) const noexcept { return (*this)(k.view()); }
};

struct label_eq {
  using is_transparent = void;
  bool operator()(const label_key& a, const label_key& b) const noexcept {
    return same(a.view(), b.view());
  }
  bool operator()(const label_key& a, const label_view& b) const noexcept {
    return same(a.view(), b);
  }
  bool operator()(const label_view& a, const label_key& b) const noexcept {
    return same(a, b.view());
  }
};

inline constexpr int64_t kong_latency_buckets[] = {1,  2,  5,   7,   10,  15,   20,   30,  50,
                                                   75, 100, 200, 500, 750, 1000, 3000, 6000};
inline constexpr int64_t upstream_latency_buckets[] = {25,   50,   80,    100,   250,   400,  700,
                                                       1000, 2000, 5000, 10000, 30000, 60000};
inline constexpr std::size_t max_buckets = 17;

// Non-cumulative bucket counts (index = first bucket whose bound >= value; the last is
// +Inf), made cumulative at render time.
struct histogram_cells {
  std::atomic<uint64_t> buckets[max_buckets + 1] = {};
  std::atomic<uint64_t> sum{0};
  std::atomic<uint64_t> count{0};
};

struct latency_cells {
  histogram_cells kong, upstream, request;
};

struct bandwidth_cells {
  std::atomic<uint64_t> ingress{0}, egress{0};
};

}  // namespace gh::metrics::detail
