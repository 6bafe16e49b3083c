#include "plugins/cors/cors.h"
#include "tests/unit/plugins/plugin_test_util.h"

using namespace gh;
using namespace gh::plugins::test;
using gh::plugin::Context;
using gh::plugin::Flow;

namespace {

class Cors : public ::testing::Test {
 protected:
  void preflight(std::string origin = "http://a.example") {
    request(ctx, "OPTIONS", "/");
    ctx.req.headers.add("Origin", origin);
    ctx.req.headers.add("Access-Control-Request-Method", "POST");
  }
  // A normal request through access + header_filter; returns the response headers.
  Headers& simple(const plugin::Plugin& p, std::string origin) {
    request(ctx, "GET", "/");
    if (!origin.empty()) ctx.req.headers.add("Origin", origin);
    EXPECT_EQ(p.access(ctx), Flow::next);
    ctx.resp.status = 200;
    p.header_filter(ctx);
    return ctx.resp.headers;
  }
  std::unique_ptr<plugin::Factory> factory = plugins::make_cors_factory();
  Context ctx;
};

}  // namespace

TEST_F(Cors, FactoryHasKongNamePriorityAndDefaults) {
  EXPECT_EQ(factory->name(), "cors");
  EXPECT_EQ(factory->priority(), 2000);
  boost::json::object c;
  EXPECT_TRUE(validate(*factory, "{}", &c).empty());
  EXPECT_EQ(c.at("methods").as_array().size(), 9u);
  EXPECT_EQ(c.at("credentials"), false);
  EXPECT_EQ(c.at("allow_origin_absent"), true);
}

TEST_F(Cors, InvalidRegexOriginAndMethodAreRefused) {
  EXPECT_EQ(error_for(validate(*factory, R"({"origins":["(bad"]})"), "origins"), "'(bad' is not a valid regex");
  EXPECT_EQ(error_for(validate(*factory, R"({"methods":["FETCH"]})"), "methods"),
            "expected one of: GET, HEAD, PUT, PATCH, POST, DELETE, OPTIONS, TRACE, CONNECT");
}

TEST_F(Cors, PreflightAnsweredByGatewayWith200AndAllowHeaders) {
  auto p = build(*factory, R"({"origins":["http://a.example","http://b.example"],"max_age":3600,"headers":["X-One","X-Two"]})");
  preflight();
  EXPECT_EQ(p->access(ctx), Flow::respond);
  EXPECT_EQ(ctx.exit_status(), 200);
  auto& h = ctx.exit_headers();
  EXPECT_EQ(h.get("Access-Control-Allow-Origin"), "http://a.example");
  EXPECT_EQ(h.get("Access-Control-Allow-Methods"), "GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT");
  EXPECT_EQ(h.get("Access-Control-Allow-Headers"), "X-One,X-Two");
  EXPECT_EQ(h.get("Access-Control-Max-Age"), "3600");
  EXPECT_EQ(h.get("Vary"), "Origin");
  EXPECT_TRUE(ctx.exit_body().empty());
}

TEST_F(Cors, PreflightEchoesRequestHeadersWhenHeadersNotConfigured) {
  auto p = build(*factory, "{}");
  preflight();
  ctx.req.headers.add("Access-Control-Request-Headers", "X-Custom");
  p->access(ctx);
  EXPECT_EQ(ctx.exit_headers().get("Access-Control-Allow-Headers"), "X-Custom");
  EXPECT_EQ(ctx.exit_headers().get("Access-Control-Allow-Origin"), "*");
}

TEST_F(Cors, PreflightContinueProxiesPreflightAndAddsNoHeaders) {
  auto p = build(*factory, R"({"preflight_continue":true})");
  preflight();
  EXPECT_EQ(p->access(ctx), Flow::next);
  p->header_filter(ctx);
  EXPECT_FALSE(ctx.resp.headers.has("Access-Control-Allow-Origin"));
}

TEST_F(Cors, OptionsWithoutRequestMethodIsNotAPreflight) {
  auto p = build(*factory, "{}");
  request(ctx, "OPTIONS", "/");
  ctx.req.headers.add("Origin", "http://a.example");
  EXPECT_EQ(p->access(ctx), Flow::next);
}

TEST_F(Cors, NoOriginsConfiguredAllowsAllWithStar) {
  auto p = build(*factory, "{}");
  auto& h = simple(*p, "http://x.example");
  EXPECT_EQ(h.get("Access-Control-Allow-Origin"), "*");
  EXPECT_FALSE(h.has("Vary"));
}

TEST_F(Cors, ExactOriginMatchIsEchoedWithVaryOrigin) {
  auto p = build(*factory, R"({"origins":["http://a.example","https://b.example:8443"]})");
  auto& h = simple(*p, "https://b.example:8443");
  EXPECT_EQ(h.get("Access-Control-Allow-Origin"), "https://b.example:8443");
  EXPECT_EQ(h.get("Vary"), "Origin");
}

TEST_F(Cors, DefaultPortIsNormalizedWhenComparingOrigins) {
  auto p = build(*factory, R"({"origins":["http://a.example:80","http://z.example"]})");
  EXPECT_EQ(simple(*p, "http://a.example").get("Access-Control-Allow-Origin"), "http://a.example");
}

TEST_F(Cors, UnlistedOriginGetsNoAllowOriginButVary) {
  auto p = build(*factory, R"({"origins":["http://a.example","http://b.example"]})");
  auto& h = simple(*p, "http://evil.example");
  EXPECT_FALSE(h.has("Access-Control-Allow-Origin"));
  EXPECT_EQ(h.get("Vary"), "Origin");
}

TEST_F(Cors, SingleFlatOriginIsSentWhateverTheRequestOrigin) {
  auto p = build(*factory, R"({"origins":["http://a.example"]})");
  EXPECT_EQ(simple(*p, "http://other.example").get("Access-Control-Allow-Origin"), "http://a.example");
}

TEST_F(Cors, RegexOriginMatchesHostAnchoredAtBothEnds) {
  auto p = build(*factory, R"({"origins":[".*\\.example\\.com"]})");
  EXPECT_EQ(simple(*p, "https://api.example.com").get("Access-Control-Allow-Origin"), "https://api.example.com");
  Context other;
  request(other, "GET", "/");
  other.req.headers.add("Origin", "https://api.example.com.evil.net");
  p->header_filter(other);
  EXPECT_FALSE(other.resp.headers.has("Access-Control-Allow-Origin"));
}

TEST_F(Cors, RegexWithColonMatchesWholeOrigin) {
  auto p = build(*factory, R"({"origins":["https://.*\\.example\\.com"]})");
  EXPECT_EQ(simple(*p, "https://x.example.com").get("Access-Control-Allow-Origin"), "https://x.example.com");
  Context other;
  request(other, "GET", "/");
  other.req.headers.add("Origin", "http://x.example.com");
  p->header_filter(other);
  EXPECT_FALSE(other.resp.headers.has("Access-Control-Allow-Origin"));
}

TEST_F(Cors, CredentialsWithStarEchoesOriginInstead) {
  auto p = build(*factory, R"({"credentials":true})");
  auto& h = simple(*p, "http://a.example");
  EXPECT_EQ(h.get("Access-Control-Allow-Origin"), "http://a.example");
  EXPECT_EQ(h.get("Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(h.get("Vary"), "Origin");
}

TEST_F(Cors, ExposedHeadersAreJoined) {
  auto p = build(*factory, R"({"exposed_headers":["X-A","X-B"]})");
  EXPECT_EQ(simple(*p, "http://a.example").get("Access-Control-Expose-Headers"), "X-A,X-B");
}

TEST_F(Cors, VaryOriginIsAddedNotReplacingUpstreamVary) {
  auto p = build(*factory, R"({"origins":["http://a.example","http://b.example"]})");
  request(ctx, "GET", "/");
  ctx.req.headers.add("Origin", "http://a.example");
  ctx.resp.headers.add("Vary", "Accept-Encoding");
  p->header_filter(ctx);
  EXPECT_EQ(ctx.resp.headers.count("Vary"), 2u);
}

TEST_F(Cors, AllowOriginAbsentFalseSkipsHeadersWithoutOrigin) {
  auto p = build(*factory, R"({"allow_origin_absent":false})");
  EXPECT_FALSE(simple(*p, "").has("Access-Control-Allow-Origin"));
  Context other;
  request(other, "GET", "/");
  build(*factory, "{}")->header_filter(other);
  EXPECT_EQ(other.resp.headers.get("Access-Control-Allow-Origin"), "*");
}

TEST_F(Cors, PrivateNetworkAllowedOnlyWhenRequested) {
  auto p = build(*factory, R"({"private_network":true})");
  preflight();
  ctx.req.headers.add("Access-Control-Request-Private-Network", "true");
  p->access(ctx);
  EXPECT_EQ(ctx.exit_headers().get("Access-Control-Allow-Private-Network"), "true");
}

TEST_F(Cors, HostileOriginAgainstBacktrackingRegexDoesNotMatchOrThrow) {
  auto p = build(*factory, R"({"origins":["(a+)+b","http://z.example"]})");
  request(ctx, "GET", "/");
  ctx.req.headers.add("Origin", std::string(5000, 'a'));
  EXPECT_NO_THROW(p->header_filter(ctx));
  EXPECT_FALSE(ctx.resp.headers.has("Access-Control-Allow-Origin"));
}
