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
  uint64_t parts[2] = {id_prefix_, ++id_counter_ * 0x9E3779B97F4A7C15ull};
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
