#include "store/embedded/embedded_store.h"

#include "store/embedded/window_counting.h"

#include <boost/container/static_vector.hpp>
#include <boost/system/errc.hpp>

#include <algorithm>
#include <charconv>

namespace gh::store {

using embedded::entry;
using embedded::entry_kind;
using embedded::memory_shard;
using boost::container::static_vector;

namespace {

boost::system::error_code errc_code(boost::system::errc::errc_t e) {
  return boost::system::errc::make_error_code(e);
}

int64_t expiry_for(int64_t now, milliseconds ttl) {
  return ttl.count() > 0 ? now + ttl.count() : 0;
}

// A value entry becomes a counter when it holds a decimal integer (Redis INCR semantics).
bool as_integer(const entry& e, int64_t& out) {
  switch (e.kind) {
    case entry_kind::counter:
    case entry_kind::window:
      out = e.count;
      return true;
    case entry_kind::value: {
      const char* b = e.value.data();
      const char* end = b + e.value.size();
      auto [p, ec] = std::from_chars(b, end, out);
      return ec == std::errc() && p == end;
    }
  }
  return false;
}

void make_value(memory_shard& s, entry& e, std::string_view value) {
  s.value_resized(e.value.size(), value.size());
  e.kind = entry_kind::value;
  e.value.assign(value);
  e.count = e.previous = e.window_start = 0;
}

void make_numeric(memory_shard& s, entry& e, entry_kind kind) {
  if (!e.value.empty()) {
    s.value_resized(e.value.size(), 0);
    std::string().swap(e.value);
  }
  e.kind = kind;
}

}  // namespace

embedded_store::embedded_store(embedded_options options) : options_(std::move(options)) {
  const unsigned n = std::max(1u, options_.shards);
  embedded::shard_limits per_shard{std::max<std::size_t>(1, options_.max_entries / n),
                                   std::max<std::size_t>(1024, options_.max_bytes / n)};
  shards_.reserve(n);
  for (unsigned i = 0; i < n; ++i) {
    shards_.push_back(std::make_unique<memory_shard>(per_shard));
  }
}

embedded_store::~embedded_store() = default;

int64_t embedded_store::now() const {
  if (options_.clock) return options_.clock();
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

unsigned embedded_store::shard_of(const embedded::hashed_key& key) const noexcept {
  // Mix the hash so that the map inside the shard (same hash) stays well spread.
  uint64_t h = key.hash;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return static_cast<unsigned>(h % shards_.size());
}

// ---- plain calls -------------------------------------------------------------------

result<int64_t> embedded_store::incr_now(std::string_view key, int64_t delta,
                                         milliseconds ttl) {
  const int64_t t = now();
  memory_shard& s = shard_for(key);
  std::lock_guard lock(s.mu);
  s.maybe_sweep(t);
  bool created = false;
  entry& e = s.upsert(key, t, created);
  int64_t current = 0;
  if (!created && !as_integer(e, current)) {
    return errc_code(boost::system::errc::invalid_argument);
  }
  make_numeric(s, e, entry_kind::counter);
  e.count = current + delta;
  if (created) s.set_expiry(key, e, expiry_for(t, ttl));
  return e.count;
}

result<limit_result> embedded_store::limit_now(std::span<const window_spec> windows,
                                               int64_t cost, window_algorithm algorithm,
                                               int64_t now_ms) {
  if (cost < 0 || windows.size() > max_windows) {
    return errc_code(boost::system::errc::invalid_argument);
  }
  // Called for every rate-limited request: each key is hashed once (or not at all when
  // the caller kept its hash), each entry found once, and the bookkeeping stays on the
  // stack (at most max_windows windows).
  struct window_slot {
    embedded::hashed_key key;
    unsigned shard;
    entry* found;  // the live entry seen by the check, or nullptr
    embedded::window_check check;
  };
  static_vector<window_slot, max_windows> slots;
  // The shards to lock, each once, in ascending order: atomic across windows and free of
  // deadlocks with concurrent calls on overlapping keys. Kept sorted as they come (a few).
  static_vector<unsigned, max_windows> order;
  for (const auto& w : windows) {
    embedded::hashed_key key(w);
    const unsigned shard = shard_of(key);
    slots.push_back({key, shard, nullptr, {}});
    auto at = std::lower_bound(order.begin(), order.end(), shard);
    if (at == order.end() || *at != shard) order.insert(at, shard);
  }
  static_vector<std::unique_lock<std::mutex>, max_windows> locks;
  for (unsigned i : order) locks.emplace_back(shards_[i]->mu);

  // Expiry follows the caller's clock here, so that windows and TTLs agree.
  const int64_t t = now_ms;
  bool admitted = true;
  for (std::size_t i = 0; i < windows.size(); ++i) {
    window_slot& s = slots[i];
    s.found = shards_[s.shard]->find(s.key, t);
    s.check = embedded::check_window(s.found, windows[i], cost, algorithm, now_ms);
    admitted = admitted && s.check.room;
  }

  if (admitted) {
    // Entries seen by the check first (their pointers are valid until something is
    // created or evicted), then the windows that have none yet.
    for (bool existing : {true, false}) {
      for (window_slot& s : slots) {
        if ((s.found != nullptr) != existing) continue;
        memory_shard& sh = *shards_[s.shard];
        entry* e = s.found;
        if (e == nullptr) {
          bool created = false;
          e = &sh.upsert(s.key, t, created);
        }
        make_numeric(sh, *e, entry_kind::window);
        e->window_start = s.check.window_start;
        e->count = s.check.count;
        e->previous = s.check.previous;
        sh.set_expiry(s.key, *e, s.check.expires_at);
      }
    }
  }

  limit_result out;
  out.admitted = admitted;
  out.windows.reserve(windows.size());
  for (std::size_t i = 0; i < windows.size(); ++i) {
    const auto& c = slots[i].check;
    out.windows.push_back({windows[i].limit,
                           admitted ? c.remaining_if_counted : c.remaining_if_not,
                           milliseconds(c.reset_ms)});
  }
  for (unsigned i : order) shards_[i]->maybe_sweep(t);
  return out;
}

std::optional<std::string> embedded_store::get_now(std::string_view key) {
  const int64_t t = now();
  memory_shard& s = shard_for(key);
  std::lock_guard lock(s.mu);
  s.maybe_sweep(t);
  const entry* e = s.find(key, t);
  if (e == nullptr) return std::nullopt;
  if (e->kind == entry_kind::value) return e->value;
  return std::to_string(e->count);
}

result<void> embedded_store::set_now(std::string_view key, std::string_view value,
                                     milliseconds ttl) {
  const std::size_t per_shard_bytes = std::max<std::size_t>(1024, options_.max_bytes / shards_.size());
  if (key.size() + value.size() + memory_shard::entry_overhead > per_shard_bytes) {
    return errc_code(boost::system::errc::value_too_large);
  }
  const int64_t t = now();
  memory_shard& s = shard_for(key);
  std::lock_guard lock(s.mu);
  s.maybe_sweep(t);
  s.erase(key);  // re-created below, so that the caps see the new value's size
  bool created = false;
  entry& e = s.upsert(key, t, created, value.size());
  make_value(s, e, value);
  s.set_expiry(key, e, expiry_for(t, ttl));
  return {};
}

bool embedded_store::set_if_absent_now(std::string_view key, std::string_view value,
                                       milliseconds ttl) {
  const int64_t t = now();
  memory_shard& s = shard_for(key);
  std::lock_guard lock(s.mu);
  s.maybe_sweep(t);
  if (s.find(key, t) != nullptr) return false;
  bool created = false;
  entry& e = s.upsert(key, t, created, value.size());
  make_value(s, e, value);
  s.set_expiry(key, e, expiry_for(t, ttl));
  return true;
}

bool embedded_store::compare_and_delete_now(std::string_view key, std::string_view expected) {
  const int64_t t = now();
  memory_shard& s = shard_for(key);
  std::lock_guard lock(s.mu);
  const entry* e = s.find(key, t);
  if (e == nullptr || e->kind != entry_kind::value || e->value != expected) return false;
  return s.erase(key);
}

void embedded_store::del_now(std::string_view key) {
  memory_shard& s = shard_for(key);
  std::lock_guard lock(s.mu);
  s.erase(key);
}

void embedded_store::append_events_now(std::string_view stream,
                                       std::span<const event_fields> events,
                                       std::size_t max_len) {
  const std::size_t cap = std::max<std::size_t>(1, std::min(max_len, options_.max_stream_len));
  std::lock_guard lock(streams_mu_);
  auto it = streams_.find(stream);
  if (it == streams_.end()) it = streams_.try_emplace(std::string(stream)).first;
  stream_ring& ring = it->second;
  for (const auto& ev : events) {
    ring.events.push_back(ev);
    ++ring.appended;
  }
  while (ring.events.size() > cap) ring.events.pop_front();
}

std::vector<Store::event_fields> embedded_store::tail(std::string_view stream,
                                                      std::size_t n) const {
  std::lock_guard lock(streams_mu_);
  auto it = streams_.find(stream);
  if (it == streams_.end()) return {};
  const auto& ev = it->second.events;
  const std::size_t from = ev.size() > n ? ev.size() - n : 0;
  return {ev.begin() + static_cast<std::ptrdiff_t>(from), ev.end()};
}

uint64_t embedded_store::appended(std::string_view stream) const {
  std::lock_guard lock(streams_mu_);
  auto it = streams_.find(stream);
  return it == streams_.end() ? 0 : it->second.appended;
}

std::size_t embedded_store::sweep_expired() {
  const int64_t t = now();
  std::size_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard lock(s->mu);
    n += s->sweep(t, static_cast<std::size_t>(-1));
  }
  return n;
}

embedded_stats embedded_store::stats() const {
  embedded_stats st;
  for (const auto& s : shards_) {
    std::lock_guard lock(s->mu);
    st.entries += s->size();
    st.bytes += s->bytes();
    st.evictions += s->evictions();
  }
  return st;
}

// ---- Store interface ---------------------------------------------------------------

awaitable<result<int64_t>> embedded_store::incr(std::string_view key, int64_t delta,
                                                milliseconds ttl) {
  co_return incr_now(key, delta, ttl);
}

awaitable<result<limit_result>> embedded_store::limit(std::span<const window_spec> windows,
                                                      int64_t cost, window_algorithm algorithm,
                                                      int64_t now_ms) {
  co_return limit_now(windows, cost, algorithm, now_ms);
}

awaitable<result<std::optional<std::string>>> embedded_store::get(std::string_view key) {
  co_return get_now(key);
}

awaitable<result<std::vector<std::optional<std::string>>>> embedded_store::get_many(
    std::span<const std::string> keys) {
  std::vector<std::optional<std::string>> out;
  out.reserve(keys.size());
  for (const auto& k : keys) out.push_back(get_now(k));
  co_return out;
}

awaitable<result<void>> embedded_store::set(std::string_view key, std::string_view value,
                                            milliseconds ttl) {
  co_return set_now(key, value, ttl);
}

awaitable<result<bool>> embedded_store::set_if_absent(std::string_view key,
                                                      std::string_view value, milliseconds ttl) {
  co_return set_if_absent_now(key, value, ttl);
}

awaitable<result<bool>> embedded_store::compare_and_delete(std::string_view key,
                                                           std::string_view expected) {
  co_return compare_and_delete_now(key, expected);
}

awaitable<result<void>> embedded_store::del(std::string_view key) {
  del_now(key);
  co_return result<void>{};
}

awaitable<result<void>> embedded_store::append_events(std::string_view stream,
                                                      std::span<const event_fields> events,
                                                      std::size_t max_len) {
  append_events_now(stream, events, max_len);
  co_return result<void>{};
}

}  // namespace gh::store
