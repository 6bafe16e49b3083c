#include "plugins/rate-limiting/local_counts.h"

#include "plugins/rate-limiting/periods.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <vector>

namespace gh::plugins::rate_limiting {

namespace asio = boost::asio;

namespace {

// A window nobody asked about for this long is forgotten (its next request seeds it
// again from the store) rather than read back every interval.
constexpr int64_t forget_after_ms = 10'000;
constexpr int64_t error_log_interval_ms = 10'000;

}  // namespace

local_counts::local_counts(std::shared_ptr<store::Store> store, std::chrono::milliseconds interval)
    : store_(std::move(store)), interval_(interval) {}

std::optional<store::limit_result> local_counts::try_admit(
    std::span<const store::window_spec> windows, int64_t cost, int64_t now_ms) {
  // rate-limiting asks for at most store::max_windows windows (second..year).
  if (windows.size() > store::max_windows) return std::nullopt;
  std::array<entry*, store::max_windows> found{};
  std::lock_guard lock(mu_);
  bool room = true;
  for (std::size_t i = 0; i < windows.size(); ++i) {
    auto it = entries_.find(windows[i].key);
    if (it == entries_.end()) return std::nullopt;
    found[i] = &it->second;
    const entry& e = it->second;
    if (e.shared + e.in_flight + e.pending + cost > windows[i].limit) room = false;
  }
  // The same answers as the store's limit() for fixed windows.
  store::limit_result r;
  r.admitted = room;
  r.windows.reserve(windows.size());
  for (std::size_t i = 0; i < windows.size(); ++i) {
    entry& e = *found[i];
    const int64_t limit = windows[i].limit;
    const int64_t current = e.shared + e.in_flight + e.pending;
    int64_t remaining;
    if (room) {
      e.pending += cost;
      e.used_ms = now_ms;
      remaining = std::max<int64_t>(0, limit - current - cost);
    } else {
      remaining = current + cost <= limit ? std::max<int64_t>(0, limit - current) : 0;
    }
    r.windows.push_back({limit, remaining, std::chrono::milliseconds(std::max<int64_t>(
                                               0, e.stop_ms - now_ms))});
  }
  return r;
}

void local_counts::seed(std::span<const store::window_spec> windows, const store::limit_result& r,
                        int64_t now_ms) {
  if (r.windows.size() != windows.size()) return;
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < windows.size(); ++i) {
    const store::window_spec& w = windows[i];
    // The store's remaining is limit - count after this call, or 0 for a full window: a
    // lower bound of the count, made exact by the next sync.
    const int64_t count = std::max<int64_t>(0, w.limit - r.windows[i].remaining);
    auto [it, inserted] = entries_.try_emplace(w.key);
    entry& e = it->second;
    if (inserted) {
      e.spec = w;
      e.stop_ms = w.start_ms + w.window.count();
    }
    e.shared = std::max(e.shared, count);
    e.used_ms = now_ms;
  }
}

store::awaitable<store::result<void>> local_counts::sync(int64_t now_ms) {
  std::vector<store::window_spec> specs;
  std::vector<int64_t> deltas;
  {
    std::lock_guard lock(mu_);
    specs.reserve(entries_.size());
    deltas.reserve(entries_.size());
    for (auto it = entries_.begin(); it != entries_.end();) {
      entry& e = it->second;
      // Hits of an ended window no longer matter: the key expires in Redis too.
      if (e.stop_ms <= now_ms || (e.pending == 0 && now_ms - e.used_ms > forget_after_ms)) {
        it = entries_.erase(it);
        continue;
      }
      e.in_flight = e.pending;
      e.pending = 0;
      specs.push_back(e.spec);
      deltas.push_back(e.in_flight);
      ++it;
    }
  }
  if (specs.empty()) co_return store::result<void>{};
  auto counts = co_await store_->add_counts(specs, deltas, now_ms);
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < specs.size(); ++i) {
    auto it = entries_.find(specs[i].key);
    if (it == entries_.end()) continue;  // only sync() erases, so this does not happen
    entry& e = it->second;
    if (counts) {
      // Counts only grow within a window; max() also keeps a seed that raced this read.
      e.shared = std::max(e.shared, (*counts)[i]);
    } else {
      e.pending += e.in_flight;  // pushed again next time (a push that timed out after
                                 // Redis applied it is counted twice: never under-counted)
    }
    e.in_flight = 0;
  }
  if (!counts) co_return counts.error();
  co_return store::result<void>{};
}

store::awaitable<void> local_counts::loop(std::shared_ptr<local_counts> self) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (true) {
    timer.expires_after(self->interval_);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    const bool last = self->retired_.load(std::memory_order_acquire);
    const int64_t now = wall_clock_ms();
    auto r = co_await self->sync(now);
    if (!r && now - self->last_error_log_ms_ >= error_log_interval_ms) {
      self->last_error_log_ms_ = now;
      spdlog::error("rate-limiting: sync_rate: could not push local counts: {} (kept and "
                    "retried every interval; logged at most every {} s)",
                    r.error().message(), error_log_interval_ms / 1000);
    }
    if (last) co_return;
  }
}

void local_counts::start(const boost::asio::any_io_executor& ex) {
  if (started_.load(std::memory_order_relaxed) || started_.exchange(true)) return;
  asio::co_spawn(ex, loop(shared_from_this()), asio::detached);
}

void local_counts::retire() noexcept { retired_.store(true, std::memory_order_release); }

std::size_t local_counts::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace gh::plugins::rate_limiting
