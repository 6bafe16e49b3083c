// note_read() makes the next read wait for epoll instead of trying first. These tests pin
// the property that makes that safe: a read started after a short read still completes
// when bytes arrive later, whether they arrive before or after the read is started, and
// a full read (more may be waiting) leaves speculation on.
#include "core/read_readiness.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <string>
#include <thread>

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

struct socket_pair {
  asio::io_context io{1};
  tcp::socket reader{io};
  tcp::socket writer{io};

  socket_pair() {
    tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    writer.connect(acceptor.local_endpoint());
    acceptor.accept(reader);
    reader.non_blocking(true);
  }

  void send(const std::string& bytes) { asio::write(writer, asio::buffer(bytes)); }

  // Starts an async read and runs the loop until it completes or two seconds pass.
  std::string read_async() {
    std::array<char, 64> buf{};
    std::size_t got = 0;
    bool done = false;
    reader.async_read_some(asio::buffer(buf), [&](boost::system::error_code ec, std::size_t n) {
      EXPECT_FALSE(ec) << ec.message();
      got = n;
      done = true;
    });
    io.restart();
    io.run_for(2s);
    EXPECT_TRUE(done) << "read never completed";
    gh::note_read(reader, got, buf.size());
    return std::string(buf.data(), got);
  }
};

TEST(ReadReadiness, ReadAfterShortReadCompletesWhenBytesArriveLater) {
  socket_pair p;
  p.send("first");
  EXPECT_EQ(p.read_async(), "first");  // short: speculation now off for this socket
  std::array<char, 64> buf{};
  std::string got;
  p.reader.async_read_some(asio::buffer(buf), [&](boost::system::error_code ec, std::size_t n) {
    ASSERT_FALSE(ec);
    got.assign(buf.data(), n);
  });
  p.io.restart();
  p.io.poll();  // the read is queued on epoll, not tried
  EXPECT_TRUE(got.empty());
  p.send("second");
  p.io.run_for(2s);
  EXPECT_EQ(got, "second");
}

TEST(ReadReadiness, BytesThatArriveBeforeTheNextReadStartsAreNotMissed) {
  socket_pair p;
  p.send("first");
  EXPECT_EQ(p.read_async(), "first");
  p.send("second");  // lands while no read is pending: epoll reports it to the reactor
  EXPECT_EQ(p.read_async(), "second");
  p.send("third");
  std::this_thread::sleep_for(20ms);  // in the socket before the loop runs again
  EXPECT_EQ(p.read_async(), "third");
}

TEST(ReadReadiness, FullReadKeepsSpeculation) {
  socket_pair p;
  p.send(std::string(100, 'x'));
  std::array<char, 64> buf{};
  std::size_t n = p.reader.read_some(asio::buffer(buf));
  ASSERT_EQ(n, buf.size());
  gh::note_read(p.reader, n, buf.size());  // full: the rest is still waiting
  EXPECT_EQ(p.read_async(), std::string(36, 'x'));
}

}  // namespace
