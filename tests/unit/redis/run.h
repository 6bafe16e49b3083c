// Test helper: runs one coroutine on an io_context until it finishes (background
// coroutines such as connection loops stay suspended in the context for the next run).
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <exception>
#include <optional>

namespace gh::redis::testing {

template <class T>
T run(boost::asio::io_context& io, boost::asio::awaitable<T> a) {
  std::optional<T> out;
  std::exception_ptr ep;
  boost::asio::co_spawn(io, std::move(a), [&](std::exception_ptr e, T v) {
    ep = e;
    out = std::move(v);
    io.stop();
  });
  io.restart();
  io.run();
  if (ep) std::rethrow_exception(ep);
  return std::move(*out);
}

inline boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, d);
  co_await t.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
}

}  // namespace gh::redis::testing
