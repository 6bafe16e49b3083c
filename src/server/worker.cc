#include "server/worker.h"

#include <random>

namespace gh::server {

worker::worker(unsigned index, const proxy_settings& settings, snapshot_holder& snapshots,
               metrics::proxy_metrics* metrics, std::shared_ptr<store::Store> store)
    : index_(index),
      io_(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO),
      pool_(settings.upstream_pool_size, settings.upstream_idle_timeout),
      settings_(settings),
      snapshots_(snapshots),
      metrics_(metrics),
      store_(std::move(store)) {
  std::random_device rd;
  id_prefix_ = (uint64_t(rd()) << 32) ^ rd() ^ (uint64_t(index) << 56);
}

const std::shared_ptr<const snapshot>& worker::current_snapshot() {
  uint64_t v = snapshots_.version();
  if (v != snapshot_version_) {
    snapshot_ = snapshots_.current();
    snapshot_version_ = snapshot_ ? snapshot_->version : 0;
  }
  return snapshot_;
}

std::string worker::next_request_id() {
  static constexpr char hex[] = "0123456789abcdef";
  // splitmix64 of a per-worker random start plus a counter: unique per worker (a
  // bijection of the counter) and not guessable from the previous id.
  auto mix = [](uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  ++id_counter_;
  uint64_t parts[2] = {mix(id_prefix_ + id_counter_ * 0x9E3779B97F4A7C15ull) ^ index_,
                       mix(~id_prefix_ + id_counter_)};
  std::string out(32, '0');
  for (int p = 0; p < 2; ++p) {
    uint64_t v = parts[p];
    for (int i = 15; i >= 0; --i) {
      out[p * 16 + i] = hex[v & 0xF];
      v >>= 4;
    }
  }
  return out;
}

}  // namespace gh::server
