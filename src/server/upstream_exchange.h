// One proxied request: route, plugin phases, upstream round trip, streamed response.
//
// Called by the proxy session once a request head has been read and validated. It owns
// the choice of upstream connection (pool, retries of connection failures per
// service.retries), the framing on both sides and Kong's error statuses (404, 502, 503,
// 504 with Kong's JSON bodies). Local (gateway) responses go through the same plugin
// header/body filters as upstream ones, as in Kong.
#pragma once

#include "core/deadline_wheel.h"
#include "core/headers.h"
#include "http/message_parser.h"
#include "plugin/context.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <string>

namespace gh::server {

class worker;
struct snapshot;

// The client side of the exchange, owned by the session.
struct exchange_io {
  worker& w;
  boost::asio::ip::tcp::socket& client;
  deadline_wheel::entry& client_timer;
  boost::beast::flat_buffer& client_buf;
  std::string& out;  // reusable head buffer
  const std::string& local_port;
  bool peer_trusted;  // the TCP peer is in trusted_ips
};

struct exchange_outcome {
  bool keep_alive = false;
  // The gateway answered before reading the request body: close gracefully (lingering)
  // so the client reads the answer instead of a reset.
  bool linger = false;
};

boost::asio::awaitable<exchange_outcome> proxy_request(exchange_io& io, const snapshot& snap,
                                                       http::request_parser& p,
                                                       plugin::Context& ctx);

// Writes a response produced by the gateway (errors, plugin exits); `latency_ms` since the
// request began goes out as X-Kong-Response-Latency. Returns false when the write failed or
// `close` was asked.
boost::asio::awaitable<bool> send_local_response(exchange_io& io, int status, std::string_view body,
                                                 const Headers& extra,
                                                 const std::string& request_id, bool close,
                                                 bool head_only, int64_t latency_ms = 0);

}  // namespace gh::server
