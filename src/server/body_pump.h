// Pulls body bytes through a message parser from a socket, one step at a time.
//
// Bytes already buffered are parsed first; only when the parser needs more does it read
// from the socket (with the given timeout on the worker's deadline wheel). Decoded body
// bytes land in parser.body for the caller to forward; nothing accumulates here.
#pragma once

#include "core/buffer_pool.h"
#include "core/deadline_wheel.h"
#include "http/message_parser.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <chrono>
#include <span>

namespace gh::server {

// Writes all of `buffers` under a deadline on the worker's wheel; the write's error, if
// any (`timer.expired()` then tells a timeout from a broken connection). The socket must
// be in non-blocking mode (sockets of the proxy are): as nginx and HAProxy do, the bytes
// are sent at once, and only what the kernel did not take waits in the reactor.
boost::asio::awaitable<boost::system::error_code> timed_write(
    boost::asio::ip::tcp::socket& socket, deadline_wheel::entry& timer,
    std::chrono::milliseconds timeout, std::span<const boost::asio::const_buffer> buffers);

// timed_write in two halves, for the per-request writes: write_now() sends what the
// kernel takes at once, with no coroutine frame; it returns true when nothing is left to
// do (all sent, or the write failed: `ec`) and false when `sent` bytes went and the rest
// must wait for write_rest().
bool write_now(boost::asio::ip::tcp::socket& socket,
               std::span<const boost::asio::const_buffer> buffers, std::size_t& sent,
               boost::system::error_code& ec) noexcept;
boost::asio::awaitable<boost::system::error_code> write_rest(
    boost::asio::ip::tcp::socket& socket, deadline_wheel::entry& timer,
    std::chrono::milliseconds timeout, std::span<const boost::asio::const_buffer> buffers,
    std::size_t sent);

// A connection waits for bytes in a small array of its own and borrows a read buffer from
// the worker's pool only once they are there (core/buffer_pool.h): returns a buffer
// holding the `n` bytes that arrived in `first` and, when they filled it, what the socket
// already has queued behind them, up to `read_size` in all (read at once: the socket is
// non-blocking; nothing queued, or an error, is met again by the next read).
buffer_pool::lease lend_with_first_bytes(buffer_pool& pool, boost::asio::ip::tcp::socket& socket,
                                         std::span<const char> first, std::size_t n,
                                         std::size_t read_size);

class body_pump {
 public:
  // Bytes asked of the kernel per read_more().
  static constexpr std::size_t read_size = 64 * 1024;

  body_pump(boost::asio::ip::tcp::socket& socket, deadline_wheel::entry& timer,
            boost::beast::flat_buffer& buffer, std::chrono::milliseconds timeout)
      : socket_(socket), timer_(timer), buffer_(buffer), timeout_(timeout) {}

  // Parses what is buffered without reading. False on a parse error.
  template <bool R>
  bool feed(http::message_parser<R>& p);
  // Makes progress: parses buffered bytes or reads more. False on error, timeout or a
  // connection closed before the message ended.
  template <bool R>
  boost::asio::awaitable<bool> read_more(http::message_parser<R>& p);
  // Reads up to `max` more bytes into the buffer without parsing them (bodies relayed in
  // place: message_parser::pass_body). False on error, timeout or end of connection.
  boost::asio::awaitable<bool> read_in_place(std::size_t max);
  bool timed_out() const noexcept { return timer_.expired(); }
  // The last failure was malformed input (as opposed to a closed or slow peer).
  bool parse_failed() const noexcept { return parse_failed_; }
  // The body went over the parser's body limit (client_max_body_size).
  bool too_large() const noexcept { return too_large_; }

 private:
  boost::asio::ip::tcp::socket& socket_;
  deadline_wheel::entry& timer_;
  boost::beast::flat_buffer& buffer_;
  std::chrono::milliseconds timeout_;
  bool parse_failed_ = false;
  bool too_large_ = false;
};

}  // namespace gh::server
