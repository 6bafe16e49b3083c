#include "plugins/request-size-limiting/request_size_limiting.h"
#include "tests/unit/plugins/plugin_test_util.h"

using namespace gh;
using namespace gh::plugins::test;
using gh::plugin::Context;
using gh::plugin::Flow;

namespace {

class RequestSizeLimiting : public ::testing::Test {
 protected:
  std::unique_ptr<plugin::Factory> factory = plugins::make_request_size_limiting_factory();
  Context ctx;
};

}  // namespace

TEST_F(RequestSizeLimiting, FactoryHasKongNamePriorityAndDefaults) {
  EXPECT_EQ(factory->name(), "request-size-limiting");
  EXPECT_EQ(factory->priority(), 951);
  boost::json::object c;
  EXPECT_TRUE(validate(*factory, "{}", &c).empty());
  EXPECT_EQ(c.at("allowed_payload_size"), 128);
  EXPECT_EQ(c.at("size_unit"), "megabytes");
  EXPECT_EQ(c.at("require_content_length"), false);
}

TEST_F(RequestSizeLimiting, BadSizeUnitAndSizeAreRefused) {
  EXPECT_EQ(error_for(validate(*factory, R"({"size_unit":"gigabytes"})"), "size_unit"),
            "expected one of: megabytes, kilobytes, bytes");
  EXPECT_EQ(error_for(validate(*factory, R"({"allowed_payload_size":1.5})"), "allowed_payload_size"),
            "expected an integer");
}

TEST_F(RequestSizeLimiting, ContentLengthOverLimitAnswers413) {
  auto p = build(*factory, R"({"allowed_payload_size":10,"size_unit":"bytes"})");
  request(ctx, "POST", "/");
  ctx.req.content_length = 11;
  EXPECT_EQ(p->access(ctx), Flow::respond);
  EXPECT_EQ(ctx.exit_status(), 413);
  EXPECT_EQ(exit_message(ctx), "Request size limit exceeded");
}

TEST_F(RequestSizeLimiting, ContentLengthAtLimitPasses) {
  auto p = build(*factory, R"({"allowed_payload_size":10,"size_unit":"bytes"})");
  request(ctx, "POST", "/");
  ctx.req.headers.add("Content-Length", "10");
  EXPECT_EQ(p->access(ctx), Flow::next);
}

TEST_F(RequestSizeLimiting, ExpectContinueOverLimitAnswers417) {
  auto p = build(*factory, R"({"allowed_payload_size":1,"size_unit":"kilobytes"})");
  request(ctx, "POST", "/");
  ctx.req.content_length = 1025;
  ctx.req.headers.add("Expect", " 100-Continue ");
  EXPECT_EQ(p->access(ctx), Flow::respond);
  EXPECT_EQ(ctx.exit_status(), 417);
}

TEST_F(RequestSizeLimiting, MegabyteIs1048576Bytes) {
  auto p = build(*factory, R"({"allowed_payload_size":1})");
  request(ctx, "POST", "/");
  ctx.req.content_length = 1048576;
  EXPECT_EQ(p->access(ctx), Flow::next);
  Context over;
  request(over, "POST", "/");
  over.req.content_length = 1048577;
  EXPECT_EQ(p->access(over), Flow::respond);
}

TEST_F(RequestSizeLimiting, RequireContentLengthAnswers411WithoutOne) {
  auto p = build(*factory, R"({"require_content_length":true})");
  request(ctx, "POST", "/");
  EXPECT_EQ(p->access(ctx), Flow::respond);
  EXPECT_EQ(ctx.exit_status(), 411);
  EXPECT_EQ(exit_message(ctx), "A valid Content-Length header is required");
}

TEST_F(RequestSizeLimiting, RequireContentLengthLetsChunkedThrough) {
  auto p = build(*factory, R"({"require_content_length":true})");
  request(ctx, "POST", "/");
  ctx.req.chunked = true;
  EXPECT_EQ(p->access(ctx), Flow::next);
}

TEST_F(RequestSizeLimiting, ChunkedBodyIsCutOffWhileStreamingOnceOverLimit) {
  auto p = build(*factory, R"({"allowed_payload_size":10,"size_unit":"bytes"})");
  EXPECT_EQ(p->request_body_mode(), plugin::BodyMode::stream);
  request(ctx, "POST", "/");
  ctx.req.chunked = true;
  ASSERT_EQ(p->access(ctx), Flow::next);
  EXPECT_EQ(p->request_body_filter(ctx, "123456", false), Flow::next);
  EXPECT_EQ(p->request_body_filter(ctx, "7890", false), Flow::next);
  EXPECT_EQ(p->request_body_filter(ctx, "X", false), Flow::respond);
  EXPECT_EQ(ctx.exit_status(), 413);
}
