// The one asynchronous interface for state that plugins share across workers and nodes.
//
// Rate-limit counters, masking maps, locks, cache entries and events all go through a
// Store. Two implementations: `embedded` (in-process, one node, the default) and `redis`
// (standalone, Sentinel, Cluster). Plugins hold a std::shared_ptr<Store> from their
// snapshot and never talk to Redis themselves. Every call is a coroutine on the calling
// worker's executor; an implementation that does not wait (embedded) simply returns.
// Errors are values (boost::system::result), never exceptions: the caller decides whether
// to fail open or closed.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/container/static_vector.hpp>
#include <boost/system/errc.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gh::store {

template <class T>
using result = boost::system::result<T>;
using boost::asio::awaitable;
using std::chrono::milliseconds;

enum class window_algorithm { fixed, sliding };

// The hash the embedded store files `key` under (std::hash). A caller that keeps a
// window_spec across calls sets window_spec::key_hash to it once, and the store does not
// hash the key again for every call.
inline std::size_t hash_key(std::string_view key) noexcept {
  return std::hash<std::string_view>{}(key);
}

// One limit to check: `limit` hits per `window`, counted under `key`.
struct window_spec {
  std::string key;
  int64_t limit = 0;
  milliseconds window{0};
  // Fixed windows only: the window's start in wall-clock ms, for calendar periods (month,
  // year) whose length varies. -1 = aligned to multiples of `window` since the epoch.
  int64_t start_ms = -1;
  // hash_key(key), or 0 when not computed (the store then hashes the key itself).
  std::size_t key_hash = 0;
};

struct window_state {
  int64_t limit = 0;
  int64_t remaining = 0;      // after this hit; when not admitted: the room left without
                              // it (0 for a window that refused)
  milliseconds reset{0};      // until the window (or enough of it) frees a slot
};

// The most windows one limit() call takes: one per Kong period. A call with more is
// refused (invalid_argument), so that an answer, returned for every rate-limited request,
// needs no heap.
inline constexpr std::size_t max_windows = 6;

struct limit_result {
  bool admitted = false;  // every window had room, and all were counted
  boost::container::static_vector<window_state, max_windows> windows;  // specs' order
};

class Store {
 public:
  virtual ~Store() = default;

  // Atomically adds `delta` to the integer at `key` (absent = 0) and returns the new
  // value. A key created by this call expires after `ttl` (0 = never).
  virtual awaitable<result<int64_t>> incr(std::string_view key, int64_t delta,
                                          milliseconds ttl) = 0;

  // Exact admission across several windows at once: when every window has room for
  // `cost` more hits, all are counted and admitted=true; otherwise nothing is counted.
  // `now_ms` is wall-clock milliseconds (windows align to it, as Kong's periods do).
  virtual awaitable<result<limit_result>> limit(std::span<const window_spec> windows,
                                                int64_t cost, window_algorithm algorithm,
                                                int64_t now_ms) = 0;

  // limit() as a plain call, for a store that answers without waiting (embedded): a
  // caller with nothing else to wait for then needs no coroutine frame and no await per
  // request (rate-limiting's policy local). Only when limits_without_waiting() is true.
  virtual bool limits_without_waiting() const noexcept { return false; }
  virtual result<limit_result> limit_now(std::span<const window_spec> windows, int64_t cost,
                                         window_algorithm algorithm, int64_t now_ms) {
    (void)windows, (void)cost, (void)algorithm, (void)now_ms;
    return boost::system::errc::make_error_code(boost::system::errc::operation_not_supported);
  }

  // Fixed windows counted by the caller (rate-limiting's sync_rate: a node admits against
  // its local view and pushes what it admitted every interval): adds deltas[i] to the count
  // of windows[i] without checking limits (0 = only read) and returns every count after, in
  // one round trip per slot. The entries are limit()'s, so both may be used on one key.
  // Only a store shared by nodes needs it; the default says it is not supported.
  virtual awaitable<result<std::vector<int64_t>>> add_counts(
      std::span<const window_spec> windows, std::span<const int64_t> deltas, int64_t now_ms) {
    (void)windows, (void)deltas, (void)now_ms;
    co_return boost::system::errc::make_error_code(boost::system::errc::operation_not_supported);
  }

  virtual awaitable<result<std::optional<std::string>>> get(std::string_view key) = 0;
  // Values for many keys in one round trip; missing keys give nullopt.
  virtual awaitable<result<std::vector<std::optional<std::string>>>> get_many(
      std::span<const std::string> keys) = 0;
  virtual awaitable<result<void>> set(std::string_view key, std::string_view value,
                                      milliseconds ttl) = 0;
  // Sets `key` only when absent (a lock, or a first writer wins). True when set.
  virtual awaitable<result<bool>> set_if_absent(std::string_view key, std::string_view value,
                                                milliseconds ttl) = 0;
  // Deletes `key` only if it still holds `expected` (releasing a lock). True when deleted.
  virtual awaitable<result<bool>> compare_and_delete(std::string_view key,
                                                     std::string_view expected) = 0;
  virtual awaitable<result<void>> del(std::string_view key) = 0;

  // Appends events to a stream (Redis Streams semantics: capped at about `max_len`).
  using event_fields = std::vector<std::pair<std::string, std::string>>;
  virtual awaitable<result<void>> append_events(std::string_view stream,
                                                std::span<const event_fields> events,
                                                std::size_t max_len) = 0;

  // "embedded" or "redis", for logs and /status.
  virtual std::string_view kind() const noexcept = 0;
};

}  // namespace gh::store
