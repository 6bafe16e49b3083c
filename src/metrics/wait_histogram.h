// A process-wide histogram of how long requests waited for something (a store's answer),
// in Prometheus seconds, with buckets fine enough below 2 ms to read a p99 from them.
//
// record() is a relaxed increment on a cache line of the recording thread's own (threads
// are spread over a few shards), so the request path never contends with other workers;
// the first record() registers the histogram's renderer with the process metrics
// (src/metrics/proxy_metrics.h), so /metrics shows it from the first wait on.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace gh::metrics {

class wait_histogram {
 public:
  // Upper bounds, microseconds (+Inf follows).
  static constexpr std::array<uint32_t, 18> bounds_us = {
      50,    100,   200,   300,    400,    500,    750,     1'000,   1'500,
      2'000, 3'000, 5'000, 10'000, 25'000, 50'000, 100'000, 250'000, 1'000'000};

  // `name` and `help` must outlive the histogram (string literals). A histogram that
  // records must outlive the process metrics it registers with (make it a static).
  wait_histogram(const char* name, const char* help) noexcept : name_(name), help_(help) {}
  wait_histogram(const wait_histogram&) = delete;
  wait_histogram& operator=(const wait_histogram&) = delete;

  void record(std::chrono::steady_clock::duration waited) noexcept;
  // Prometheus text (# HELP, # TYPE, buckets, sum, count); nothing before the first wait.
  void render(std::string& out) const;

 private:
  static constexpr std::size_t shards = 8;
  struct alignas(64) shard {
    std::array<std::atomic<uint64_t>, bounds_us.size() + 1> buckets{};
    std::atomic<uint64_t> sum_ns{0};
  };
  void register_renderer() noexcept;

  const char* name_;
  const char* help_;
  std::array<shard, shards> shards_{};
  std::atomic<bool> registered_{false};
};

}  // namespace gh::metrics
