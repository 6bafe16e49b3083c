#include "plugins/request-termination/request_termination.h"
#include "tests/unit/plugins/plugin_test_util.h"

using namespace gh;
using namespace gh::plugins::test;
using gh::plugin::Context;
using gh::plugin::Flow;

namespace {

class RequestTermination : public ::testing::Test {
 protected:
  std::unique_ptr<plugin::Factory> factory = plugins::make_request_termination_factory();
  Context ctx;
};

}  // namespace

TEST_F(RequestTermination, FactoryHasKongNamePriorityAndDefaults) {
  EXPECT_EQ(factory->name(), "request-termination");
  EXPECT_EQ(factory->priority(), 2);
  boost::json::object c;
  EXPECT_TRUE(validate(*factory, "{}", &c).empty());
  EXPECT_EQ(c.at("status_code"), 503);
  EXPECT_EQ(c.at("echo"), false);
}

TEST_F(RequestTermination, SchemaErrorsUseKongWording) {
  EXPECT_EQ(error_for(validate(*factory, R"({"status_code":600})"), "status_code"),
            "value should be between 100 and 599");
  EXPECT_EQ(error_for(validate(*factory, R"({"message":"m","body":"b"})"), ""),
            "message cannot be used with content_type or body");
  EXPECT_EQ(error_for(validate(*factory, R"({"content_type":"text/plain"})"), ""),
            "content_type requires a body");
  EXPECT_EQ(error_for(validate(*factory, R"({"echo":true,"body":"b"})"), ""),
            "echo cannot be used with content_type and body");
}

TEST_F(RequestTermination, DefaultAnswers503ServiceUnavailable) {
  auto p = build(*factory, "{}");
  request(ctx, "GET", "/");
  EXPECT_EQ(p->access(ctx), Flow::respond);
  EXPECT_EQ(ctx.exit_status(), 503);
  EXPECT_EQ(ctx.exit_body(), R"({"message":"Service unavailable"})");
  EXPECT_EQ(ctx.exit_headers().get("Content-Type"), "application/json; charset=utf-8");
}

TEST_F(RequestTermination, StatusWithoutDefaultMessageHasEmptyBody) {
  auto p = build(*factory, R"({"status_code":418})");
  request(ctx, "GET", "/");
  p->access(ctx);
  EXPECT_EQ(ctx.exit_status(), 418);
  EXPECT_TRUE(ctx.exit_body().empty());
}

TEST_F(RequestTermination, CustomMessage) {
  auto p = build(*factory, R"({"status_code":403,"message":"Go away"})");
  request(ctx, "GET", "/");
  p->access(ctx);
  EXPECT_EQ(ctx.exit_status(), 403);
  EXPECT_EQ(ctx.exit_body(), R"({"message":"Go away"})");
}

TEST_F(RequestTermination, RawBodyWithContentType) {
  auto p = build(*factory, R"({"status_code":200,"body":"<h1>hi</h1>","content_type":"text/html"})");
  request(ctx, "GET", "/");
  p->access(ctx);
  EXPECT_EQ(ctx.exit_body(), "<h1>hi</h1>");
  EXPECT_EQ(ctx.exit_headers().get("Content-Type"), "text/html");
}

TEST_F(RequestTermination, TriggerOnlyTerminatesWhenHeaderOrQueryPresent) {
  auto p = build(*factory, R"({"trigger":"x-debug"})");
  request(ctx, "GET", "/");
  EXPECT_EQ(p->access(ctx), Flow::next);
  Context by_header;
  request(by_header, "GET", "/");
  by_header.req.headers.add("X-Debug", "1");
  EXPECT_EQ(p->access(by_header), Flow::respond);
  Context by_query;
  request(by_query, "GET", "/", "x-debug");
  EXPECT_EQ(p->access(by_query), Flow::respond);
}

TEST_F(RequestTermination, EchoReturnsTheRequestAsJson) {
  auto p = build(*factory, R"({"status_code":200,"echo":true})");
  EXPECT_EQ(p->request_body_mode(), plugin::BodyMode::buffered);
  request(ctx, "POST", "/echo", "a=1&a=2&b");
  ctx.req.headers.add("X-Test", "yes");
  ctx.req.body = "payload";
  ctx.req.body_buffered = true;
  EXPECT_EQ(p->access(ctx), Flow::respond);
  auto j = body_json(ctx);
  auto& req = j.at("request").as_object();
  EXPECT_EQ(req.at("method"), "POST");
  EXPECT_EQ(req.at("path"), "/echo");
  EXPECT_EQ(req.at("headers").at("x-test"), "yes");
  EXPECT_EQ(req.at("query").at("a"), (boost::json::array{"1", "2"}));
  EXPECT_EQ(req.at("query").at("b"), true);
  EXPECT_EQ(req.at("raw_body"), "payload");
}
