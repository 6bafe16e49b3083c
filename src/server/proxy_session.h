// One client connection of the proxy listener, served as a coroutine on its worker.
//
// The session reads requests one after the other (keep-alive, pipelining), routes each
// against the worker's current snapshot, runs the plugin chain, forwards the request to
// the service over a pooled upstream connection and streams the response back, chunk by
// chunk, through the plugins' body filters. Nothing here blocks the worker thread and
// no whole body is held unless a plugin asked for it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace gh::server {

class worker;

boost::asio::awaitable<void> serve_proxy_connection(worker& w, boost::asio::ip::tcp::socket socket);

}  // namespace gh::server
