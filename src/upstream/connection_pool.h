// Per-worker pools of idle keep-alive connections to upstream servers.
//
// One pool per worker thread, keyed by "host:port" of the connected endpoint; never
// shared, so no locks. A connection taken from the pool is exclusively the caller's
// until it is given back after a complete, reusable response. Idle connections past the
// idle timeout are dropped on take and by sweep().
#pragma once

#include "core/deadline_wheel.h"

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gh::upstream {

struct connection {
  explicit connection(const boost::asio::any_io_executor& ex) : socket(ex) {}
  boost::asio::ip::tcp::socket socket;
  deadline_wheel::entry timer;
  std::string pool_key;
  std::chrono::steady_clock::time_point idle_since{};
  uint64_t requests = 0;  // requests served on this connection so far
};

class connection_pool {
 public:
  connection_pool(std::size_t max_idle_per_key, std::chrono::milliseconds idle_timeout)
      : max_idle_per_key_(max_idle_per_key), idle_timeout_(idle_timeout) {}

  // An idle connection for `key`, or null.
  std::unique_ptr<connection> take(std::string_view key);
  // Keeps `conn` for reuse (or closes it when the pool for its key is full).
  void give_back(std::unique_ptr<connection> conn);
  // Closes idle connections older than the idle timeout.
  void sweep();
  void close_all();
  std::size_t idle_count() const;

 private:
  struct key_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::size_t max_idle_per_key_;
  std::chrono::milliseconds idle_timeout_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<connection>>, key_hash,
                     std::equal_to<>>
      idle_;
};

}  // namespace gh::upstream
