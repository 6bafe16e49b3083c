// One worker thread: its event loop and everything it owns (thread-per-core).
//
// A worker accepts on its own SO_REUSEPORT listeners, serves connections as coroutines
// and keeps per-worker state that is never shared: upstream connection pools, the name
// cache, the deadline wheel, request-id generator and counters. The only shared inputs
// are the immutable config snapshot (polled by version) and the node settings.
#pragma once

#include "config/cidr.h"
#include "config/node_settings.h"
#include "core/buffer_pool.h"
#include "core/deadline_wheel.h"
#include "core/spare_string.h"
#include "server/snapshot.h"
#include "upstream/connection_pool.h"
#include "upstream/resolver.h"

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

namespace gh::metrics {
class proxy_metrics;
}
namespace gh::store {
class Store;
}

namespace gh::server {

// The node settings a worker needs, in the units it uses.
struct proxy_settings {
  std::chrono::milliseconds client_header_timeout{60000};
  std::chrono::milliseconds client_body_timeout{60000};
  std::chrono::milliseconds keepalive_timeout{60000};
  std::chrono::milliseconds send_timeout{60000};
  std::size_t max_header_size = 32 * 1024;
  std::size_t max_headers = 100;
  uint64_t max_body_size = 0;  // 0 = unlimited
  std::size_t upstream_pool_size = 1024;
  uint64_t upstream_max_requests = 10000;  // per pooled connection, then it is closed
  std::chrono::milliseconds upstream_idle_timeout{60000};
  config::cidr_set trusted_ips;
  std::string real_ip_header = "x-forwarded-for";
  bool real_ip_recursive = false;
  bool access_log = false;
  uint32_t kong_headers = config::kong_header::defaults;  // node setting `headers`
};

// Counters for /status, one set per worker, summed at read time.
struct worker_counters {
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> handled{0};
  std::atomic<uint64_t> requests{0};
  std::atomic<int64_t> active{0};
  std::atomic<int64_t> reading{0};
  std::atomic<int64_t> writing{0};
};

class worker {
 public:
  worker(unsigned index, const proxy_settings& settings, snapshot_holder& snapshots,
         metrics::proxy_metrics* metrics, std::shared_ptr<store::Store> store);

  unsigned index() const noexcept { return index_; }
  boost::asio::io_context& io() noexcept { return io_; }
  const proxy_settings& settings() const noexcept { return settings_; }
  deadline_wheel& wheel() noexcept { return wheel_; }
  // Upstream read buffers, lent per response (core/buffer_pool.h).
  buffer_pool& read_buffers() noexcept { return read_buffers_; }
  upstream::connection_pool& pool() noexcept { return pool_; }
  upstream::resolver& resolver() noexcept { return resolver_; }
  metrics::proxy_metrics* metrics() const noexcept { return metrics_; }
  store::Store* store() const noexcept { return store_.get(); }
  worker_counters& counters() noexcept { return counters_; }
  const worker_counters& counters() const noexcept { return counters_; }

  // The current snapshot (refreshed when a reload published a new one).
  const std::shared_ptr<const snapshot>& current_snapshot();
  // A new 32-hex-digit request id (Kong's format).
  std::string next_request_id();
  // Round-robin position for an upstream ring.
  std::size_t next_ring_index() noexcept { return ring_cursor_++; }

  // A buffered request body (a plugin asked for the whole body) is read into the previous
  // one's string: no allocation per request, and memory recently written. One spare per
  // worker, kept up to 1 MB so that a huge body does not stay pinned.
  std::string take_body_buffer() noexcept { return spare_body_.take(); }
  void give_body_buffer(std::string&& body) noexcept { spare_body_.give(std::move(body)); }

  bool draining() const noexcept { return draining_; }
  void start_draining() noexcept { draining_ = true; }

 private:
  unsigned index_;
  // Destruction order matters: pooled sockets go before the io_context, and coroutine
  // frames destroyed with the io_context still detach from the wheel and give their
  // buffers back.
  deadline_wheel wheel_;
  buffer_pool read_buffers_;
  boost::asio::io_context io_;
  upstream::connection_pool pool_;
  proxy_settings settings_;
  snapshot_holder& snapshots_;
  std::shared_ptr<const snapshot> snapshot_;
  uint64_t snapshot_version_ = 0;
  upstream::resolver resolver_;
  metrics::proxy_metrics* metrics_;
  std::shared_ptr<store::Store> store_;
  worker_counters counters_;
  uint64_t id_prefix_;
  uint64_t id_counter_ = 0;
  std::size_t ring_cursor_ = 0;
  spare_string spare_body_;  // up to 1 MB kept
  bool draining_ = false;
};

}  // namespace gh::server
