// One multiplexed, pipelined connection to one Redis server, on one executor.
//
// Any number of calls may be in flight at once: each call appends its encoded command to
// a write buffer (the writer coalesces everything queued into one write) and a pending
// entry to a FIFO that the reader completes in order. Nothing is checked out per request.
// Every call has a timeout; a timed-out call stays in the FIFO (its reply is discarded when
// it arrives) so replies never shift. The connection (re)connects by itself: AUTH and
// SELECT on every connect, TLS with verification and SNI, reconnect with exponential
// backoff and jitter; while backing off, calls fail fast with errc::unavailable instead
// of queueing. A connection given an `on_push` handler is a Pub/Sub connection: every
// reply goes to the handler and calls are not allowed (use `send`).
// Thread safety: none. Create, call and close a connection on its executor's thread only;
// the registry (registry.h) gives each worker thread its own.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "store/redis/config.h"
#include "store/redis/reply.h"

namespace gh::redis {

namespace asio = boost::asio;
using asio::awaitable;
using executor = asio::any_io_executor;
template <class T>
using result = boost::system::result<T>;
using std::chrono::milliseconds;

// Where to connect on the next attempt (fixed for standalone; asked of Sentinel).
using endpoint_resolver = std::function<awaitable<result<host_port>>()>;
using push_handler = std::function<void(reply&&)>;

struct connection_options {
  endpoint_resolver resolve;
  std::string username;
  std::string password;
  int database = 0;
  milliseconds timeout{2000};
  bool tls = false;
  bool tls_verify = false;
  std::string server_name;                      // SNI / verified name; default: the host
  std::shared_ptr<asio::ssl::context> ssl_ctx;  // required when tls
  std::vector<command> on_connect;  // after AUTH/SELECT on every connect; one reply each
  push_handler on_push;             // set: Pub/Sub connection
};

class connection : public std::enable_shared_from_this<connection> {
 public:
  static std::shared_ptr<connection> create(executor ex, connection_options opts);
  connection(executor ex, connection_options opts);  // use create()
  ~connection();

  // One command. `timeout` 0 = the connection's timeout.
  awaitable<result<reply>> exec(const command& cmd, milliseconds timeout = milliseconds{0});
  // Several commands written back to back (nothing interleaves), one reply each.
  awaitable<result<std::vector<reply>>> exec_many(std::span<const command> cmds,
                                                  milliseconds timeout = milliseconds{0});
  // Starts connecting now rather than at the first call.
  void start();
  // Fire and forget (Pub/Sub connections). Dropped when not connected.
  void send(const command& cmd);
  // Drops the current connection now; the next attempt re-resolves the endpoint.
  void reset();
  // Stops for good; in-flight calls complete with errc::closed.
  void close();

  bool ready() const noexcept { return state_ == state::ready; }
  uint64_t connects() const noexcept { return connects_; }
  std::size_t in_flight() const noexcept { return fifo_.size(); }
  const executor& get_executor() const noexcept { return ex_; }

 private:
  enum class state { idle, connecting, ready, backoff, closed };
  struct pending;

  awaitable<void> run();
  awaitable<boost::system::error_code> connect_once();
  awaitable<boost::system::error_code> read_loop();
  awaitable<void> write_loop(uint64_t gen);
  awaitable<std::tuple<boost::system::error_code, std::size_t>> write_all(const std::string& buf);
  awaitable<std::tuple<boost::system::error_code, std::size_t>> read_some(char* data,
                                                                          std::size_t n);
  bool deliver();  // completes pending calls from parsed replies; false on protocol error
  void fail_all(boost::system::error_code ec);
  void close_transport();
  asio::ip::tcp::socket& lowest();

  executor ex_;
  connection_options opts_;
  state state_ = state::idle;
  uint64_t gen_ = 0;  // bumps on every drop, so stale loops stop
  uint64_t connects_ = 0;
  std::string endpoint_name_;
  std::unique_ptr<asio::ip::tcp::socket> plain_;
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket>> tls_;
  std::unique_ptr<resp_reader> reader_;
  std::deque<std::shared_ptr<pending>> fifo_;
  std::string wbuf_;
  asio::steady_timer wake_;      // the idle writer waits here
  asio::steady_timer backoff_;   // between attempts
  asio::steady_timer deadline_;  // connect + handshake timeout
  bool writer_idle_ = false;
  std::chrono::steady_clock::time_point last_read_{};
};

}  // namespace gh::redis
