#include "store/embedded/memory_shard.h"

namespace gh::store::embedded {

namespace {
constexpr int64_t sweep_interval_ms = 100;
constexpr std::size_t sweep_budget = 64;
}  // namespace

entry* memory_shard::find(const hashed_key& key, int64_t now) {
  auto it = map_.find(key);
  if (it == map_.end()) return nullptr;
  if (it->second.expires_at != 0 && it->second.expires_at <= now) {
    erase_it(it);
    return nullptr;
  }
  return &it->second;
}

entry& memory_shard::upsert(const hashed_key& key, int64_t now, bool& created,
                            std::size_t value_bytes) {
  if (entry* e = find(key, now)) {
    created = false;
    return *e;
  }
  const std::size_t need = key.key.size() + entry_overhead + value_bytes;
  while (!map_.empty() &&
         (map_.size() + 1 > limits_.max_entries || bytes_ + need > limits_.max_bytes)) {
    evict_one();
  }
  created = true;
  bytes_ += key.key.size() + entry_overhead;  // the value is accounted when it is stored
  return map_.try_emplace(std::string(key.key)).first->second;
}

void memory_shard::set_expiry(const hashed_key& key, entry& e, int64_t at) {
  if (e.expires_at == at) return;
  if (e.expires_at != 0) expiry_.erase(e.expiry_pos);
  e.expires_at = at;
  if (at != 0) {
    auto it = map_.find(key);
    e.expiry_pos = expiry_.emplace(at, &it->first);
  }
}

void memory_shard::value_resized(std::size_t old_size, std::size_t new_size) {
  bytes_ = bytes_ - old_size + new_size;
}

bool memory_shard::erase(std::string_view key) {
  auto it = map_.find(key);
  if (it == map_.end()) return false;
  erase_it(it);
  return true;
}

void memory_shard::erase_it(map_type::iterator it) {
  if (it->second.expires_at != 0) expiry_.erase(it->second.expiry_pos);
  bytes_ -= it->first.size() + it->second.value.size() + entry_overhead;
  map_.erase(it);
}

void memory_shard::evict_one() {
  // Soonest expiry first: a counter about to roll over is worth the least. Without any
  // TTL'd entry, the first in hash order goes.
  map_type::iterator victim =
      expiry_.empty() ? map_.begin() : map_.find(*expiry_.begin()->second);
  erase_it(victim);
  ++evictions_;
}

std::size_t memory_shard::sweep(int64_t now, std::size_t budget) {
  std::size_t n = 0;
  while (n < budget && !expiry_.empty() && expiry_.begin()->first <= now) {
    erase_it(map_.find(*expiry_.begin()->second));
    ++n;
  }
  return n;
}

void memory_shard::maybe_sweep(int64_t now) {
  if (now < next_sweep_) return;
  next_sweep_ = now + sweep_interval_ms;
  sweep(now, sweep_budget);
}

}  // namespace gh::store::embedded
