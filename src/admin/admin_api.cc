#include "admin/admin_api.h"

#include "admin/admin_routes.h"
#include "server/server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

#include <chrono>

namespace gh::admin {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct admin_api::impl {
  asio::io_context& io;
  server::server& srv;
  tcp::acceptor acceptor;
  impl(asio::io_context& i, server::server& s) : io(i), srv(s), acceptor(i) {}

  asio::awaitable<void> session(tcp::socket socket) {
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(64 * 1024 * 1024);
      auto [ec, n] = co_await bhttp::async_read(socket, buffer, parser, use_tuple);
      if (ec) break;
      auto& req = parser.get();
      const auto started = std::chrono::steady_clock::now();
      admin_response r;
      try {
        r = handle_admin_request(srv, std::string_view(req.method_string()), std::string_view(req.target()),
                                 std::string_view(req[bhttp::field::content_type]), req.body());
      } catch (const std::exception& e) {
        spdlog::error("admin API error: {}", e.what());
        r = {500, "{\"message\":\"An unexpected error occurred\"}"};
      }
      bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), req.version()};
      const uint32_t kong = srv.settings().headers;  // Kong's `headers` setting
      if (kong & gh::config::kong_header::server)
        res.set(bhttp::field::server, "gatehouse/" GATEHOUSE_VERSION);
      if (kong & gh::config::kong_header::admin_latency) {
        res.set("X-Kong-Admin-Latency",
                std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now() - started)
                                   .count()));
      }
      res.set(bhttp::field::content_type, r.content_type);
      res.set(bhttp::field::access_control_allow_origin, "*");
      res.body() = std::move(r.body);
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      auto [wec, wn] = co_await bhttp::async_write(socket, res, use_tuple);
      if (wec || !res.keep_alive()) break;
    }
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
      if (ec) {
        if (!acceptor.is_open()) co_return;
        continue;
      }
      asio::co_spawn(io, session(std::move(socket)), asio::detached);
    }
  }
};

admin_api::admin_api(asio::io_context& io, server::server& srv)
    : impl_(std::make_unique<impl>(io, srv)) {}
admin_api::~admin_api() = default;

tcp::endpoint admin_api::listen(const tcp::endpoint& ep) {
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  return impl_->acceptor.local_endpoint();
}

void admin_api::close() {
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
}

}  // namespace gh::admin
