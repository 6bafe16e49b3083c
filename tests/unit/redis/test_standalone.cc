// The client against a real standalone redis-server: pipelining, timeouts, reconnects,
// AUTH with an ACL user, SELECT, EVALSHA fallback, Pub/Sub, TLS.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "store/redis/client.h"
#include "store/redis/connection.h"
#include "tests/redis/harness.h"
#include "tests/unit/redis/run.h"

namespace gh::redis {
namespace {

using testing::redis_process;
using testing::run;
using testing::sleep_for;
using namespace std::chrono_literals;

redis_config local(uint16_t port) {
  redis_config c;
  c.host = "127.0.0.1";
  c.port = port;
  c.timeout = 1000ms;
  return c;
}

TEST(RedisStandalone, PipelinesThousandsOfConcurrentCallsOnOneConnection) {
  auto server = redis_process::start();
  ASSERT_TRUE(server);
  asio::io_context io;
  auto cfg = local(server->port());
  auto opts = detail::base_options(cfg);
  opts.resolve = detail::fixed_endpoint({cfg.host, cfg.port});
  auto conn = connection::create(io.get_executor(), opts);
  constexpr int calls = 20000;
  int failed = 0;
  std::size_t max_in_flight = 0;
  int done = 0;
  for (int i = 0; i < calls; ++i) {
    asio::co_spawn(
        io,
        [&]() -> awaitable<void> {
          const command cmd{"INCR", "counter"};
          auto r = co_await conn->exec(cmd);
          max_in_flight = std::max(max_in_flight, conn->in_flight());
          if (!r || !r->is_integer()) ++failed;
          if (++done == calls) io.stop();
        },
        asio::detached);
  }
  io.run();
  std::printf("pipelining: %d calls, %d failed, max in flight %zu, connects %llu\n", calls, failed,
              max_in_flight, static_cast<unsigned long long>(conn->connects()));
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(conn->connects(), 1u);  // one connection, not a pool
  EXPECT_GT(max_in_flight, 100u);   // many requests really were in flight together
  EXPECT_EQ(server->cli("GET counter"), std::to_string(calls) + "\n");
  conn->close();
}

TEST(RedisStandalone, CallTimesOutWhenServerStopsAnsweringAndRecovers) {
  auto server = redis_process::start();
  ASSERT_TRUE(server);
  asio::io_context io;
  auto cfg = local(server->port());
  cfg.timeout = 200ms;
  auto c = make_client(io.get_executor(), cfg);
  const command ping{"PING"};
  ASSERT_TRUE(run(io, c->exec("", ping)));
  server->pause();
  auto t0 = std::chrono::steady_clock::now();
  auto r = run(io, c->exec("", ping));
  auto took = std::chrono::steady_clock::now() - t0;
  server->resume();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::timeout);
  EXPECT_LT(took, 1000ms);
  // The client dropped the stuck connection and reconnects by itself.
  bool ok = run(io, [&]() -> awaitable<bool> {
    for (int i = 0; i < 100; ++i) {
      auto p = co_await c->exec("", ping);
      if (p && p->str == "PONG") co_return true;
      co_await sleep_for(20ms);
    }
    co_return false;
  }());
  EXPECT_TRUE(ok);
  c->close();
}

TEST(RedisStandalone, ReconnectsAfterServerKilledAndRestartedUnderLoad) {
  auto server = redis_process::start();
  ASSERT_TRUE(server);
  asio::io_context io;
  auto c = make_client(io.get_executor(), local(server->port()));
  int ok = 0, failed = 0, ok_after_restart = 0;
  bool restarted = false, stop = false;
  for (int w = 0; w < 20; ++w) {
    asio::co_spawn(
        io,
        [&]() -> awaitable<void> {
          const command cmd{"INCR", "load"};
          while (!stop) {
            auto r = co_await c->exec("load", cmd);
            if (r && r->is_integer()) {
              ++ok;
              if (restarted) ++ok_after_restart;
            } else {
              ++failed;
              co_await sleep_for(5ms);
            }
          }
        },
        asio::detached);
  }
  run(io, [&]() -> awaitable<int> {
    co_await sleep_for(200ms);
    server->kill();
    co_await sleep_for(100ms);
    EXPECT_TRUE(server->restart());
    restarted = true;
    for (int i = 0; i < 300 && ok_after_restart < 1000; ++i) co_await sleep_for(10ms);
    stop = true;
    co_await sleep_for(20ms);
    co_return 0;
  }());
  std::printf("kill+restart: %d ok, %d failed requests (while down), %d ok after restart\n", ok,
              failed, ok_after_restart);
  EXPECT_GE(ok_after_restart, 1000);
  c->close();
}

TEST(RedisStandalone, AuthenticatesAsAclUserAndRefusesWrongPassword) {
  auto server = redis_process::start(
      {"--user", "default", "off", "--user", "gatehouse", "on", ">s3cret", "~*", "+@all"});
  ASSERT_TRUE(server);
  asio::io_context io;
  auto cfg = local(server->port());
  cfg.username = "gatehouse";
  cfg.password = "s3cret";
  auto c = make_client(io.get_executor(), cfg);
  const command set{"SET", "acl", "yes"};
  auto r = run(io, c->exec("acl", set));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->str, "OK");
  c->close();

  cfg.password = "wrong";
  auto bad = make_client(io.get_executor(), cfg);
  auto refused = run(io, bad->exec("acl", set));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), errc::handshake);
  bad->close();
}

TEST(RedisStandalone, SelectsConfiguredDatabase) {
  auto server = redis_process::start();
  ASSERT_TRUE(server);
  asio::io_context io;
  auto cfg = local(server->port());
  cfg.database = 3;
  auto c = make_client(io.get_executor(), cfg);
  const command set{"SET", "where", "db3"};
  ASSERT_TRUE(run(io, c->exec("where", set)));
  EXPECT_EQ(server->cli("-n 3 GET where"), "db3\n");
  EXPECT_EQ(server->cli("-n 0 GET where"), "\n");
  c->close();
}

TEST(RedisStandalone, EvalshaFallsBackToEvalAfterScriptFlush) {
  auto server = redis_process::start();
  ASSERT_TRUE(server);
  asio::io_context io;
  auto c = make_client(io.get_executor(), local(server->port()));
  script s("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  std::string keys[] = {"k"};
  std::string args[] = {"5"};
  auto first = run(io, eval(*c, s, keys, args));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->integer, 5);
  EXPECT_EQ(server->cli("SCRIPT EXISTS " + s.sha1), "1\n");  // EVAL cached it
  server->cli("SCRIPT FLUSH");
  auto again = run(io, eval(*c, s, keys, args));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->integer, 10);
  c->close();
}

TEST(RedisStandalone, SubscriberReceivesMessagesAndResubscribesAfterRestart) {
  auto server = redis_process::start();
  ASSERT_TRUE(server);
  asio::io_context io;
  std::vector<std::string> got;
  auto sub =
      make_subscriber(io.get_executor(), local(server->port()), {"news"},
                      [&](std::string_view ch, std::string_view msg) { got.emplace_back(msg); });
  auto publish_until_received = [&](std::string msg) -> awaitable<bool> {
    for (int i = 0; i < 200; ++i) {
      for (auto& g : got) {
        if (g == msg) co_return true;
      }
      server->cli("PUBLISH news " + msg);
      co_await sleep_for(25ms);
    }
    co_return false;
  };
  EXPECT_TRUE(run(io, publish_until_received("hello")));
  ASSERT_TRUE(server->restart());
  EXPECT_TRUE(run(io, publish_until_received("again")));
  sub->close();
}

// TLS: only when this redis-server build has TLS (Debian's does).
TEST(RedisStandalone, TlsVerifiesCertificateAndServerName) {
  if (testing::shell("ldd $(command -v redis-server)").find("libssl") == std::string::npos) {
    GTEST_SKIP() << "redis-server built without TLS";
  }
  char tmpl[] = "/tmp/gh-redis-tls-XXXXXX";
  std::string d = ::mkdtemp(tmpl);
  std::string gen = "cd " + d +
                    " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt "
                    "-days 2 -subj /CN=gh-test-ca 2>/dev/null && "
                    "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr "
                    "-subj /CN=localhost 2>/dev/null && "
                    "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1' > san.ext && "
                    "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
                    "-out server.crt -days 2 -extfile san.ext 2>/dev/null && echo ok";
  ASSERT_EQ(testing::shell(gen), "ok\n");
  uint16_t tls_port = testing::free_port();
  auto server =
      redis_process::start({"--tls-port", std::to_string(tls_port), "--tls-cert-file",
                            d + "/server.crt", "--tls-key-file", d + "/server.key",
                            "--tls-ca-cert-file", d + "/ca.crt", "--tls-auth-clients", "no"});
  ASSERT_TRUE(server);
  ::setenv("SSL_CERT_FILE", (d + "/ca.crt").c_str(), 1);
  asio::io_context io;
  auto cfg = local(tls_port);
  cfg.ssl = true;
  cfg.ssl_verify = true;
  cfg.server_name = "localhost";
  auto c = make_client(io.get_executor(), cfg);
  const command set{"SET", "tls", "on"};
  auto r = run(io, c->exec("tls", set));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(server->cli("GET tls"), "on\n");
  c->close();

  cfg.server_name = "not-the-server.example";  // certificate does not name it
  auto wrong = make_client(io.get_executor(), cfg);
  auto refused = run(io, wrong->exec("tls", set));
  EXPECT_FALSE(refused);
  wrong->close();
  ::unsetenv("SSL_CERT_FILE");
  testing::shell("rm -rf '" + d + "'");
}

}  // namespace
}  // namespace gh::redis
