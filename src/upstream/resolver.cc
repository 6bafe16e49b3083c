#include "upstream/resolver.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace gh::upstream {

namespace asio = boost::asio;

asio::awaitable<resolver::endpoints> resolver::resolve(const std::string& host, uint16_t port,
                                                       boost::system::error_code& ec) {
  ec = {};
  std::string h = host;
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  auto literal = asio::ip::make_address(h, ec);
  if (!ec) co_return endpoints{asio::ip::tcp::endpoint(literal, port)};
  ec = {};

  std::string key = h + ":" + std::to_string(port);
  auto now = std::chrono::steady_clock::now();
  if (auto it = cache_.find(key); it != cache_.end() && it->second.expires > now) {
    co_return it->second.addresses;
  }
  asio::ip::tcp::resolver r(co_await asio::this_coro::executor);
  auto [rec, results] = co_await r.async_resolve(h, std::to_string(port),
                                                 asio::as_tuple(asio::use_awaitable));
  if (rec) {
    ec = rec;
    co_return endpoints{};
  }
  endpoints out;
  for (const auto& e : results) out.push_back(e.endpoint());
  if (out.empty()) {
    ec = asio::error::host_not_found;
    co_return out;
  }
  cache_[key] = cached{out, now + ttl_};
  co_return out;
}

}  // namespace gh::upstream
