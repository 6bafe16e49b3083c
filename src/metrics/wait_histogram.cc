#include "metrics/wait_histogram.h"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>

#include "metrics/proxy_metrics.h"

namespace gh::metrics {
namespace {

std::size_t thread_shard(std::size_t shards) noexcept {
  static std::atomic<std::size_t> next{0};
  thread_local const std::size_t mine = next.fetch_add(1, std::memory_order_relaxed);
  return mine % shards;
}

}  // namespace

void wait_histogram::record(std::chrono::steady_clock::duration waited) noexcept {
  if (!registered_.load(std::memory_order_acquire)) register_renderer();
  const auto ns = static_cast<uint64_t>(
      std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::nanoseconds>(waited).count()));
  // The first bound at or above the wait (`le`): microseconds rounded up, so 50.2 us is
  // not counted under 50 us.
  const uint64_t us = (ns + 999) / 1000;
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(bounds_us.begin(), bounds_us.end(), us) - bounds_us.begin());
  shard& s = shards_[thread_shard(shards)];
  s.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  s.sum_ns.fetch_add(ns, std::memory_order_relaxed);
}

void wait_histogram::register_renderer() noexcept {
  static std::mutex mu;
  proxy_metrics* m = process_metrics();
  if (m == nullptr) return;  // no server (unit tests): nothing to register with
  std::lock_guard lock(mu);
  if (registered_.load(std::memory_order_relaxed)) return;
  m->add_renderer([this](std::string& out) { render(out); });
  registered_.store(true, std::memory_order_release);
}

void wait_histogram::render(std::string& out) const {
  std::array<uint64_t, bounds_us.size() + 1> buckets{};
  uint64_t sum_ns = 0;
  for (const shard& s : shards_) {
    for (std::size_t i = 0; i < buckets.size(); ++i)
      buckets[i] += s.buckets[i].load(std::memory_order_relaxed);
    sum_ns += s.sum_ns.load(std::memory_order_relaxed);
  }
  uint64_t count = 0;  // the +Inf bucket: consistent with the others even mid-update
  for (uint64_t b : buckets) count += b;
  if (count == 0) return;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "# HELP {} {}\n# TYPE {} histogram\n", name_, help_, name_);
  uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds_us.size(); ++i) {
    cumulative += buckets[i];
    fmt::format_to(it, "{}_bucket{{le=\"{}\"}} {}\n", name_, bounds_us[i] / 1e6, cumulative);
  }
  fmt::format_to(it, "{}_bucket{{le=\"+Inf\"}} {}\n{}_sum {}\n{}_count {}\n", name_, count, name_,
                 static_cast<double>(sum_ns) / 1e9, name_, count);
}

}  // namespace gh::metrics
