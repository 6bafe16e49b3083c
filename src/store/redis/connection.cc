#include "store/redis/connection.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <random>

namespace gh::redis {
namespace {

using asio::ip::tcp;
using boost::system::error_code;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

milliseconds backoff_delay(int attempt) {
  // 50ms, 100ms, ... capped at 2s; jittered to [d/2, d] so many workers and nodes do not
  // reconnect in lockstep after Redis comes back.
  int64_t d = 50LL << std::min(attempt, 6);
  d = std::min<int64_t>(d, 2000);
  thread_local std::minstd_rand rng{std::random_device{}()};
  std::uniform_int_distribution<int64_t> dist(d / 2, d);
  return milliseconds(dist(rng));
}

bool is_ip_literal(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

struct connection::pending {
  explicit pending(const executor& ex) : timer(ex) {}
  asio::steady_timer timer;  // the call's deadline; cancelled to wake the caller
  std::vector<reply> replies;
  std::size_t expected = 1;
  error_code ec;
  bool done = false;
};

std::shared_ptr<connection> connection::create(executor ex, connection_options opts) {
  return std::make_shared<connection>(std::move(ex), std::move(opts));
}

connection::connection(executor ex, connection_options opts)
    : ex_(std::move(ex)), opts_(std::move(opts)), wake_(ex_), backoff_(ex_), deadline_(ex_) {}

connection::~connection() = default;

void connection::start() {
  if (state_ != state::idle) return;
  state_ = state::connecting;
  asio::co_spawn(
      ex_, [self = shared_from_this()]() { return self->run(); }, asio::detached);
}

tcp::socket& connection::lowest() { return tls_ ? tls_->next_layer() : *plain_; }

void connection::close_transport() {
  error_code ignored;
  if (plain_ || tls_) {
    lowest().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close(ignored);
  }
}

void connection::fail_all(error_code ec) {
  wbuf_.clear();
  auto fifo = std::move(fifo_);
  fifo_.clear();
  for (auto& p : fifo) {
    p->ec = ec;
    p->done = true;
    p->timer.cancel();
  }
}

void connection::reset() {
  if (state_ == state::closed) return;
  close_transport();
  backoff_.cancel();
}

void connection::close() {
  if (state_ == state::closed) return;
  state_ = state::closed;
  ++gen_;
  close_transport();
  backoff_.cancel();
  deadline_.cancel();
  wake_.cancel();
  fail_all(errc::closed);
}

awaitable<void> connection::run() {
  auto self = shared_from_this();
  int attempt = 0;
  bool was_up = false;
  while (state_ != state::closed) {
    state_ = state::connecting;
    error_code ec = co_await connect_once();
    if (state_ == state::closed) break;
    if (ec) {
      if (attempt == 0) {
        spdlog::warn("redis {}: connect failed: {}", endpoint_name_, ec.message());
      }
      close_transport();
      fail_all(ec);
      state_ = state::backoff;
      backoff_.expires_after(backoff_delay(attempt++));
      co_await backoff_.async_wait(use_tuple);
      continue;
    }
    if (was_up || attempt > 0) spdlog::info("redis {}: connected", endpoint_name_);
    attempt = 0;
    was_up = true;
    ++connects_;
    state_ = state::ready;
    last_read_ = std::chrono::steady_clock::now();
    asio::co_spawn(ex_, write_loop(gen_), asio::detached);
    ec = co_await read_loop();
    if (state_ == state::closed) break;
    spdlog::warn("redis {}: connection lost: {}", endpoint_name_, ec.message());
    ++gen_;
    close_transport();
    wake_.cancel();
    fail_all(errc::disconnected);
    // The first attempt after a drop is immediate; calls meanwhile queue (connecting).
  }
}

awaitable<error_code> connection::connect_once() {
  auto where = co_await opts_.resolve();
  if (!where) co_return where.error();
  endpoint_name_ = where->host + ":" + std::to_string(where->port);
  reader_ = std::make_unique<resp_reader>();
  tls_.reset();
  plain_.reset();
  if (opts_.tls) {
    tls_ = std::make_unique<asio::ssl::stream<tcp::socket>>(ex_, *opts_.ssl_ctx);
  } else {
    plain_ = std::make_unique<tcp::socket>(ex_);
  }

  // One deadline for resolve + connect + TLS + handshake: it closes the socket.
  // One deadline for connect + TLS + handshake: it closes the socket, which fails the
  // pending operation. `attempt` outlives this frame for a late-running expiry handler.
  struct attempt_state {
    bool over = false;
    bool fired = false;
  };
  auto attempt = std::make_shared<attempt_state>();
  deadline_.expires_after(opts_.timeout);
  deadline_.async_wait([self = weak_from_this(), attempt](error_code ec) {
    auto s = self.lock();
    if (ec || !s || attempt->over) return;
    attempt->fired = true;
    s->close_transport();
  });
  struct end_attempt {
    asio::steady_timer& t;
    std::shared_ptr<attempt_state> a;
    ~end_attempt() {
      a->over = true;
      t.cancel();
    }
  } guard{deadline_, attempt};
  const bool& timed_out = attempt->fired;

  tcp::resolver resolver(ex_);
  auto [rec, endpoints] =
      co_await resolver.async_resolve(where->host, std::to_string(where->port), use_tuple);
  if (rec) co_return rec;
  auto [cec, ep] = co_await asio::async_connect(lowest(), endpoints, use_tuple);
  if (cec) co_return timed_out ? error_code(errc::timeout) : cec;
  lowest().set_option(tcp::no_delay(true));

  if (tls_) {
    std::string name = opts_.server_name.empty() ? where->host : opts_.server_name;
    if (!is_ip_literal(name)) SSL_set_tlsext_host_name(tls_->native_handle(), name.c_str());
    if (opts_.tls_verify) {
      tls_->set_verify_mode(asio::ssl::verify_peer);
      tls_->set_verify_callback(asio::ssl::host_name_verification(name));
    } else {
      tls_->set_verify_mode(asio::ssl::verify_none);
    }
    auto [hec] = co_await tls_->async_handshake(asio::ssl::stream_base::client, use_tuple);
    if (hec) co_return timed_out ? error_code(errc::timeout) : hec;
  }

  std::string hs;
  std::size_t checked = 0;  // replies that must not be errors
  if (!opts_.password.empty()) {
    if (opts_.username.empty()) {
      command{"AUTH", opts_.password}.encode(hs);
    } else {
      command{"AUTH", opts_.username, opts_.password}.encode(hs);
    }
    ++checked;
  }
  if (opts_.database != 0) {
    command{"SELECT"}.arg(int64_t{opts_.database}).encode(hs);
    ++checked;
  }
  for (const auto& c : opts_.on_connect) c.encode(hs);
  std::size_t expected = checked + opts_.on_connect.size();
  if (expected == 0) co_return error_code{};

  auto [wec, wn] = co_await write_all(hs);
  if (wec) co_return timed_out ? error_code(errc::timeout) : wec;
  char buf[4096];
  std::size_t got = 0;
  while (got < expected) {
    reply r;
    auto st = reader_->next(r);
    if (st == resp_reader::status::error) co_return errc::protocol;
    if (st == resp_reader::status::ok) {
      if (r.is_error()) {
        // Never log the password; the server's message does not contain it.
        spdlog::error("redis {}: handshake refused: {}", endpoint_name_, r.str);
        co_return errc::handshake;
      }
      ++got;
      continue;
    }
    auto [rec2, n] = co_await read_some(buf, sizeof buf);
    if (rec2) co_return timed_out ? error_code(errc::timeout) : rec2;
    if (!reader_->feed(buf, n)) co_return errc::protocol;
  }
  co_return error_code{};
}

awaitable<std::tuple<error_code, std::size_t>> connection::write_all(const std::string& buf) {
  if (tls_) co_return co_await asio::async_write(*tls_, asio::buffer(buf), use_tuple);
  co_return co_await asio::async_write(*plain_, asio::buffer(buf), use_tuple);
}

awaitable<std::tuple<error_code, std::size_t>> connection::read_some(char* data, std::size_t n) {
  if (tls_) co_return co_await tls_->async_read_some(asio::buffer(data, n), use_tuple);
  co_return co_await plain_->async_read_some(asio::buffer(data, n), use_tuple);
}

awaitable<void> connection::write_loop(uint64_t gen) {
  auto self = shared_from_this();
  std::string out;
  while (gen == gen_ && state_ == state::ready) {
    if (wbuf_.empty()) {
      writer_idle_ = true;
      wake_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_.async_wait(use_tuple);
      writer_idle_ = false;
      continue;
    }
    out.clear();
    out.swap(wbuf_);  // everything queued so far goes out in one write
    auto [ec, n] = co_await write_all(out);
    if (ec) {
      if (gen == gen_) close_transport();  // the reader sees it and reconnects
      co_return;
    }
  }
}

awaitable<error_code> connection::read_loop() {
  // Replies already buffered during the handshake come first.
  if (!deliver()) co_return errc::protocol;
  std::vector<char> buf(16 * 1024);
  while (true) {
    auto [ec, n] = co_await read_some(buf.data(), buf.size());
    if (ec) co_return ec;
    last_read_ = std::chrono::steady_clock::now();
    if (!reader_->feed(buf.data(), n) || !deliver()) co_return errc::protocol;
  }
}

bool connection::deliver() {
  reply r;
  while (true) {
    auto st = reader_->next(r);
    if (st == resp_reader::status::incomplete) return true;
    if (st == resp_reader::status::error) return false;
    if (opts_.on_push) {
      opts_.on_push(std::move(r));
      continue;
    }
    if (fifo_.empty()) return false;  // a reply nobody asked for: out of sync
    auto& p = fifo_.front();
    p->replies.push_back(std::move(r));
    if (p->replies.size() == p->expected) {
      p->done = true;
      p->timer.cancel();
      fifo_.pop_front();
    }
  }
}

void connection::send(const command& cmd) {
  if (state_ == state::idle) start();
  if (state_ != state::ready) return;
  cmd.encode(wbuf_);
  if (writer_idle_) wake_.cancel();
}

awaitable<result<reply>> connection::exec(const command& cmd, milliseconds timeout) {
  auto r = co_await exec_many(std::span<const command>(&cmd, 1), timeout);
  if (!r) co_return r.error();
  co_return std::move(r->front());
}

awaitable<result<std::vector<reply>>> connection::exec_many(std::span<const command> cmds,
                                                            milliseconds timeout) {
  if (state_ == state::idle) start();
  if (state_ == state::closed) co_return errc::closed;
  if (state_ == state::backoff) co_return errc::unavailable;
  if (cmds.empty()) co_return std::vector<reply>{};
  auto self = shared_from_this();
  auto p = std::make_shared<pending>(ex_);
  p->expected = cmds.size();
  p->replies.reserve(cmds.size());
  for (const auto& c : cmds) c.encode(wbuf_);
  fifo_.push_back(p);
  if (state_ == state::ready && writer_idle_) wake_.cancel();

  milliseconds t = timeout.count() > 0 ? timeout : opts_.timeout;
  p->timer.expires_after(t);
  if (!p->done) co_await p->timer.async_wait(use_tuple);
  if (!p->done) {
    // The entry stays queued so later replies keep their places. If nothing at all was
    // read for a whole timeout, the server (or the path to it) is stuck: start over.
    auto idle = std::chrono::steady_clock::now() - last_read_;
    if (state_ == state::ready && idle >= t) {
      spdlog::warn("redis {}: no reply for {} ms, reconnecting", endpoint_name_, t.count());
      close_transport();
    }
    co_return errc::timeout;
  }
  if (p->ec) co_return p->ec;
  co_return std::move(p->replies);
}

}  // namespace gh::redis
