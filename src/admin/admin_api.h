// The admin listener: Kong's Admin API subset for a DB-less node.
//
// GET / (node info and effective configuration), GET /status (Kong's shape), GET
// /metrics (Prometheus text), GET /config and POST /config (declarative config swap),
// and read-only entity lists (/services, /routes, /consumers, /plugins, /upstreams,
// /targets and /{entity}/{id or name}). Runs on the control thread, never on a worker.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <memory>

namespace gh::server {
class server;
}

namespace gh::admin {

class admin_api {
 public:
  admin_api(boost::asio::io_context& io, server::server& srv);
  ~admin_api();
  // Binds and starts accepting; returns the bound endpoint. Throws on bind failure.
  boost::asio::ip::tcp::endpoint listen(const boost::asio::ip::tcp::endpoint& ep);
  void close();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace gh::admin
