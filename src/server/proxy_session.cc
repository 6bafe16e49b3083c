#include "server/proxy_session.h"

#include "core/read_readiness.h"
#include "http/message_parser.h"
#include "http/wire.h"
#include "plugin/context.h"
#include "server/body_pump.h"
#include "server/request_log.h"
#include "server/upstream_exchange.h"
#include "server/worker.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>

#include <array>
#include <limits>
#include <tuple>

namespace gh::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;
// Asynchronous operations awaited directly (deferred): no coroutine frame per I/O, which
// use_awaitable would allocate for each read and write.
constexpr auto use_tuple = asio::as_tuple(asio::deferred);
// Bytes asked of the kernel per read of a request head.
constexpr std::size_t kHeadRead = 8192;
// When a request's first read filled the session's small array, the bytes after it are
// read into a lent buffer at once, up to this many: a request with a body (a 40 KB JSON
// POST) then arrives in two reads, not three (array, head buffer, body). The lent buffers
// already hold 128 KB for upstream responses (upstream_exchange.cc), so this costs no
// memory.
constexpr std::size_t kFirstTopUp = 64 * 1024;

namespace {

// Kong accepts an incoming X-Request-Id only when it is a sane token; anything else is
// replaced, so a client cannot inject into logs.
bool acceptable_request_id(std::string_view v) {
  if (v.empty() || v.size() > 200) return false;
  for (char c : v) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  }
  return true;
}

std::string host_without_port(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    auto end = host.find(']');
    return to_lower(host.substr(0, end == std::string_view::npos ? host.size() : end + 1));
  }
  auto colon = host.rfind(':');
  return to_lower(colon == std::string_view::npos ? host : host.substr(0, colon));
}

class session {
 public:
  session(worker& w, tcp::socket socket) : w_(w), sock_(std::move(socket)) {
    timer_.attach(w_.wheel(), sock_);
    boost::system::error_code ec;
    auto remote = sock_.remote_endpoint(ec);
    if (!ec) {
      remote_ip_ = remote.address().to_string();
      remote_address_ = remote.address();
      remote_port_ = remote.port();
      peer_trusted_ = w_.settings().trusted_ips.contains(remote_address_);
    }
    auto local = sock_.local_endpoint(ec);
    if (!ec) local_port_ = std::to_string(local.port());
  }

  asio::awaitable<void> run() {
    // A guard, so that a connection ended by an exception (logged by the acceptor) still
    // leaves the active count right and a drain does not wait for it.
    struct active_guard {
      worker_counters& c;
      explicit active_guard(worker_counters& counters) : c(counters) {
        c.active.fetch_add(1, std::memory_order_relaxed);
      }
      ~active_guard() { c.active.fetch_sub(1, std::memory_order_relaxed); }
    } guard(w_.counters());
    bool keep_alive = true;
    while (keep_alive && !w_.draining()) {
      keep_alive = co_await serve_one();
      if (buf_ && buf_->size() == 0) buf_.reset();  // idle: wait for the next request with no buffer
    }
    boost::system::error_code ec;
    sock_.shutdown(tcp::socket::shutdown_send, ec);
    if (linger_) co_await linger();
    sock_.close(ec);
  }

 private:
  // Reads one request head. Returns 0 when a request is ready, -1 when the client went
  // away quietly, or the status to answer a refused request with.
  asio::awaitable<int> read_head(http::request_parser& p) {
    const auto& s = w_.settings();
    p.header_limit(static_cast<std::uint32_t>(s.max_header_size));
    p.body_limit(s.max_body_size ? s.max_body_size : std::numeric_limits<uint64_t>::max());
    bool first = true;
    for (;;) {
      if (buffered() > 0) {
        std::size_t used = 0;
        int r = parse_head_bytes(p, buf_->data(), used);
        buf_->consume(used);
        if (r != kNeedMore) co_return r;
        if (buf_->size() > s.max_header_size) co_return p.method.empty() ? 414 : 431;
      }
      bool idle = buffered() == 0 && first;
      if (idle && w_.draining()) co_return -1;
      timer_.expires_after(idle ? s.keepalive_timeout : s.client_header_timeout);
      timer_.set_idle(idle);
      w_.counters().reading.fetch_add(1, std::memory_order_relaxed);
      boost::system::error_code ec;
      std::size_t n = 0;
      const bool into_array = !buf_;
      if (into_array) {
        std::tie(ec, n) = co_await sock_.async_read_some(asio::buffer(first_bytes_), use_tuple);
        note_read(sock_, n, first_bytes_.size());
      } else {
        std::tie(ec, n) = co_await sock_.async_read_some(buf_->prepare(kHeadRead), use_tuple);
        note_read(sock_, n, kHeadRead);
        if (!ec) buf_->commit(n);
      }
      w_.counters().reading.fetch_sub(1, std::memory_order_relaxed);
      timer_.clear();
      timer_.set_idle(false);
      if (ec) {
        if (timer_.expired() && buffered() > 0) co_return 408;
        co_return -1;
      }
      first = false;
      if (!into_array) continue;
      // Nothing was buffered: the request was awaited in the session's small array. A
      // head that arrived whole there is parsed in place and needs no buffer; otherwise a
      // read buffer is borrowed (core/buffer_pool.h) for the bytes the parser has not
      // used, with what more the socket already holds when they filled the array.
      auto pool = [&](std::size_t from) {
        buf_ = lend_with_first_bytes(w_.read_buffers(), sock_, std::span(first_bytes_).subspan(from),
                                     n - from, kFirstTopUp);
      };
      if (n < first_bytes_.size()) {
        std::size_t used = 0;
        int r = parse_head_bytes(p, asio::buffer(first_bytes_.data(), n), used);
        if (r > 0) co_return r;
        if (r == 0) {
          if (used < n) pool(used);  // body bytes or a pipelined request
          co_return 0;
        }
      }
      pool(0);
    }
  }

  static constexpr int kNeedMore = -2;

  // Parses request head bytes: 0 when the head is complete, kNeedMore, or the status to
  // refuse the request with. `used` bytes were taken (the rest must be presented again).
  int parse_head_bytes(http::request_parser& p, asio::const_buffer bytes, std::size_t& used) {
    // obs-fold is refused by message_parser::put (bad_value -> 400 below).
    beast::error_code ec;
    used = p.put(bytes, ec);
    head_bytes_ += used;
    if (!ec && p.is_header_done()) return 0;
    if (ec && ec != beast::http::error::need_more) {
      if (p.refusal() == http::parse_refusal::too_many_fields) return 431;
      if (ec == beast::http::error::header_limit) return p.method.empty() ? 414 : 431;
      if (ec == beast::http::error::body_limit) return 413;  // client_max_body_size
      return 400;
    }
    return kNeedMore;
  }

  // nginx's lingering close: after answering early, read and drop what the client still
  // sends (bounded in time and bytes) so that closing does not reset the connection
  // before the client read the answer.
  asio::awaitable<void> linger() {
    std::array<char, 16384> sink;
    std::size_t total = 0;
    timer_.expires_after(std::chrono::milliseconds(2000));
    while (total < 4 * 1024 * 1024) {
      auto [ec, n] = co_await sock_.async_read_some(asio::buffer(sink), use_tuple);
      if (ec) break;
      total += n;
    }
    timer_.clear();
  }

  std::size_t buffered() const noexcept { return buf_ ? buf_->size() : 0; }

  exchange_io io() {
    return exchange_io{w_, sock_, timer_, buf_ ? *buf_ : no_bytes_, out_, local_port_, peer_trusted_};
  }

  asio::awaitable<bool> send_error(int status, std::string_view message, const std::string& request_id,
                                   bool close) {
    std::string body = plugin::kong_error_body(message, request_id);
    auto x = io();
    co_return co_await send_local_response(x, status, body, Headers{}, request_id, close, false);
  }

  asio::awaitable<bool> serve_one() {
    http::request_parser p(w_.settings().max_headers);
    head_bytes_ = 0;
    int refused = co_await read_head(p);
    if (refused < 0) co_return false;
    // A body to read is read into the session's buffer, lent now if the head came alone,
    // so that bytes read past the body stay for the next request. Without one, an empty
    // buffer goes back before the upstream is waited on (at 1,000 connections nearly
    // every request waits), and the exchange sees the session's empty no_bytes_.
    if (p.chunked() || p.content_length.value_or(0) > 0) {
      if (!buf_) buf_ = w_.read_buffers().take();
    } else if (buffered() == 0) {
      buf_.reset();
    }
    auto request_id = w_.next_request_id();
    if (refused > 0) {
      co_return co_await send_error(refused, http::kong_default_message(refused), request_id, true);
    }
    if (!p.validate_head()) {
      int status = p.refusal() == http::parse_refusal::too_many_fields ? 431 : 400;
      co_return co_await send_error(status, http::kong_default_message(status), request_id, true);
    }
    w_.counters().requests.fetch_add(1, std::memory_order_relaxed);

    const auto& snap = w_.current_snapshot();
    std::shared_ptr<const snapshot> pinned = snap;  // the request keeps its snapshot alive
    plugin::Context ctx;
    ctx.started_at = std::chrono::steady_clock::now();
    ctx.bytes_in = head_bytes_;  // Kong's request_length counts the head too
    ctx.worker_index = w_.index();
    ctx.store = w_.store();
    if (auto id = p.headers.get("x-request-id"); id && acceptable_request_id(*id)) {
      ctx.request_id = std::string(*id);
    } else {
      ctx.request_id = std::move(request_id);
    }
    if (!fill_request(p, ctx)) {
      co_return co_await send_error(400, "Bad request", ctx.request_id, true);
    }
    auto x = io();
    auto outcome = co_await proxy_request(x, *pinned, p, ctx);
    linger_ = outcome.linger;
    log_request(w_, ctx, outcome);
    if (ctx.req.body_buffered) w_.give_body_buffer(std::move(ctx.req.body));
    co_return outcome.keep_alive;
  }

  // Method, target, host, client address; the headers move into ctx.
  bool fill_request(http::request_parser& p, plugin::Context& ctx) {
    auto& req = ctx.req;
    req.method = std::move(p.method);
    std::string_view target = p.target;
    if (target.starts_with("http://") || target.starts_with("https://")) {
      // absolute-form: the authority replaces Host, as RFC 9112 3.2.2 says
      auto scheme_end = target.find("://") + 3;
      auto path_start = target.find('/', scheme_end);
      auto authority = target.substr(scheme_end, path_start == std::string_view::npos ? std::string_view::npos
                                                                                         : path_start - scheme_end);
      p.headers.set("Host", authority);
      target = path_start == std::string_view::npos ? std::string_view("/") : target.substr(path_start);
    }
    if (target.empty() || target.front() != '/') return false;
    auto q = target.find('?');
    req.path.assign(target.substr(0, q));
    if (q != std::string_view::npos) req.query.assign(target.substr(q + 1));
    req.headers = std::move(p.headers);
    auto host = req.headers.get("host");
    req.host = host ? host_without_port(*host) : std::string();
    req.content_length = p.content_length;
    req.chunked = p.chunked();
    req.remote_addr = remote_ip_;
    req.remote_port = remote_port_;
    req.client_ip = remote_ip_;
    const auto& s = w_.settings();
    if (peer_trusted_) {
      // nginx realip: the last address of the header; with real_ip_recursive, the last
      // one that is not itself a trusted proxy.
      if (auto fwd = req.headers.get(s.real_ip_header)) {
        std::string_view rest = *fwd;
        while (!rest.empty()) {
          auto last = rest.rfind(',');
          auto candidate = rest.substr(last == std::string_view::npos ? 0 : last + 1);
          rest = last == std::string_view::npos ? std::string_view() : rest.substr(0, last);
          while (!candidate.empty() && candidate.front() == ' ') candidate.remove_prefix(1);
          while (!candidate.empty() && candidate.back() == ' ') candidate.remove_suffix(1);
          boost::system::error_code ec;
          auto addr = asio::ip::make_address(std::string(candidate), ec);
          if (ec) break;
          req.client_ip = addr.to_string();
          if (!s.real_ip_recursive || !s.trusted_ips.contains(addr)) break;
        }
      }
    }
    return true;
  }

  worker& w_;
  tcp::socket sock_;
  deadline_wheel::entry timer_;
  buffer_pool::lease buf_;  // client bytes read and not yet used; none while idle
  beast::flat_buffer no_bytes_;  // the exchange's client buffer for a request without body: stays empty
  std::array<char, 2048> first_bytes_;  // where a request's first bytes are awaited
  std::string out_;
  bool linger_ = false;
  uint64_t head_bytes_ = 0;
  std::string remote_ip_;
  asio::ip::address remote_address_;
  uint16_t remote_port_ = 0;
  bool peer_trusted_ = false;
  std::string local_port_;
};

}  // namespace

asio::awaitable<void> serve_proxy_connection(worker& w, tcp::socket socket) {
  socket.set_option(tcp::no_delay(true));
  socket.non_blocking(true);  // timed_write sends at once and never waits in the kernel
  session s(w, std::move(socket));
  co_await s.run();
}

}  // namespace gh::server
