#include "server/body_pump.h"

#include "core/read_readiness.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <cstring>
#include <vector>

namespace gh::server {

namespace asio = boost::asio;
namespace beast = boost::beast;

bool write_now(asio::ip::tcp::socket& socket, std::span<const asio::const_buffer> buffers,
               std::size_t& sent, boost::system::error_code& ec) noexcept {
  // A head, or a head with a small body, fits in the socket's send buffer: one sendmsg,
  // no trip through the reactor and no completion to schedule.
  sent = socket.write_some(buffers, ec);
  if (ec == asio::error::would_block) {
    ec = {};
    sent = 0;
    return false;
  }
  return ec || sent == asio::buffer_size(buffers);
}

asio::awaitable<boost::system::error_code> write_rest(asio::ip::tcp::socket& socket,
                                                      deadline_wheel::entry& timer,
                                                      std::chrono::milliseconds timeout,
                                                      std::span<const asio::const_buffer> buffers,
                                                      std::size_t sent) {
  std::vector<asio::const_buffer> rest;
  for (const auto& b : buffers) {
    if (sent >= b.size()) {
      sent -= b.size();
      continue;
    }
    rest.push_back(b + sent);
    sent = 0;
  }
  timer.expires_after(timeout);
  auto [ec, n] = co_await asio::async_write(socket, rest, asio::as_tuple(asio::deferred));
  timer.clear();
  co_return ec;
}

asio::awaitable<boost::system::error_code> timed_write(asio::ip::tcp::socket& socket,
                                                       deadline_wheel::entry& timer,
                                                       std::chrono::milliseconds timeout,
                                                       std::span<const asio::const_buffer> buffers) {
  std::size_t sent = 0;
  boost::system::error_code ec;
  if (write_now(socket, buffers, sent, ec)) co_return ec;
  co_return co_await write_rest(socket, timer, timeout, buffers, sent);
}

buffer_pool::lease lend_with_first_bytes(buffer_pool& pool, asio::ip::tcp::socket& socket,
                                         std::span<const char> first, std::size_t n,
                                         std::size_t read_size) {
  auto buf = pool.take();
  auto space = buf->prepare(std::max(read_size, n));
  std::memcpy(space.data(), first.data(), n);
  if (n == first.size() && space.size() > n) {
    boost::system::error_code ignored;
    auto more = socket.read_some(space + n, ignored);
    note_read(socket, more, space.size() - n);
    n += more;
  }
  buf->commit(n);
  return buf;
}

template <bool R>
bool body_pump::feed(http::message_parser<R>& p) {
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
  auto [ec, n] = co_await socket_.async_read_some(buffer_.prepare(read_size),
                                                  asio::as_tuple(asio::deferred));
  timer_.clear();
  note_read(socket_, n, read_size);
  if (ec == asio::error::eof && p.need_eof()) {
    beast::error_code pec;
    p.put_eof(pec);
    co_return !pec;
  }
  if (ec) co_return false;
  buffer_.commit(n);
  co_return feed(p);
}

asio::awaitable<bool> body_pump::read_in_place(std::size_t max) {
  timer_.expires_after(timeout_);
  auto [ec, n] = co_await socket_.async_read_some(buffer_.prepare(max), asio::as_tuple(asio::deferred));
  timer_.clear();
  note_read(socket_, n, max);
  if (ec) co_return false;
  buffer_.commit(n);
  co_return true;
}

template bool body_pump::feed(http::message_parser<true>&);
template bool body_pump::feed(http::message_parser<false>&);
template asio::awaitable<bool> body_pump::read_more(http::message_parser<true>&);
template asio::awaitable<bool> body_pump::read_more(http::message_parser<false>&);

}  // namespace gh::server
