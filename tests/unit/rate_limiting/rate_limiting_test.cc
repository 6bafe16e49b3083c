#include "plugins/rate-limiting/periods.h"
#include "plugins/rate-limiting/rate_limiting.h"
#include "store/embedded/embedded_store.h"
#include "store/store_factory.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace gh::plugins {
namespace {

namespace json = boost::json;
using plugin::Context;
using plugin::Flow;

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A store whose backend is down: every call fails (what a Redis outage looks like).
class unreachable_store final : public store::Store {
  template <class T>
  static store::awaitable<store::result<T>> fail() {
    co_return store::result<T>(boost::system::in_place_error,
                               boost::system::errc::make_error_code(
                                   boost::system::errc::connection_refused));
  }

 public:
  store::awaitable<store::result<int64_t>> incr(std::string_view, int64_t,
                                                store::milliseconds) override {
    return fail<int64_t>();
  }
  store::awaitable<store::result<store::limit_result>> limit(std::span<const store::window_spec>,
                                                             int64_t, store::window_algorithm,
                                                             int64_t) override {
    return fail<store::limit_result>();
  }
  store::awaitable<store::result<std::optional<std::string>>> get(std::string_view) override {
    return fail<std::optional<std::string>>();
  }
  store::awaitable<store::result<std::vector<std::optional<std::string>>>> get_many(
      std::span<const std::string>) override {
    return fail<std::vector<std::optional<std::string>>>();
  }
  store::awaitable<store::result<void>> set(std::string_view, std::string_view,
                                            store::milliseconds) override {
    co_return boost::system::errc::make_error_code(boost::system::errc::connection_refused);
  }
  store::awaitable<store::result<bool>> set_if_absent(std::string_view, std::string_view,
                                                      store::milliseconds) override {
    return fail<bool>();
  }
  store::awaitable<store::result<bool>> compare_and_delete(std::string_view,
                                                           std::string_view) override {
    return fail<bool>();
  }
  store::awaitable<store::result<void>> del(std::string_view) override {
    co_return boost::system::errc::make_error_code(boost::system::errc::connection_refused);
  }
  store::awaitable<store::result<void>> append_events(std::string_view,
                                                      std::span<const event_fields>,
                                                      std::size_t) override {
    co_return boost::system::errc::make_error_code(boost::system::errc::connection_refused);
  }
  std::string_view kind() const noexcept override { return "unreachable"; }
};

struct rate_limiting_harness {
  std::shared_ptr<store::embedded_store> store = std::make_shared<store::embedded_store>();
  config::PluginInstance instance;

  std::shared_ptr<const plugin::Plugin> build(std::string_view config_json,
                                              std::shared_ptr<store::Store> s = nullptr) {
    instance.config = json::parse(config_json).as_object();
    std::vector<plugin::SchemaError> errors;
    rate_limiting_factory f;
    f.validate(instance.config, errors);
    EXPECT_TRUE(errors.empty()) << (errors.empty() ? "" : errors[0].field + ": " + errors[0].message);
    plugin::BuildContext bc;
    bc.store = s ? s : store;
    return f.build(instance, bc);
  }

  static std::unique_ptr<Context> request(std::string client_ip = "10.0.0.1") {
    auto ctx = std::make_unique<Context>();
    ctx->req.client_ip = std::move(client_ip);
    ctx->req.path = "/";
    ctx->request_id = "req-1";
    return ctx;
  }

  // Runs access as the chain does (a coroutine on an io_context when the plugin waits, a
  // plain call when its store answers at once), then header_filter when the request went on.
  static Flow run(const plugin::Plugin& p, Context& ctx, bool force_async = false) {
    boost::asio::io_context io;
    Flow out = Flow::next;
    if (p.waits() || force_async) {
      boost::asio::co_spawn(
          io, [&]() -> boost::asio::awaitable<void> { out = co_await p.access_async(ctx); },
          boost::asio::detached);
      io.run();
    } else {
      out = p.access(ctx);
    }
    if (out == Flow::next) {
      ctx.resp.status = 200;
      p.header_filter(ctx);
    }
    return out;
  }
};

TEST(RateLimiting, AdmitsUpToTheLimitWithKongHeadersThenAnswers429) {
  rate_limiting_harness h;
  auto p = h.build(R"({"minute": 3, "hour": 10, "limit_by": "ip"})");
  EXPECT_FALSE(p->waits());  // the embedded store answers at once: a plain call
  for (int i = 0; i < 3; ++i) {
    auto ctx = h.request();
    ASSERT_EQ(h.run(*p, *ctx), Flow::next);
    const auto& hd = ctx->resp.headers;
    EXPECT_EQ(hd.get("X-RateLimit-Limit-Minute"), "3");
    EXPECT_EQ(hd.get("X-RateLimit-Remaining-Minute"), std::to_string(2 - i));
    EXPECT_EQ(hd.get("X-RateLimit-Limit-Hour"), "10");
    EXPECT_EQ(hd.get("X-RateLimit-Remaining-Hour"), std::to_string(9 - i));
    EXPECT_EQ(hd.get("RateLimit-Limit"), "3");
    EXPECT_EQ(hd.get("RateLimit-Remaining"), std::to_string(2 - i));
    const int reset = std::stoi(std::string(*hd.get("RateLimit-Reset")));
    EXPECT_GE(reset, 1);
    EXPECT_LE(reset, 60);
    EXPECT_FALSE(hd.has("Retry-After"));
  }
  auto ctx = h.request();
  ASSERT_EQ(h.run(*p, *ctx), Flow::respond);
  EXPECT_EQ(ctx->exit_status(), 429);
  EXPECT_EQ(ctx->exit_body(), R"({"message":"API rate limit exceeded","request_id":"req-1"})");
  EXPECT_EQ(ctx->exit_headers().get("X-RateLimit-Remaining-Minute"), "0");
  EXPECT_EQ(ctx->exit_headers().get("X-RateLimit-Remaining-Hour"), "7");  // not charged
  EXPECT_EQ(ctx->exit_headers().get("RateLimit-Remaining"), "0");
  EXPECT_EQ(ctx->exit_headers().get("Retry-After"), ctx->exit_headers().get("RateLimit-Reset"));
}

TEST(RateLimiting, CountersUseKongsKeyFormat) {
  rate_limiting_harness h;
  h.instance.route_id = "route-1";
  auto p = h.build(R"({"minute": 5, "limit_by": "ip"})");
  const int64_t before = wall_ms();
  auto ctx = h.request("192.0.2.7");
  ASSERT_EQ(h.run(*p, *ctx), Flow::next);
  const int64_t start = rate_limiting::window_at(rate_limiting::period::minute, before).start_ms;
  const std::string key = "ratelimit:route-1:00000000-0000-0000-0000-000000000000:192.0.2.7:" +
                          std::to_string(start) + ":minute";
  if (rate_limiting::window_at(rate_limiting::period::minute, wall_ms()).start_ms == start) {
    EXPECT_EQ(h.store->get_now(key), "1");
  }
}

// Policy local keeps each plugin's last keys per thread (cached_windows): plugins of
// several routes alternating on one thread, more of them than the cache has entries, and
// clients alternating within one plugin must still count apart.
TEST(RateLimiting, AlternatingRoutesAndClientsOnOneThreadCountSeparately) {
  rate_limiting_harness h;
  std::vector<std::shared_ptr<const plugin::Plugin>> routes;
  for (int i = 0; i < 5; ++i) {
    h.instance.route_id = "route-" + std::to_string(i);
    routes.push_back(h.build(R"({"hour": 2, "limit_by": "ip"})"));
  }
  const int64_t hour = wall_ms() / 3'600'000;
  std::vector<Flow> seen;
  for (int round = 0; round < 3; ++round) {
    for (const auto& p : routes) {
      for (const char* ip : {"10.0.0.1", "10.0.0.2"}) {
        auto ctx = h.request(ip);
        seen.push_back(h.run(*p, *ctx));
      }
    }
  }
  if (wall_ms() / 3'600'000 != hour) return;  // an hour boundary passed: counts restarted
  for (std::size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i], i < 20 ? Flow::next : Flow::respond) << "request " << i;
  }
  EXPECT_EQ(h.store->stats().entries, 10u);  // one window per route and client
}

TEST(RateLimiting, ConsumerLimitFallsBackToCredentialThenClientIp) {
  rate_limiting_harness h;
  auto p = h.build(R"({"minute": 1})");
  config::Consumer alice;
  alice.id = "alice-id";
  auto a1 = h.request("10.0.0.1");
  a1->consumer = &alice;
  EXPECT_EQ(h.run(*p, *a1), Flow::next);
  auto a2 = h.request("10.0.0.2");  // another address, same consumer: counted together
  a2->consumer = &alice;
  EXPECT_EQ(h.run(*p, *a2), Flow::respond);
  auto cred = h.request("10.0.0.1");
  cred->credential_id = "cred-1";
  EXPECT_EQ(h.run(*p, *cred), Flow::next);
  auto anon = h.request("10.0.0.1");  // no consumer: the client address
  EXPECT_EQ(h.run(*p, *anon), Flow::next);
  auto anon2 = h.request("10.0.0.1");
  EXPECT_EQ(h.run(*p, *anon2), Flow::respond);
}

TEST(RateLimiting, HeaderAndPathLimitByUseTheValueOrFallBackToTheIp) {
  rate_limiting_harness h;
  auto by_header = h.build(R"({"minute": 1, "limit_by": "header", "header_name": "X-Tenant"})");
  auto t1 = h.request("10.0.0.1");
  t1->req.headers.add("X-Tenant", "blue");
  EXPECT_EQ(h.run(*by_header, *t1), Flow::next);
  auto t2 = h.request("10.0.0.9");
  t2->req.headers.add("x-tenant", "blue");
  EXPECT_EQ(h.run(*by_header, *t2), Flow::respond);
  auto none = h.request("10.0.0.9");
  EXPECT_EQ(h.run(*by_header, *none), Flow::next);

  rate_limiting_harness h2;
  auto by_path = h2.build(R"({"minute": 1, "limit_by": "path", "path": "/pay"})");
  auto p1 = h2.request("10.0.0.1");
  p1->req.path = "/pay";
  EXPECT_EQ(h2.run(*by_path, *p1), Flow::next);
  auto p2 = h2.request("10.0.0.2");
  p2->req.path = "/pay";
  EXPECT_EQ(h2.run(*by_path, *p2), Flow::respond);
  auto other = h2.request("10.0.0.2");
  other->req.path = "/other";
  EXPECT_EQ(h2.run(*by_path, *other), Flow::next);
}

TEST(RateLimiting, ServiceLimitIsSharedByAllClientsOfTheService) {
  rate_limiting_harness h;
  auto p = h.build(R"({"second": 1, "limit_by": "service"})");
  config::Service svc;
  svc.id = "svc-1";
  auto a = h.request("10.0.0.1");
  a->service = &svc;
  auto b = h.request("10.0.0.2");
  b->service = &svc;
  const int64_t second = wall_ms() / 1000;
  const Flow fa = h.run(*p, *a);
  const Flow fb = h.run(*p, *b);
  if (wall_ms() / 1000 == second) {
    EXPECT_EQ(fa, Flow::next);
    EXPECT_EQ(fb, Flow::respond);
  }
}

TEST(RateLimiting, HideClientHeadersSendsNoneEvenOnBlock) {
  rate_limiting_harness h;
  auto p = h.build(R"({"minute": 1, "limit_by": "ip", "hide_client_headers": true})");
  auto ok = h.request();
  ASSERT_EQ(h.run(*p, *ok), Flow::next);
  EXPECT_TRUE(ok->resp.headers.empty());
  auto blocked = h.request();
  ASSERT_EQ(h.run(*p, *blocked), Flow::respond);
  EXPECT_FALSE(blocked->exit_headers().has("Retry-After"));
  EXPECT_FALSE(blocked->exit_headers().has("RateLimit-Limit"));
}

TEST(RateLimiting, CustomErrorCodeAndMessage) {
  rate_limiting_harness h;
  auto p = h.build(
      R"({"minute": 1, "limit_by": "ip", "error_code": 503, "error_message": "slow down"})");
  auto ok = h.request();
  ASSERT_EQ(h.run(*p, *ok), Flow::next);
  auto blocked = h.request();
  ASSERT_EQ(h.run(*p, *blocked), Flow::respond);
  EXPECT_EQ(blocked->exit_status(), 503);
  EXPECT_EQ(blocked->exit_body(), R"({"message":"slow down","request_id":"req-1"})");
}

TEST(RateLimiting, FaultTolerantPassesWhenTheStoreIsDown) {
  rate_limiting_harness h;
  auto p = h.build(R"({"minute": 1, "limit_by": "ip"})", std::make_shared<unreachable_store>());
  for (int i = 0; i < 3; ++i) {
    auto ctx = h.request();
    EXPECT_EQ(h.run(*p, *ctx), Flow::next);
    EXPECT_FALSE(ctx->resp.headers.has("RateLimit-Limit"));
  }
}

TEST(RateLimiting, NotFaultTolerantAnswers500WhenTheStoreIsDown) {
  rate_limiting_harness h;
  auto p = h.build(R"({"minute": 1, "limit_by": "ip", "fault_tolerant": false})",
                   std::make_shared<unreachable_store>());
  auto ctx = h.request();
  ASSERT_EQ(h.run(*p, *ctx), Flow::respond);
  EXPECT_EQ(ctx->exit_status(), 500);
  EXPECT_EQ(ctx->exit_body(), R"({"message":"An unexpected error occurred","request_id":"req-1"})");
}

TEST(RateLimiting, RedisPolicyRefusesToBuildWithoutARedisStore) {
  store::set_redis_store_maker(nullptr);
  rate_limiting_harness h;
  h.instance.config =
      json::parse(R"({"minute": 1, "policy": "redis", "redis": {"host": "127.0.0.1"}})").as_object();
  std::vector<plugin::SchemaError> errors;
  rate_limiting_factory f;
  f.validate(h.instance.config, errors);
  ASSERT_TRUE(errors.empty());
  try {
    f.build(h.instance, {});
    FAIL() << "built without a Redis store";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("policy 'redis' is not available"), std::string::npos);
  }
}

TEST(RateLimiting, RedisPolicyUsesTheStoreFromTheRegisteredMaker) {
  auto remote = std::make_shared<store::embedded_store>();
  std::string seen_host;
  store::set_redis_store_maker([&](const json::object& redis) -> std::shared_ptr<store::Store> {
    seen_host = std::string(redis.at("host").as_string());
    return remote;
  });
  rate_limiting_harness h;
  auto p = h.build(R"({"minute": 1, "limit_by": "ip", "policy": "redis", "redis": {"host": "r1"}})");
  store::set_redis_store_maker(nullptr);
  EXPECT_EQ(seen_host, "r1");
  auto ctx = h.request();
  ASSERT_EQ(h.run(*p, *ctx), Flow::next);
  EXPECT_EQ(remote->stats().entries, 1u);
  EXPECT_EQ(h.store->stats().entries, 0u);
}

TEST(RateLimiting, SlidingAlgorithmLimitsAndUsesItsOwnKeys) {
  rate_limiting_harness h;
  h.instance.route_id = "r";
  auto p = h.build(R"({"minute": 2, "limit_by": "ip", "algorithm": "sliding"})");
  auto a = h.request("10.1.1.1");
  auto b = h.request("10.1.1.1");
  auto c = h.request("10.1.1.1");
  EXPECT_EQ(h.run(*p, *a), Flow::next);
  EXPECT_EQ(h.run(*p, *b), Flow::next);
  EXPECT_EQ(h.run(*p, *c), Flow::respond);
  EXPECT_TRUE(h.store->get_now(
      "ratelimit:r:00000000-0000-0000-0000-000000000000:10.1.1.1:sliding:minute"));
  const int retry = std::stoi(std::string(*c->exit_headers().get("Retry-After")));
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, 120);
}

// Kong issue 5311: concurrent requests must not all see the same count. 200 requests in
// flight at once on 4 worker threads against 100/minute: exactly 100 pass.
TEST(RateLimiting, TwoHundredConcurrentClientsGetExactlyOneHundredSuccesses) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    rate_limiting_harness h;
    h.instance.route_id = "route-" + std::to_string(attempt);
    auto p = h.build(R"({"minute": 100, "limit_by": "ip"})");
    const int64_t minute_before = wall_ms() / 60'000;
    std::atomic<int> passed{0}, blocked{0};
    std::vector<std::thread> workers;
    for (int w = 0; w < 4; ++w) {
      workers.emplace_back([&] {
        boost::asio::io_context io;
        std::vector<std::unique_ptr<Context>> ctxs;
        for (int i = 0; i < 50; ++i) {
          ctxs.push_back(rate_limiting_harness::request("10.9.0.1"));
          Context& ctx = *ctxs.back();
          boost::asio::co_spawn(
              io,
              [&]() -> boost::asio::awaitable<void> {
                Flow f = co_await p->access_async(ctx);
                (f == Flow::next ? passed : blocked).fetch_add(1);
              },
              boost::asio::detached);
        }
        io.run();
      });
    }
    for (auto& t : workers) t.join();
    if (wall_ms() / 60'000 != minute_before) continue;  // straddled a minute: try again
    EXPECT_EQ(passed.load(), 100);
    EXPECT_EQ(blocked.load(), 100);
    return;
  }
  FAIL() << "every attempt straddled a minute boundary";
}

TEST(RateLimiting, PlainAndCoroutineAccessCountTheSameWindows) {
  rate_limiting_harness h;
  auto p = h.build(R"({"minute": 3, "limit_by": "ip"})");
  ASSERT_FALSE(p->waits());
  for (int i = 0; i < 3; ++i) {
    auto ctx = h.request();
    ASSERT_EQ(h.run(*p, *ctx, /*force_async=*/i == 1), Flow::next);
    EXPECT_EQ(ctx->resp.headers.get("X-RateLimit-Remaining-Minute"), std::to_string(2 - i));
  }
  auto ctx = h.request();
  EXPECT_EQ(h.run(*p, *ctx, /*force_async=*/true), Flow::respond);
  EXPECT_EQ(ctx->exit_headers().get("X-RateLimit-Remaining-Minute"), "0");
}

TEST(RateLimiting, WaitsWhenItsStoreCannotAnswerAtOnce) {
  rate_limiting_harness h;
  auto p = h.build(R"({"minute": 3, "limit_by": "ip"})", std::make_shared<unreachable_store>());
  EXPECT_TRUE(p->waits());
}

}  // namespace
}  // namespace gh::plugins
