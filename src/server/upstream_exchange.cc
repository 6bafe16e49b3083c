#include "server/upstream_exchange.h"

#include "core/read_readiness.h"
#include "http/wire.h"
#include "plugin/chain.h"
#include "router/route_table.h"
#include "router/uri.h"
#include "server/body_pump.h"
#include "server/snapshot.h"
#include "server/worker.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/container/small_vector.hpp>

#include <spdlog/spdlog.h>

#include <array>
#include <charconv>
#include <limits>
#include <optional>
#include <span>

namespace gh::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;
using namespace std::chrono;
// Asynchronous operations awaited directly (deferred): no coroutine frame per I/O, which
// use_awaitable would allocate for each read and write.
constexpr auto use_tuple = asio::as_tuple(asio::deferred);

asio::awaitable<bool> send_local_response(exchange_io& io, int status, std::string_view body,
                                          const Headers& extra, const std::string& request_id,
                                          bool close, bool head_only, int64_t latency_ms) {
  const uint32_t kong = io.w.settings().kong_headers;
  auto& out = io.out;
  out.clear();
  http::append_status_line(out, status);
  bool has_type = false;
  for (const auto& f : extra) {
    if (iequals(f.name, "content-length") || iequals(f.name, "transfer-encoding") ||
        iequals(f.name, "connection"))
      continue;
    if (iequals(f.name, "content-type")) has_type = true;
    http::append_field(out, f);
  }
  if (!has_type && !body.empty())
    http::append_field(out, "Content-Type", "application/json; charset=utf-8");
  if (!http::status_has_no_body(status))
    http::append_field(out, "Content-Length", std::to_string(body.size()));
  if (kong & config::kong_header::response_latency)
    http::append_field(out, "X-Kong-Response-Latency", std::to_string(latency_ms));
  if (!request_id.empty()) {
    if (kong & config::kong_header::request_id)
      http::append_field(out, "X-Kong-Request-Id", request_id);
    if (!extra.has("x-request-id")) http::append_field(out, "X-Request-Id", request_id);
  }
  if (kong & config::kong_header::server)
    http::append_field(out, "Server", "gatehouse/" GATEHOUSE_VERSION);
  if (close) http::append_field(out, "Connection", "close");
  out += "\r\n";
  bool send_body = !head_only && !http::status_has_no_body(status);
  std::array<asio::const_buffer, 2> bufs{asio::buffer(out),
                                         asio::buffer(body.data(), send_body ? body.size() : 0)};
  auto ec = co_await timed_write(io.client, io.client_timer, io.w.settings().send_timeout, bufs);
  co_return !ec && !close;
}

// Bytes asked of the kernel per read from an upstream: a 64 KB response and its head in
// one read (the buffers are lent per response, so idle connections do not hold them).
constexpr std::size_t kUpstreamRead = 128 * 1024;

namespace {

// What becomes of a client's request field toward the upstream. The gateway sets Host,
// X-Real-IP, X-Request-Id, Content-Length and X-Forwarded-* itself (the client's
// X-Forwarded-* values are kept only from trusted peers), extends Via, and answers Expect
// with 100 Continue; everything else passes. Length first, so most fields are decided
// without comparing bytes.
enum class upstream_field { pass, replaced, via, xf_for, xf_proto, xf_host, xf_port, xf_path, xf_prefix };

upstream_field classify_upstream(std::string_view n) noexcept {
  using enum upstream_field;
  switch (n.size()) {
    case 3: return iequals(n, "via") ? via : pass;
    case 4: return iequals(n, "host") ? replaced : pass;
    case 6: return iequals(n, "expect") ? replaced : pass;
    case 9: return iequals(n, "x-real-ip") ? replaced : pass;
    case 12: return iequals(n, "x-request-id") ? replaced : pass;
    case 14:
      if (iequals(n, "content-length")) return replaced;
      break;
  }
  if (n.size() <= 12 || !iequals(n.substr(0, 12), "x-forwarded-")) return pass;
  auto rest = n.substr(12);
  if (iequals(rest, "for")) return xf_for;
  if (iequals(rest, "proto")) return xf_proto;
  if (iequals(rest, "host")) return xf_host;
  if (iequals(rest, "port")) return xf_port;
  if (iequals(rest, "path")) return xf_path;
  if (iequals(rest, "prefix")) return xf_prefix;
  return replaced;
}

struct request_plan {
  bool head_only = false;
  bool has_body = false;
  bool expect_continue = false;
  bool websocket = false;
  bool client_keep_alive = true;
  int client_version = 11;
  std::string upgrade_value;
  std::string client_host_header;
};

class exchange {
 public:
  exchange(exchange_io& io, const snapshot& snap, http::request_parser& p, plugin::Context& ctx)
      : io_(io), w_(io.w), snap_(snap), p_(p), ctx_(ctx) {}

  asio::awaitable<exchange_outcome> run() {
    plan();
    auto m = snap_.routes->match({ctx_.req.method, ctx_.req.host, ctx_.req.path, "http",
                                  ctx_.req.headers, 0});
    if (!m) co_return co_await local_error(404, "no Route matched with those values");
    match_ = std::move(*m);
    ctx_.route = match_.route;
    ctx_.service = match_.service;
    if (!ctx_.service) co_return co_await local_error(503, "no Service found with those values");

    const auto& slots = snap_.chain->slots_for(ctx_.route);
    for (const auto& slot : slots) {
      const auto* pl = plugin::Chain::pick(slot, ctx_.route, ctx_.service, nullptr);
      if (!pl) continue;
      auto flow = pl->rewrite_waits() ? co_await pl->rewrite_async(ctx_) : pl->rewrite(ctx_);
      if (flow == plugin::Flow::respond || ctx_.exited()) {
        collect_from(slots, 0);
        co_return co_await local_exit();
      }
    }
    if (plan_.has_body) {
      std::size_t limit = std::numeric_limits<std::size_t>::max();
      bool buffer = false;
      for (const auto& slot : slots) {
        const auto* pl = plugin::Chain::pick(slot, ctx_.route, ctx_.service, nullptr);
        if (pl && pl->request_body_mode() == plugin::BodyMode::buffered) {
          buffer = true;
          limit = std::min(limit, pl->request_body_limit());
        }
      }
      if (buffer && !co_await buffer_request_body(limit)) co_return exchange_outcome{false};
      if (ctx_.exited()) {
        collect_from(slots, 0);
        co_return co_await local_exit();
      }
    }
    active_.reserve(slots.size());
    for (std::size_t i = 0; i < slots.size(); ++i) {
      const auto* pl = plugin::Chain::pick(slots[i], ctx_.route, ctx_.service, ctx_.consumer);
      if (!pl) continue;
      active_.push_back(pl);
      auto flow = pl->waits() ? co_await pl->access_async(ctx_) : pl->access(ctx_);
      if (flow == plugin::Flow::respond || ctx_.exited()) {
        collect_from(slots, i + 1);
        co_return co_await local_exit();
      }
    }
    for (const auto* pl : active_) {
      if (pl->response_body_mode() != plugin::BodyMode::none) filters_response_ = true;
      if (pl->request_body_mode() == plugin::BodyMode::stream) filters_request_ = true;
    }
    if (ctx_.service->protocol != "http") {
      // TLS to upstreams is not built yet: never send plaintext to an https service.
      spdlog::error("service '{}': protocol {} is not supported yet (only http)",
                    ctx_.service->name.empty() ? ctx_.service->id : ctx_.service->name,
                    ctx_.service->protocol);
      co_return co_await local_error(502, http::kong_default_message(502));
    }
    co_return co_await forward();
  }

 private:
  void plan() {
    auto& req = ctx_.req;
    plan_.head_only = req.method == "HEAD";
    plan_.has_body = p_.content_length ? *p_.content_length > 0 : p_.chunked();
    plan_.client_version = p_.version;
    plan_.client_keep_alive =
        p_.version >= 11 ? !p_.connection_close : (p_.connection_keep_alive && !p_.connection_close);
    if (auto e = req.headers.get("expect"); e && iequals(*e, "100-continue") && plan_.has_body)
      plan_.expect_continue = true;
    if (p_.upgrade_requested) {
      if (auto u = req.headers.get("upgrade"); u && iequals(*u, "websocket")) {
        plan_.websocket = true;
        plan_.upgrade_value = std::string(*u);
      }
    }
    if (auto h = req.headers.get("host")) plan_.client_host_header = std::string(*h);
    // As Kong: TE passes only as "trailers"; Proxy (httpoxy) and Proxy-Authorization
    // are meant for this hop.
    bool te_trailers = false;
    for (auto v : req.headers.get_all("te")) te_trailers = te_trailers || v.find("trailers") != std::string_view::npos;
    http::strip_hop_by_hop(req.headers);
    req.headers.remove_if([](const HeaderField& f) {
      return (f.name.size() == 5 && iequals(f.name, "proxy")) ||
             (f.name.size() == 19 && iequals(f.name, "proxy-authorization"));
    });
    if (te_trailers) req.headers.add("TE", "trailers");
  }

  // After an early answer the remaining plugins still run header_filter, body_filter
  // and log (Kong keeps collecting them: ctx.delayed_response), e.g. prometheus counts a
  // 429 from rate-limiting with its consumer label.
  void collect_from(const std::vector<plugin::Chain::Slot>& slots, std::size_t first) {
    for (std::size_t i = first; i < slots.size(); ++i) {
      if (const auto* pl = plugin::Chain::pick(slots[i], ctx_.route, ctx_.service, ctx_.consumer))
        active_.push_back(pl);
    }
  }

  bool body_unread() const { return plan_.has_body && !p_.is_done() && !ctx_.req.body_buffered; }

  // Runs header/body filters of the plugins that ran, then answers from the gateway.
  asio::awaitable<exchange_outcome> local_exit() {
    ctx_.resp.status = ctx_.exit_status();
    ctx_.resp.source = "kong";
    ctx_.resp.headers = std::move(ctx_.exit_headers());
    std::string body = std::move(ctx_.exit_body());
    for (const auto* pl : active_) pl->header_filter(ctx_);
    for (const auto* pl : active_) {
      if (pl->response_body_mode() != plugin::BodyMode::none) pl->body_filter(ctx_, body, true);
    }
    bool unread = body_unread();
    bool close = !plan_.client_keep_alive || unread;
    ctx_.bytes_out += body.size();
    bool ok = co_await send_local_response(io_, ctx_.resp.status, body, ctx_.resp.headers,
                                           ctx_.request_id, close, plan_.head_only,
                                           ctx_.ms_since_start(steady_clock::now()));
    ctx_.bytes_out += io_.out.size();  // the head send_local_response wrote
    run_log();
    co_return exchange_outcome{ok, unread};
  }

  asio::awaitable<exchange_outcome> local_error(int status, std::string_view message) {
    ctx_.exit(status, message);
    co_return co_await local_exit();
  }

  void run_log() {
    for (const auto* pl : active_) pl->log(ctx_);
  }

  asio::awaitable<bool> buffer_request_body(std::size_t limit) {
    if (p_.content_length && *p_.content_length > limit) {
      ctx_.exit(413, "Request size limit exceeded");
      co_return true;
    }
    if (plan_.expect_continue && !co_await send_continue()) co_return false;
    // The parser decodes straight into the string that becomes the request's body: each
    // byte is copied once, from the read buffer (appending the parser's pieces to
    // req.body cost a second copy, ~36 k instructions for a 42 KB body). One allocation
    // for a declared length (a 40 KB prompt grew through ~10 reallocations).
    if (p_.body.empty() && p_.body.capacity() == 0) p_.body = w_.take_body_buffer();
    if (p_.content_length) p_.body.reserve(static_cast<std::size_t>(*p_.content_length));
    body_pump pump(io_.client, io_.client_timer, io_.client_buf, w_.settings().client_body_timeout);
    while (!p_.is_done()) {
      if (!co_await pump.read_more(p_)) {
        if (!pump.parse_failed()) co_return false;
        plan_.client_keep_alive = false;
        if (pump.too_large()) ctx_.exit(413, "Request size limit exceeded");
        else ctx_.exit(400, "Bad request");
        co_return true;
      }
      if (ctx_.req.body.size() + p_.body.size() > limit) {
        plan_.client_keep_alive = false;
        ctx_.exit(413, "Request size limit exceeded");
        co_return true;
      }
    }
    if (ctx_.req.body.empty()) ctx_.req.body.swap(p_.body);
    else ctx_.req.body += p_.body;
    p_.body.clear();
    ctx_.bytes_in += ctx_.req.body.size();
    ctx_.req.body_buffered = true;
    co_return true;
  }

  asio::awaitable<bool> send_continue() {
    if (continue_sent_) co_return true;
    continue_sent_ = true;
    static constexpr std::string_view line = "HTTP/1.1 100 Continue\r\n\r\n";
    const asio::const_buffer buf = asio::buffer(line);
    co_return !co_await timed_write(io_.client, io_.client_timer, w_.settings().send_timeout,
                                    std::span(&buf, 1));
  }

  void build_upstream_head() {
    auto& out = io_.out;
    auto& req = ctx_.req;
    out.clear();
    out += req.method;
    out += ' ';
    out += router::upstream_path(*ctx_.route, ctx_.service, match_.path, match_.matched_path);
    if (!req.query.empty()) {
      out += '?';
      out += req.query;
    }
    out += " HTTP/1.1\r\n";
    http::append_field(out, "Host",
                       router::upstream_host_header(*ctx_.route, *ctx_.service, plan_.client_host_header));
    // One pass over the client's fields: copy what passes, note what the gateway rewrites
    // (the first of repeated fields counts, as Headers::get would have it).
    std::array<std::optional<std::string_view>, static_cast<std::size_t>(upstream_field::xf_prefix) + 1> seen;
    for (const auto& f : req.headers) {
      auto kind = classify_upstream(f.name);
      if (kind == upstream_field::pass) {
        http::append_field(out, f);
      } else if (auto& slot = seen[static_cast<std::size_t>(kind)]; !slot) {
        slot = f.value;
      }
    }
    auto in = [&](upstream_field kind) { return seen[static_cast<std::size_t>(kind)]; };
    bool trusted = io_.peer_trusted;
    auto fwd = [&](std::string_view name, upstream_field kind, std::string_view own) {
      auto value = in(kind);
      http::append_field(out, name, trusted && value ? *value : own);
    };
    // Kong appends the peer to any incoming X-Forwarded-For; trust only decides whether
    // the client address was taken from it (session) and whether the other X-Forwarded-*
    // pass through.
    if (auto xff = in(upstream_field::xf_for)) {
      std::string v(*xff);
      v += ", ";
      v += req.remote_addr;
      http::append_field(out, "X-Forwarded-For", v);
    } else {
      http::append_field(out, "X-Forwarded-For", req.remote_addr);
    }
    fwd("X-Forwarded-Proto", upstream_field::xf_proto, req.scheme);
    fwd("X-Forwarded-Host", upstream_field::xf_host, req.host);
    fwd("X-Forwarded-Port", upstream_field::xf_port, io_.local_port);
    fwd("X-Forwarded-Path", upstream_field::xf_path, req.path);
    if (auto prefix = in(upstream_field::xf_prefix); trusted && prefix)
      http::append_field(out, "X-Forwarded-Prefix", *prefix);
    http::append_field(out, "X-Real-IP", req.client_ip);
    http::append_field(out, "X-Request-Id", ctx_.request_id);
    if (auto via_in = in(upstream_field::via); !via_in || via_in->empty()) {
      http::append_field(out, "Via", "1.1 gatehouse");
    } else {
      std::string v(*via_in);
      v += ", 1.1 gatehouse";
      http::append_field(out, "Via", v);
    }
    if (req.body_buffered) {
      http::append_field(out, "Content-Length", std::to_string(req.body.size()));
    } else if (p_.content_length) {
      http::append_field(out, "Content-Length", std::to_string(*p_.content_length));
    } else if (p_.chunked()) {
      http::append_field(out, "Transfer-Encoding", "chunked");
    }
    if (plan_.websocket) {
      http::append_field(out, "Connection", "Upgrade");
      http::append_field(out, "Upgrade", plan_.upgrade_value);
    }
    out += "\r\n";
  }

  enum class failure { none, connect, timeout, dns, no_peer, reset, bad_response, client, client_bad_request };

  // The target for this attempt: the service host, or the next target of its upstream
  // entity (no_peer when that upstream has no usable target).
  failure pick_target(std::string& host, uint16_t& port) {
    const auto& svc = *ctx_.service;
    auto it = snap_.upstreams.find(svc.host);
    if (it == snap_.upstreams.end()) {
      host = svc.host;
      port = static_cast<uint16_t>(svc.port);
      return failure::none;
    }
    if (it->second.slots.empty()) return failure::no_peer;
    const auto& t = it->second.slots[w_.next_ring_index() % it->second.slots.size()];
    host = t.host;
    port = t.port;
    return failure::none;
  }

  asio::awaitable<failure> connect(const std::string& host, uint16_t port) {
    boost::system::error_code ec;
    auto endpoints = co_await w_.resolver().resolve(host, port, ec);
    if (ec) co_return failure::dns;
    conn_ = std::make_unique<upstream::connection>(co_await asio::this_coro::executor);
    conn_->timer.attach(w_.wheel(), conn_->socket);
    for (const auto& ep : endpoints) {
      boost::system::error_code ignored;
      conn_->socket.close(ignored);
      conn_->timer.expires_after(milliseconds(ctx_.service->connect_timeout));
      auto [cec] = co_await conn_->socket.async_connect(ep, use_tuple);
      conn_->timer.clear();
      if (!cec) {
        conn_->socket.set_option(tcp::no_delay(true), ignored);
        conn_->socket.non_blocking(true, ignored);  // for timed_write's immediate send
        co_return failure::none;
      }
      if (conn_->timer.expired()) co_return failure::timeout;
    }
    co_return failure::connect;
  }

  // Writes to the upstream under its write timeout; with `sent`, the rest of a write
  // that write_now() began.
  asio::awaitable<failure> write_upstream(std::span<const asio::const_buffer> bufs,
                                          std::optional<std::size_t> sent = std::nullopt) {
    const milliseconds timeout(ctx_.service->write_timeout);
    auto ec = sent ? co_await write_rest(conn_->socket, conn_->timer, timeout, bufs, *sent)
                   : co_await timed_write(conn_->socket, conn_->timer, timeout, bufs);
    if (!ec) co_return failure::none;
    co_return conn_->timer.expired() ? failure::timeout : failure::reset;
  }

  // Streams the client's request body to the upstream, through request body filters.
  // A Content-Length request body no plugin filters goes upstream straight from the
  // client's read buffer, as response bodies go to the client: no copy through the parser.
  bool request_body_in_place() const noexcept {
    return !filters_request_ && p_.content_length && p_.in_length_body();
  }
  // The first n bytes of the client's buffer, relayed in place, were sent upstream: only
  // now are they taken from the body and the buffer (a failed write leaves them there).
  void took_request_body(std::size_t n) {
    p_.pass_body(n);
    io_.client_buf.consume(n);
    ctx_.bytes_in += n;
  }

  asio::awaitable<failure> stream_request_body() {
    body_pump pump(io_.client, io_.client_timer, io_.client_buf, w_.settings().client_body_timeout);
    if (request_body_in_place()) {
      auto& buf = io_.client_buf;
      while (!p_.is_done()) {
        if (buf.size() == 0) {
          if (!co_await pump.read_in_place(body_pump::read_size)) co_return failure::client;
          continue;
        }
        const std::size_t n = p_.length_body_part(buf.size());
        std::array<asio::const_buffer, 1> piece{asio::buffer(buf.data().data(), n)};
        if (auto f = co_await write_upstream(piece); f != failure::none) co_return f;
        took_request_body(n);
      }
      co_return failure::none;
    }
    bool chunked = !p_.content_length;
    std::string frame;
    for (;;) {
      bool done = p_.is_done();
      if (p_.body.empty() && !done) {
        if (!co_await pump.read_more(p_)) {
          if (pump.too_large()) ctx_.exit(413, "Request size limit exceeded");
          co_return pump.parse_failed() ? failure::client_bad_request : failure::client;
        }
        continue;
      }
      ctx_.bytes_in += p_.body.size();
      if (filters_request_) {
        for (const auto* pl : active_) {
          if (pl->request_body_mode() != plugin::BodyMode::stream) continue;
          if (pl->request_body_filter(ctx_, p_.body, done) == plugin::Flow::respond || ctx_.exited())
            co_return failure::client;
        }
      }
      frame.clear();
      std::array<asio::const_buffer, 3> bufs;
      std::size_t count = 0;
      if (chunked && !p_.body.empty()) {
        http::append_chunk_size(frame, p_.body.size());
        bufs[count++] = asio::buffer(frame);
      }
      if (!p_.body.empty()) bufs[count++] = asio::buffer(p_.body);
      if (chunked && !p_.body.empty()) bufs[count++] = asio::buffer("\r\n", 2);
      if (count) {
        auto f = co_await write_upstream(std::span(bufs.data(), count));
        if (f != failure::none) co_return f;
      }
      p_.body.clear();
      if (done) break;
    }
    if (chunked) {
      std::array<asio::const_buffer, 1> end{asio::buffer("0\r\n\r\n", 5)};
      co_return co_await write_upstream(end);
    }
    co_return failure::none;
  }

  // Sends the request (head, body) with retries; on success the response head is read.
  asio::awaitable<failure> send_request() {
    build_upstream_head();
    int tries_left = ctx_.service->retries;
    failure last = failure::connect;
    bool streamed = false;
    for (;;) {
      std::string host;
      uint16_t port = 0;
      if (auto pf = pick_target(host, port); pf != failure::none) co_return pf;
      char port_text[8];
      auto [port_end, port_ec] = std::to_chars(port_text, port_text + sizeof port_text, port);
      key_.assign(host).append(1, ':').append(port_text, port_end);
      conn_ = w_.pool().take(key_);
      bool reused = conn_ != nullptr;
      if (!reused) {
        auto f = co_await connect(host, port);
        if (f != failure::none) {
          last = f;
          if (f != failure::dns && tries_left-- > 0) continue;
          co_return last;
        }
        conn_->pool_key = key_;
      }
      // The request leaves at the end of the worker's turn, not now: the handlers already
      // queued (the other requests epoll reported ready with this one) run first, so the
      // requests that became ready together reach the upstream together and its event loop
      // wakes once per burst instead of once per request — HAProxy sends after processing
      // every ready event for the same reason. Each wake-up costs the upstream's CPU a
      // context switch and this worker an inter-processor interrupt. On the 2-core bench
      // machine, upstream context switches per request fell from 0.09-0.10 to 0.07-0.08 at
      // 50 clients (HAProxy 0.05) and from ~0.2 to 0.02 at 1,000 (docs/architecture.md).
      co_await asio::post(co_await asio::this_coro::executor, asio::deferred);
      upstream_started_ = steady_clock::now();
      const bool streams_body = plan_.has_body && !ctx_.req.body_buffered && !plan_.websocket;
      // The body bytes that came with the head leave in the head's write (one segment for
      // a request read whole, as a buffered body does); they are taken from the client's
      // buffer only once sent, so a failed write is retried with them on a fresh connection.
      std::size_t with_head = 0;
      if (streams_body && !plan_.expect_continue && request_body_in_place())
        with_head = p_.length_body_part(io_.client_buf.size());
      std::array<asio::const_buffer, 2> head{
          asio::buffer(io_.out),
          with_head > 0 ? asio::buffer(io_.client_buf.data().data(), with_head)
                        : asio::buffer(ctx_.req.body)};
      std::span<const asio::const_buffer> head_bufs(
          head.data(), ctx_.req.body_buffered || with_head > 0 ? 2 : 1);
      std::size_t sent = 0;
      boost::system::error_code wec;
      auto f = failure::none;
      if (!write_now(conn_->socket, head_bufs, sent, wec)) f = co_await write_upstream(head_bufs, sent);
      else if (wec) f = failure::reset;
      if (f == failure::none && with_head > 0) {
        took_request_body(with_head);
        streamed = true;
      }
      if (f == failure::none && streams_body && (with_head == 0 || !p_.is_done())) {
        if (plan_.expect_continue && !co_await send_continue()) co_return failure::client;
        streamed = true;
        f = co_await stream_request_body();
        if (f == failure::client || f == failure::client_bad_request) co_return f;
      }
      if (f == failure::none) {
        rp_.emplace(200);
        f = co_await read_response_head();
        if (f == failure::none) co_return f;
      }
      last = f;
      bool nothing_received = !ubuf_ || ubuf_->size() == 0;
      ubuf_.reset();
      conn_.reset();
      if (f == failure::timeout || streamed) co_return last;
      if (reused && nothing_received) continue;  // a stale keep-alive connection
      if (tries_left-- > 0) continue;
      co_return last;
    }
  }

  asio::awaitable<failure> read_response_head() {
    auto& sock = conn_->socket;
    for (;;) {
      auto& rp = *rp_;
      rp.header_limit(64 * 1024);
      rp.body_limit(std::numeric_limits<uint64_t>::max());
      if (plan_.head_only) rp.skip(true);
      while (!rp.is_header_done()) {
        if (ubuf_ && ubuf_->size() > 0) {
          beast::error_code ec;
          auto used = rp.put(ubuf_->data(), ec);
          ubuf_->consume(used);
          if (ec && ec != beast::http::error::need_more) co_return failure::bad_response;
          if (rp.is_header_done()) break;
        }
        conn_->timer.expires_after(milliseconds(ctx_.service->read_timeout));
        if (ubuf_) {
          auto [ec, n] = co_await sock.async_read_some(ubuf_->prepare(kUpstreamRead), use_tuple);
          conn_->timer.clear();
          note_read(sock, n, kUpstreamRead);
          if (ec) co_return conn_->timer.expired() ? failure::timeout : failure::reset;
          ubuf_->commit(n);
          continue;
        }
        // The answer is awaited in the exchange's own small array, and a read buffer is
        // lent only once bytes are there: at 1,000 connections nearly every request waits
        // for its upstream, and none holds a buffer meanwhile. (async_wait would do without
        // the array but costs an epoll_ctl per request in Asio's reactor.)
        auto [ec, n] = co_await sock.async_read_some(asio::buffer(first_bytes_), use_tuple);
        conn_->timer.clear();
        note_read(sock, n, first_bytes_.size());
        if (ec) co_return conn_->timer.expired() ? failure::timeout : failure::reset;
        ubuf_ = lend_with_first_bytes(w_.read_buffers(), sock, first_bytes_, n, kUpstreamRead);
      }
      if (rp.status >= 100 && rp.status < 200 && rp.status != 101) {
        rp_.emplace(200);
        continue;
      }
      co_return failure::none;
    }
  }

  asio::awaitable<exchange_outcome> upstream_failure(failure f) {
    switch (f) {
      case failure::timeout: co_return co_await local_error(504, "The upstream server is timing out");
      case failure::dns: co_return co_await local_error(503, "name resolution failed");
      case failure::no_peer:
        co_return co_await local_error(503, "failure to get a peer from the ring-balancer");
      case failure::client_bad_request: {
        if (ctx_.exited()) co_return co_await local_exit();
        plan_.client_keep_alive = false;
        co_return co_await local_error(400, "Bad request");
      }
      case failure::client: {
        if (ctx_.exited()) co_return co_await local_exit();
        run_log();
        co_return exchange_outcome{false};
      }
      default:
        co_return co_await local_error(502, "An invalid response was received from the upstream server");
    }
  }

  asio::awaitable<exchange_outcome> forward() {
    ctx_.kong_latency_ms = ctx_.ms_since_start(steady_clock::now());
    auto f = co_await send_request();
    if (f != failure::none) {
      if (conn_) conn_.reset();
      co_return co_await upstream_failure(f);
    }
    ctx_.upstream_latency_ms =
        duration_cast<milliseconds>(steady_clock::now() - upstream_started_).count();
    co_return co_await relay_response(*ubuf_, *rp_);
  }

  asio::awaitable<exchange_outcome> relay_response(beast::flat_buffer& ubuf, http::response_parser& rp);

  exchange_io& io_;
  worker& w_;
  const snapshot& snap_;
  http::request_parser& p_;
  plugin::Context& ctx_;
  router::route_match match_;
  request_plan plan_;
  // The plugins that run for this request; inline for the usual few (no allocation).
  boost::container::small_vector<const plugin::Plugin*, 8> active_;
  std::unique_ptr<upstream::connection> conn_;
  std::optional<http::response_parser> rp_;
  buffer_pool::lease ubuf_;  // the upstream read buffer, once the response has arrived
  std::array<char, 4096> first_bytes_;  // where the answer's first bytes are awaited
  std::string key_;  // pool key of the current attempt
  steady_clock::time_point upstream_started_;
  bool filters_response_ = false;
  bool filters_request_ = false;
  bool continue_sent_ = false;
};

asio::awaitable<void> splice(tcp::socket& from, tcp::socket& to) {
  std::array<char, 16384> data;
  for (;;) {
    auto [ec, n] = co_await from.async_read_some(asio::buffer(data), use_tuple);
    if (ec) break;
    auto [wec, wn] = co_await asio::async_write(to, asio::buffer(data.data(), n), use_tuple);
    if (wec) break;
  }
  boost::system::error_code ignored;
  to.shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<exchange_outcome> exchange::relay_response(beast::flat_buffer& ubuf,
                                                           http::response_parser& rp) {
  auto& resp = ctx_.resp;
  resp.status = rp.status;
  resp.source = "service";
  resp.headers = std::move(rp.headers);
  const bool upgrade = rp.status == 101 && plan_.websocket;
  const bool upstream_reusable = rp.keep_alive() && !upgrade;
  const auto upstream_length = rp.content_length;
  std::string upgrade_value;
  if (upgrade) upgrade_value = std::string(resp.headers.get("upgrade").value_or("websocket"));
  http::strip_hop_by_hop(resp.headers);
  resp.headers.remove("proxy-authenticate");
  for (const auto* pl : active_) pl->header_filter(ctx_);

  enum class framing { none, length, chunked, until_close };
  const bool no_body = plan_.head_only || http::status_has_no_body(resp.status) || upgrade;
  bool keep_alive = plan_.client_keep_alive && !upgrade;
  framing frame = framing::none;
  if (!no_body) {
    resp.headers.remove("content-length");
    if (!filters_response_ && upstream_length) frame = framing::length;
    else if (plan_.client_version >= 11) frame = framing::chunked;
    else frame = framing::until_close;
  }
  if (frame == framing::until_close) keep_alive = false;

  auto& out = io_.out;
  out.clear();
  http::append_status_line(out, resp.status);
  std::string_view via_in;
  for (const auto& f : resp.headers) {
    if (iequals(f.name, "via")) {
      via_in = f.value;
      continue;
    }
    http::append_field(out, f);
  }
  if (frame == framing::length) http::append_field(out, "Content-Length", std::to_string(*upstream_length));
  if (frame == framing::chunked) http::append_field(out, "Transfer-Encoding", "chunked");
  // Kong's `headers` setting decides which of the gateway's own headers are added.
  const uint32_t kong = w_.settings().kong_headers;
  if (kong & config::kong_header::via) {
    http::append_field(out, "Via", via_in.empty() ? std::string("1.1 gatehouse")
                                                   : std::string(via_in) + ", 1.1 gatehouse");
  } else if (!via_in.empty()) {
    http::append_field(out, "Via", via_in);
  }
  if (kong & config::kong_header::upstream_latency)
    http::append_field(out, "X-Kong-Upstream-Latency", std::to_string(ctx_.upstream_latency_ms));
  if (kong & config::kong_header::proxy_latency)
    http::append_field(out, "X-Kong-Proxy-Latency", std::to_string(ctx_.kong_latency_ms));
  if (kong & config::kong_header::upstream_status)
    http::append_field(out, "X-Kong-Upstream-Status", std::to_string(rp.status));
  if (kong & config::kong_header::request_id)
    http::append_field(out, "X-Kong-Request-Id", ctx_.request_id);
  if (!resp.headers.has("x-request-id")) http::append_field(out, "X-Request-Id", ctx_.request_id);
  if (upgrade) {
    http::append_field(out, "Connection", "Upgrade");
    http::append_field(out, "Upgrade", upgrade_value);
  } else if (!keep_alive) {
    http::append_field(out, "Connection", "close");
  } else if (plan_.client_version < 11) {
    http::append_field(out, "Connection", "keep-alive");
  }
  out += "\r\n";

  const auto send_timeout = w_.settings().send_timeout;

  if (upgrade) {
    std::array<asio::const_buffer, 2> first{asio::buffer(out), ubuf.data()};
    bool ok = !co_await timed_write(io_.client, io_.client_timer, send_timeout, first);
    if (ok && io_.client_buf.size() > 0) {
      auto [ec, n] = co_await asio::async_write(conn_->socket, io_.client_buf.data(), use_tuple);
      io_.client_buf.consume(io_.client_buf.size());
      ok = !ec;
    }
    if (ok) {
      using namespace asio::experimental::awaitable_operators;
      conn_->timer.clear();
      co_await (splice(io_.client, conn_->socket) && splice(conn_->socket, io_.client));
    }
    conn_.reset();
    run_log();
    co_return exchange_outcome{false};
  }

  body_pump upump(conn_->socket, conn_->timer, ubuf, milliseconds(ctx_.service->read_timeout));
  // A Content-Length body nobody filters goes to the client straight from the read
  // buffer, as HAProxy forwards it: no copy through the parser.
  const bool in_place = !no_body && frame == framing::length && rp.in_length_body();
  bool upstream_ok = no_body || in_place || upump.feed(rp);
  bool head_pending = true;
  bool client_ok = true;
  std::string chunk, size_line;
  while (upstream_ok) {
    bool done = no_body || rp.is_done();
    if (!done && (in_place ? ubuf.size() == 0 : rp.body.empty())) {
      if (head_pending) {  // let the client see the head before waiting on the upstream
        std::array<asio::const_buffer, 1> head{asio::buffer(out)};
        client_ok = !co_await timed_write(io_.client, io_.client_timer, send_timeout, head);
        if (!client_ok) break;
        ctx_.bytes_out += out.size();
        head_pending = false;
      }
      upstream_ok = in_place ? co_await upump.read_in_place(kUpstreamRead) : co_await upump.read_more(rp);
      continue;
    }
    std::string_view piece;
    if (in_place) {
      piece = {static_cast<const char*>(ubuf.data().data()), rp.pass_body(ubuf.size())};
      done = rp.is_done();
    } else {
      chunk.clear();
      chunk.swap(rp.body);
      if (filters_response_) {
        for (const auto* pl : active_) {
          if (pl->response_body_mode() != plugin::BodyMode::none) pl->body_filter(ctx_, chunk, done);
        }
      }
      piece = chunk;
    }
    std::array<asio::const_buffer, 5> bufs;
    std::size_t count = 0;
    if (head_pending) {
      bufs[count++] = asio::buffer(out);
      ctx_.bytes_out += out.size();
      head_pending = false;
    }
    if (frame == framing::chunked && !piece.empty()) {
      size_line.clear();
      http::append_chunk_size(size_line, piece.size());
      bufs[count++] = asio::buffer(size_line);
      bufs[count++] = asio::buffer(piece.data(), piece.size());
      bufs[count++] = asio::buffer("\r\n", 2);
    } else if (frame != framing::none && !piece.empty()) {
      bufs[count++] = asio::buffer(piece.data(), piece.size());
    }
    if (done && frame == framing::chunked) bufs[count++] = asio::buffer("0\r\n\r\n", 5);
    if (count) {
      std::span<const asio::const_buffer> to_send(bufs.data(), count);
      std::size_t sent = 0;
      boost::system::error_code wec;
      if (!write_now(io_.client, to_send, sent, wec))
        wec = co_await write_rest(io_.client, io_.client_timer, send_timeout, to_send, sent);
      client_ok = !wec;
      if (!client_ok) break;
    }
    if (in_place) ubuf.consume(piece.size());
    ctx_.bytes_out += piece.size();
    if (done) break;
  }
  bool complete = upstream_ok && client_ok && (no_body || rp.is_done());
  if (complete && upstream_reusable && ubuf.size() == 0 &&
      ++conn_->requests < w_.settings().upstream_max_requests) {
    w_.pool().give_back(std::move(conn_));
  } else {
    conn_.reset();
  }
  if (!upstream_ok && head_pending) {
    co_return co_await upstream_failure(upump.timed_out() ? failure::timeout : failure::bad_response);
  }
  run_log();
  co_return exchange_outcome{keep_alive && complete};
}

}  // namespace

asio::awaitable<exchange_outcome> proxy_request(exchange_io& io, const snapshot& snap,
                                                http::request_parser& p, plugin::Context& ctx) {
  exchange ex(io, snap, p, ctx);
  co_return co_await ex.run();
}

}  // namespace gh::server
