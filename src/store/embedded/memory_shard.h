// One shard of the embedded store: a hash map with its own lock, expiry index and caps.
//
// embedded_store splits its key space over N of these by key hash, so workers touching
// different keys never share a lock. A shard never takes another shard's lock; the only
// multi-shard operation (embedded_store::limit) locks shards in ascending index order.
// All methods except the constructor require `mu` to be held by the caller.
//
// Memory is bounded per shard (max entries, max bytes). Expired entries go lazily (on
// access) and by an incremental sweep that every operation may trigger; when a new entry
// would exceed a cap, the entry closest to expiry is evicted first (for counters it is the
// least valuable one), then — only if no entry has a TTL — an arbitrary one.
#pragma once

#include "store/store.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace gh::store::embedded {

// A key with its hash computed once: embedded_store hashes a key a single time per call,
// for the shard choice and the lookup inside the shard alike.
struct hashed_key {
  std::string_view key;
  std::size_t hash;
  explicit hashed_key(std::string_view k) noexcept : key(k), hash(hash_key(k)) {}
  // A window_spec's key, with the hash its caller kept (window_spec::key_hash) when set.
  explicit hashed_key(const window_spec& w) noexcept
      : key(w.key), hash(w.key_hash != 0 ? w.key_hash : hash_key(w.key)) {}
};

struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return hash_key(s); }
  std::size_t operator()(const hashed_key& k) const noexcept { return k.hash; }
};

struct string_eq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
  bool operator()(const hashed_key& a, std::string_view b) const noexcept { return a.key == b; }
  bool operator()(std::string_view a, const hashed_key& b) const noexcept { return a == b.key; }
};

enum class entry_kind : uint8_t { value, counter, window };

struct entry {
  entry_kind kind = entry_kind::value;
  int64_t count = 0;         // counter value, or hits in the current window
  int64_t previous = 0;      // sliding windows: hits in the previous window
  int64_t window_start = 0;  // windows: start (wall ms) of the window `count` belongs to
  std::string value;         // kind == value
  int64_t expires_at = 0;    // wall ms; 0 = never
  std::multimap<int64_t, const std::string*>::iterator expiry_pos{};
};

struct shard_limits {
  std::size_t max_entries = 0;
  std::size_t max_bytes = 0;
};

class memory_shard {
 public:
  explicit memory_shard(shard_limits limits) : limits_(limits) {}
  memory_shard(const memory_shard&) = delete;
  memory_shard& operator=(const memory_shard&) = delete;

  std::mutex mu;

  // The live entry for `key`, or nullptr (an expired entry is removed on the way).
  entry* find(const hashed_key& key, int64_t now);
  entry* find(std::string_view key, int64_t now) { return find(hashed_key(key), now); }
  // The entry for `key`, created (empty value, no TTL) when absent or expired; may evict
  // others to stay under the caps, counting `value_bytes` the caller is about to store.
  // `created` tells which.
  entry& upsert(const hashed_key& key, int64_t now, bool& created, std::size_t value_bytes = 0);
  entry& upsert(std::string_view key, int64_t now, bool& created, std::size_t value_bytes = 0) {
    return upsert(hashed_key(key), now, created, value_bytes);
  }
  // Sets (at > 0) or clears (at == 0) the entry's expiry.
  void set_expiry(const hashed_key& key, entry& e, int64_t at);
  void set_expiry(std::string_view key, entry& e, int64_t at) {
    set_expiry(hashed_key(key), e, at);
  }
  // Re-accounts the bytes of an entry whose value changed size.
  void value_resized(std::size_t old_size, std::size_t new_size);
  bool erase(std::string_view key);
  // Removes up to `budget` expired entries; returns how many went.
  std::size_t sweep(int64_t now, std::size_t budget);
  // Sweeps a little when the last sweep is older than the sweep interval.
  void maybe_sweep(int64_t now);

  std::size_t size() const noexcept { return map_.size(); }
  std::size_t bytes() const noexcept { return bytes_; }
  uint64_t evictions() const noexcept { return evictions_; }

  // Rough per-entry overhead in bytes (map node, expiry node, bookkeeping).
  static constexpr std::size_t entry_overhead = 128;

 private:
  using map_type = std::unordered_map<std::string, entry, string_hash, string_eq>;
  void erase_it(map_type::iterator it);
  void evict_one();

  shard_limits limits_;
  map_type map_;
  std::multimap<int64_t, const std::string*> expiry_;
  std::size_t bytes_ = 0;
  uint64_t evictions_ = 0;
  int64_t next_sweep_ = 0;
};

}  // namespace gh::store::embedded
