#include "server/body_pump.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/error.hpp>

namespace gh::server {

namespace asio = boost::asio;
namespace beast = boost::beast;

template <bool R>
bool body_pump::feed(http::message_parser<R>& p) {
  p.eager(true);
  while (buffer_.size() > 0 && !p.is_done()) {
    beast::error_code ec;
    auto used = p.put(buffer_.data(), ec);
    buffer_.consume(used);
    if (ec == beast::http::error::need_more) return true;
    if (ec) {
      parse_failed_ = true;
      too_large_ = ec == beast::http::error::body_limit;
      return false;
    }
    if (used == 0) return true;
  }
  return true;
}

template <bool R>
asio::awaitable<bool> body_pump::read_more(http::message_parser<R>& p) {
  if (buffer_.size() > 0) {
    auto before = buffer_.size();
    if (!feed(p)) co_return false;
    if (p.is_done() || buffer_.size() != before) co_return true;
  }
  timer_.expires_after(timeout_);
  auto [ec, n] = co_await socket_.async_read_some(buffer_.prepare(65536),
                                                  asio::as_tuple(asio::use_awaitable));
  timer_.clear();
  if (ec == asio::error::eof && p.need_eof()) {
    beast::error_code pec;
    p.put_eof(pec);
    co_return !pec;
  }
  if (ec) co_return false;
  buffer_.commit(n);
  co_return feed(p);
}

template bool body_pump::feed(http::message_parser<true>&);
template bool body_pump::feed(http::message_parser<false>&);
template asio::awaitable<bool> body_pump::read_more(http::message_parser<true>&);
template asio::awaitable<bool> body_pump::read_more(http::message_parser<false>&);

}  // namespace gh::server
