// The embedded Store: in-process state shared by every worker thread of one node.
//
// The default store (see store.h). The key space is split over N shards by key hash,
// each with its own mutex, hash map, expiry index and share of the memory caps, so
// workers contend only when they touch keys of the same shard, and never on a global
// lock. Every operation completes immediately; the awaitable wrappers exist so that the
// embedded and the Redis store are interchangeable.
//
// limit() is atomic across all windows of one call: it locks the shards of all the
// windows' keys in ascending shard order (no deadlock, whatever the keys), checks every
// window, and counts in all of them or in none. Fixed windows start at multiples of their
// length since the epoch, or at window_spec::start_ms for calendar periods. Sliding
// windows use the two-bucket estimate: hits(previous bucket) * (remaining fraction of the
// current bucket) + hits(current bucket); admission compares that estimate exactly
// (integer arithmetic), so the estimate never exceeds the limit; it may admit up to the
// limit in any window of length `window` only under the assumption that the previous
// bucket's hits were spread evenly (see docs/plugins/rate-limiting.md).
//
// Memory: entries expire (lazily on access plus an incremental sweep every ~100 ms of
// activity per shard, and sweep_expired() for a timer); the caps (max_entries,
// max_bytes, split evenly over shards) evict soonest-to-expire entries first. Streams
// (append_events) are capped rings kept for tests and `events tail`; they are not
// shared across nodes.
#pragma once

#include "store/embedded/memory_shard.h"
#include "store/store.h"

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace gh::store {

struct embedded_options {
  unsigned shards = 64;
  std::size_t max_entries = 1'000'000;
  std::size_t max_bytes = 256u * 1024 * 1024;
  // Upper bound of any stream's length, whatever max_len the caller asks for.
  std::size_t max_stream_len = 10'000;
  // Wall-clock milliseconds used for TTLs (limit() takes its own `now_ms`). Tests inject
  // a fake clock; empty = std::chrono::system_clock.
  std::function<int64_t()> clock;
};

struct embedded_stats {
  std::size_t entries = 0;
  std::size_t bytes = 0;
  uint64_t evictions = 0;
};

class embedded_store final : public Store {
 public:
  explicit embedded_store(embedded_options options = {});
  ~embedded_store() override;

  // Store interface (each completes without waiting).
  awaitable<result<int64_t>> incr(std::string_view key, int64_t delta,
                                  milliseconds ttl) override;
  awaitable<result<limit_result>> limit(std::span<const window_spec> windows, int64_t cost,
                                        window_algorithm algorithm, int64_t now_ms) override;
  awaitable<result<std::optional<std::string>>> get(std::string_view key) override;
  awaitable<result<std::vector<std::optional<std::string>>>> get_many(
      std::span<const std::string> keys) override;
  awaitable<result<void>> set(std::string_view key, std::string_view value,
                              milliseconds ttl) override;
  awaitable<result<bool>> set_if_absent(std::string_view key, std::string_view value,
                                        milliseconds ttl) override;
  awaitable<result<bool>> compare_and_delete(std::string_view key,
                                             std::string_view expected) override;
  awaitable<result<void>> del(std::string_view key) override;
  awaitable<result<void>> append_events(std::string_view stream,
                                        std::span<const event_fields> events,
                                        std::size_t max_len) override;
  std::string_view kind() const noexcept override { return "embedded"; }

  // The same operations as plain calls, for code that is not a coroutine.
  result<int64_t> incr_now(std::string_view key, int64_t delta, milliseconds ttl);
  bool limits_without_waiting() const noexcept override { return true; }
  result<limit_result> limit_now(std::span<const window_spec> windows, int64_t cost,
                                 window_algorithm algorithm, int64_t now_ms) override;
  std::optional<std::string> get_now(std::string_view key);
  result<void> set_now(std::string_view key, std::string_view value, milliseconds ttl);
  bool set_if_absent_now(std::string_view key, std::string_view value, milliseconds ttl);
  bool compare_and_delete_now(std::string_view key, std::string_view expected);
  void del_now(std::string_view key);
  void append_events_now(std::string_view stream, std::span<const event_fields> events,
                         std::size_t max_len);

  // The last `n` events of a stream, oldest first, and how many were ever appended.
  std::vector<event_fields> tail(std::string_view stream, std::size_t n) const;
  uint64_t appended(std::string_view stream) const;

  // Removes every expired entry (call from a timer; operations also sweep as they go).
  std::size_t sweep_expired();
  embedded_stats stats() const;
  unsigned shard_count() const noexcept { return static_cast<unsigned>(shards_.size()); }
  unsigned shard_of(std::string_view key) const noexcept {
    return shard_of(embedded::hashed_key(key));
  }

 private:
  struct stream_ring {
    std::deque<event_fields> events;
    uint64_t appended = 0;
  };

  int64_t now() const;
  unsigned shard_of(const embedded::hashed_key& key) const noexcept;
  embedded::memory_shard& shard_for(std::string_view key) noexcept {
    return *shards_[shard_of(key)];
  }

  embedded_options options_;
  std::vector<std::unique_ptr<embedded::memory_shard>> shards_;
  mutable std::mutex streams_mu_;
  std::unordered_map<std::string, stream_ring, embedded::string_hash, std::equal_to<>> streams_;
};

}  // namespace gh::store
