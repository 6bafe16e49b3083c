// Per-worker name resolution with a small cache.
//
// IP literals never touch the resolver. Names go through Asio's asynchronous resolver
// (getaddrinfo on Asio's internal thread, so the worker never blocks) and are cached
// for `ttl`. One instance per worker; not thread-safe.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <string>
#include <unordered_map>
#include <vector>

namespace gh::upstream {

class resolver {
 public:
  using endpoints = std::vector<boost::asio::ip::tcp::endpoint>;
  explicit resolver(std::chrono::seconds ttl = std::chrono::seconds(30)) : ttl_(ttl) {}

  // Endpoints for host:port; an empty list with `ec` set on failure.
  boost::asio::awaitable<endpoints> resolve(const std::string& host, uint16_t port,
                                            boost::system::error_code& ec);

 private:
  struct cached {
    endpoints addresses;
    std::chrono::steady_clock::time_point expires;
  };
  std::chrono::seconds ttl_;
  std::unordered_map<std::string, cached> cache_;
};

}  // namespace gh::upstream
