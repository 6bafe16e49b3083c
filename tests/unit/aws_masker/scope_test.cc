// consumer and global scopes against the real embedded store: tokens issued in one
// request are restored in later requests of the same scope — including tokens the later
// request does not contain — never in another scope; a store outage refuses with 503.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "plugins/aws-masker/plugin.h"
#include "store/embedded/embedded_store.h"

namespace gh::aws_masker {
namespace {

namespace js = boost::json;

std::shared_ptr<const plugin::Plugin> make(js::object config, std::shared_ptr<store::Store> store) {
  masker_factory f;
  std::vector<plugin::SchemaError> errors;
  f.validate(config, errors);
  EXPECT_TRUE(errors.empty());
  config::PluginInstance inst;
  inst.id = "scoped";
  inst.name = "aws-masker";
  inst.config = config;
  plugin::BuildContext bc;
  bc.store = std::move(store);
  return f.build(inst, bc);
}

struct exchange {
  plugin::Flow flow = plugin::Flow::next;
  int status = 0;
  std::string upstream_body;  // what the upstream would receive
  std::string client_body;    // the response after restoring
};

// One request/response through the plugin's phases, as the proxy runs them.
exchange run(const plugin::Plugin& p, const config::Consumer* consumer, std::string body,
             std::string response) {
  plugin::Context ctx;
  ctx.consumer = consumer;
  ctx.req.body = std::move(body);
  ctx.req.body_buffered = true;
  ctx.req.content_length = ctx.req.body.size();
  ctx.req.headers.set("Content-Type", "application/json");
  ctx.request_id = "req-scope";
  exchange x;
  boost::asio::io_context io;
  EXPECT_TRUE(p.waits());
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { x.flow = co_await p.access_async(ctx); },
      boost::asio::detached);
  io.run();
  x.status = ctx.exit_status();
  if (x.flow != plugin::Flow::next) return x;
  x.upstream_body = ctx.req.body;
  ctx.resp.status = 200;
  ctx.resp.headers.set("Content-Type", "application/json");
  p.header_filter(ctx);
  p.body_filter(ctx, response, true);
  x.client_body = response;
  return x;
}

const config::Consumer alice{"c-alice", "alice", "", {}};
const config::Consumer bob{"c-bob", "bob", "", {}};

TEST(Scope, ConsumerTokenIssuedEarlierIsRestoredInALaterRequestWithoutIt) {
  auto store = std::make_shared<store::embedded_store>();
  auto p = make(js::object{{"scope", "consumer"}}, store);
  auto first = run(*p, &alice, R"({"c":"i-0123456789abcdef0 and i-0123456789abcdef1"})", "{}");
  ASSERT_EQ(first.flow, plugin::Flow::next);
  EXPECT_EQ(first.upstream_body, R"({"c":"AWS_EC2_001 and AWS_EC2_002"})");
  // The later request mentions neither instance; the model's answer refers to both.
  auto later = run(*p, &alice, R"({"c":"what did I ask before?"})",
                   R"({"t":"AWS_EC2_002 then AWS_EC2_001"})");
  EXPECT_EQ(later.client_body, R"({"t":"i-0123456789abcdef1 then i-0123456789abcdef0"})");
  // The same value keeps its token across requests of the scope.
  auto again = run(*p, &alice, R"({"c":"i-0123456789abcdef1"})", "{}");
  EXPECT_EQ(again.upstream_body, R"({"c":"AWS_EC2_002"})");
}

TEST(Scope, AnotherConsumersTokensAreNeverRestored) {
  auto store = std::make_shared<store::embedded_store>();
  auto p = make(js::object{{"scope", "consumer"}}, store);
  run(*p, &alice, R"({"c":"i-0123456789abcdef0 10.0.0.5"})", "{}");
  auto b = run(*p, &bob, R"({"c":"hello"})", R"({"t":"AWS_EC2_001 AWS_PRIVATE_IP_001"})");
  EXPECT_EQ(b.client_body, R"({"t":"AWS_EC2_001 AWS_PRIVATE_IP_001"})");
  // Bob's own numbering is independent of Alice's.
  auto b2 = run(*p, &bob, R"({"c":"i-00000000000000009"})", R"({"t":"AWS_EC2_001"})");
  EXPECT_EQ(b2.upstream_body, R"({"c":"AWS_EC2_001"})");
  EXPECT_EQ(b2.client_body, R"({"t":"i-00000000000000009"})");
}

TEST(Scope, GlobalScopeIsSharedAcrossConsumers) {
  auto store = std::make_shared<store::embedded_store>();
  auto p = make(js::object{{"scope", "global"}}, store);
  auto a = run(*p, &alice, R"({"c":"vpc-0123456789abcdef0"})", "{}");
  EXPECT_EQ(a.upstream_body, R"({"c":"AWS_VPC_001"})");
  auto b = run(*p, &bob, R"({"c":"list"})", R"({"t":"AWS_VPC_001"})");
  EXPECT_EQ(b.client_body, R"({"t":"vpc-0123456789abcdef0"})");
  auto anon = run(*p, nullptr, R"({"c":"vpc-0123456789abcdef0"})", "{}");
  EXPECT_EQ(anon.upstream_body, R"({"c":"AWS_VPC_001"})");
}

TEST(Scope, ScopeRestoreLimitBoundsTheEarlierPairsLoaded) {
  auto store = std::make_shared<store::embedded_store>();
  auto p = make(js::object{{"scope", "consumer"}, {"scope_restore_limit", 2}}, store);
  run(*p, &alice, R"({"c":"i-00000001 i-00000002 i-00000003"})", "{}");
  auto later = run(*p, &alice, R"({"c":"?"})", R"({"t":"AWS_EC2_001 AWS_EC2_002 AWS_EC2_003"})");
  // Newest first: 003 and 002 are loaded, 001 is past the bound and stays a token.
  EXPECT_EQ(later.client_body, R"({"t":"AWS_EC2_001 i-00000002 i-00000003"})");
}

// A store whose backend is unreachable: every call fails, as the Redis store does when
// its server is down (the embedded store itself cannot fail).
class down_store final : public store::Store {
  template <class T>
  using r = store::result<T>;
  template <class T>
  static r<T> down() {
    return r<T>(boost::system::in_place_error,
                make_error_code(boost::system::errc::connection_refused));
  }

 public:
  store::awaitable<r<int64_t>> incr(std::string_view, int64_t, store::milliseconds) override {
    co_return down<int64_t>();
  }
  store::awaitable<r<store::limit_result>> limit(std::span<const store::window_spec>, int64_t,
                                                 store::window_algorithm, int64_t) override {
    co_return down<store::limit_result>();
  }
  store::awaitable<r<std::optional<std::string>>> get(std::string_view) override {
    co_return down<std::optional<std::string>>();
  }
  store::awaitable<r<std::vector<std::optional<std::string>>>> get_many(
      std::span<const std::string>) override {
    co_return down<std::vector<std::optional<std::string>>>();
  }
  store::awaitable<r<void>> set(std::string_view, std::string_view, store::milliseconds) override {
    co_return down<void>();
  }
  store::awaitable<r<bool>> set_if_absent(std::string_view, std::string_view,
                                          store::milliseconds) override {
    co_return down<bool>();
  }
  store::awaitable<r<bool>> compare_and_delete(std::string_view, std::string_view) override {
    co_return down<bool>();
  }
  store::awaitable<r<void>> del(std::string_view) override { co_return down<void>(); }
  store::awaitable<r<void>> append_events(std::string_view, std::span<const event_fields>,
                                          std::size_t) override {
    co_return down<void>();
  }
  std::string_view kind() const noexcept override { return "down"; }
};

TEST(Scope, StoreOutageRefusesWith503WhenFailClosedAndMasksPerRequestWhenOpen) {
  auto store = std::make_shared<down_store>();
  auto closed = make(js::object{{"scope", "consumer"}}, store);
  auto x = run(*closed, &alice, R"({"c":"i-0123456789abcdef0"})", "{}");
  EXPECT_EQ(x.flow, plugin::Flow::respond);
  EXPECT_EQ(x.status, 503);
  auto open = make(js::object{{"scope", "consumer"}, {"fail_closed", false}}, store);
  auto y = run(*open, &alice, R"({"c":"i-0123456789abcdef0"})", R"({"t":"AWS_EC2_001"})");
  EXPECT_EQ(y.flow, plugin::Flow::next);
  EXPECT_EQ(y.upstream_body, R"({"c":"AWS_EC2_001"})");  // never forwarded unmasked
  EXPECT_EQ(y.client_body, R"({"t":"i-0123456789abcdef0"})");
}

}  // namespace
}  // namespace gh::aws_masker
