// rate-limiting `sync_rate` (Kong): counting on the node, synchronised with Redis every
// `sync_rate` seconds instead of one Redis round trip per request.
//
// One local_counts per plugin instance and node, shared by the node's workers (a mutex
// around a small map; held for a few lookups). A request is admitted against the node's
// view of each window: the count Redis returned at the last sync plus what this node
// admitted since. A window the node does not know yet (first request of a client, a new
// window) is asked of the store synchronously with the exact limit() and then seeded
// from its answer. Every interval one coroutine pushes the pending hits of all windows
// with Store::add_counts (one script per slot, one round trip on standalone/Sentinel) and
// reads the shared counts back. Over-admission bound (docs/plugins/rate-limiting.md): a
// node does not see what other nodes admitted since their last push and its last read, at
// most 2 intervals of their traffic, so with N nodes one window admits at most
// limit + (N - 1) x (hits one node admits in 2 x sync_rate), and never more than N x limit.
// A failed push keeps the hits pending (retried next interval); while Redis is down, known
// windows keep being counted locally.
#pragma once

#include "store/store.h"

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>

namespace gh::plugins::rate_limiting {

class local_counts : public std::enable_shared_from_this<local_counts> {
 public:
  local_counts(std::shared_ptr<store::Store> store, std::chrono::milliseconds interval);

  // Admission of `cost` hits against the local view (fixed windows). nullopt when some
  // window is not known here yet: then ask the store's limit() and seed() its answer.
  std::optional<store::limit_result> try_admit(std::span<const store::window_spec> windows,
                                               int64_t cost, int64_t now_ms);
  // Records the store's answer for `windows` (already counted in the store).
  void seed(std::span<const store::window_spec> windows, const store::limit_result& r,
            int64_t now_ms);

  // Starts the sync loop on `ex` (the first caller's worker); later calls do nothing.
  void start(const boost::asio::any_io_executor& ex);
  // The plugin is gone: the loop pushes what is pending once more and ends.
  void retire() noexcept;

  // One sync: pushes the pending hits, reads the shared counts back, forgets windows
  // that ended or were not used for a while. Called by the loop; public for tests.
  store::awaitable<store::result<void>> sync(int64_t now_ms);

  std::size_t size() const;

 private:
  struct entry {
    store::window_spec spec;
    int64_t shared = 0;     // the count in the store at the last sync (or seed)
    int64_t in_flight = 0;  // admitted here, being pushed by the running sync
    int64_t pending = 0;    // admitted here, not pushed yet
    int64_t stop_ms = 0;    // the window's end
    int64_t used_ms = 0;    // last request that counted here
  };
  static store::awaitable<void> loop(std::shared_ptr<local_counts> self);

  std::shared_ptr<store::Store> store_;
  std::chrono::milliseconds interval_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, entry> entries_;
  std::atomic<bool> started_{false};
  std::atomic<bool> retired_{false};
  int64_t last_error_log_ms_ = 0;  // the loop's only
};

}  // namespace gh::plugins::rate_limiting
