#include "plugins/response-transformer/response_transformer.h"
#include "plugins/response-transformer/transforms.h"
#include "tests/unit/plugins/plugin_test_util.h"

using namespace gh;
using namespace gh::plugins::test;
using gh::plugin::Context;

namespace {

class ResponseTransformer : public ::testing::Test {
 protected:
  void respond(const plugin::Plugin& p, std::string content_type = "text/plain") {
    request(ctx, "GET", "/");
    ctx.resp.status = 200;
    ctx.resp.headers.add("Content-Type", content_type);
    ctx.resp.headers.add("Content-Length", "100");
    ctx.resp.headers.add("X-Old", "v1");
    ctx.resp.headers.add("X-Drop", "d");
    p.header_filter(ctx);
  }
  // Streams `chunks` through body_filter and returns what the client receives.
  std::string stream(const plugin::Plugin& p, std::vector<std::string> chunks) {
    std::string out;
    for (std::size_t i = 0; i < chunks.size(); ++i) {
      p.body_filter(ctx, chunks[i], i + 1 == chunks.size());
      out += chunks[i];
    }
    return out;
  }
  std::unique_ptr<plugin::Factory> factory = plugins::make_response_transformer_factory();
  Context ctx;
};

}  // namespace

TEST_F(ResponseTransformer, FactoryHasKongNamePriorityAndDefaults) {
  EXPECT_EQ(factory->name(), "response-transformer");
  EXPECT_EQ(factory->priority(), 800);
  boost::json::object c;
  EXPECT_TRUE(validate(*factory, "{}", &c).empty());
  EXPECT_EQ(c.at("add").at("headers"), boost::json::array{});
  EXPECT_EQ(c.at("remove").at("json"), boost::json::array{});
}

TEST_F(ResponseTransformer, PairsWithoutColonAndBadRenamesAreRefused) {
  EXPECT_EQ(error_for(validate(*factory, R"({"add":{"headers":["novalue"]}})"), "add.headers"),
            "invalid value: novalue");
  EXPECT_EQ(error_for(validate(*factory, R"({"rename":{"headers":["a:b c"]}})"), "rename.headers"),
            "'b c' is not a valid header");
  EXPECT_EQ(error_for(validate(*factory, R"({"add":{"json_types":["object"]}})"), "add.json_types"),
            "expected one of: boolean, number, string");
}

TEST_F(ResponseTransformer, HeadersRemoveRenameReplaceAddAppendInKongOrder) {
  auto p = build(*factory, R"({
    "remove": {"headers": ["X-Drop"]},
    "rename": {"headers": ["X-Old:X-New"]},
    "replace": {"headers": ["Content-Type:text/csv", "X-Absent:x"]},
    "add": {"headers": ["X-Added:1", "Content-Type:ignored"]},
    "append": {"headers": ["X-Added:2"]}
  })");
  EXPECT_EQ(p->response_body_mode(), plugin::BodyMode::none);  // headers only: body untouched
  respond(*p);
  auto& h = ctx.resp.headers;
  EXPECT_FALSE(h.has("X-Drop"));
  EXPECT_FALSE(h.has("X-Old"));
  EXPECT_EQ(h.get("X-New"), "v1");
  EXPECT_EQ(h.get("Content-Type"), "text/csv");
  EXPECT_FALSE(h.has("X-Absent"));
  auto added = h.get_all("X-Added");
  ASSERT_EQ(added.size(), 2u);
  EXPECT_EQ(added[0], "1");
  EXPECT_EQ(added[1], "2");
  EXPECT_EQ(h.get("Content-Length"), "100");  // no body transform configured
}

TEST_F(ResponseTransformer, AddSeesHeadersBeforeRemovalAsKongDoes) {
  auto p = build(*factory, R"({"remove":{"headers":["X-Drop"]},"add":{"headers":["X-Drop:new"]}})");
  respond(*p);
  EXPECT_FALSE(ctx.resp.headers.has("X-Drop"));
}

TEST_F(ResponseTransformer, JsonBodyTransformedAcrossChunksAndContentLengthRemoved) {
  auto p = build(*factory, R"({
    "remove": {"json": ["secret"]},
    "rename": {"json": ["old:new"]},
    "replace": {"json": ["count:7"], "json_types": ["number"]},
    "add": {"json": ["flag:true", "count:99"], "json_types": ["boolean", "number"]},
    "append": {"json": ["tags:b"]}
  })");
  EXPECT_EQ(p->response_body_mode(), plugin::BodyMode::stream);
  respond(*p, "application/json; charset=utf-8");
  EXPECT_FALSE(ctx.resp.headers.has("Content-Length"));
  std::string out = stream(*p, {R"({"secret":"s","old":1,)", R"("count":3,"tags":"a"})", ""});
  auto j = boost::json::parse(out).as_object();
  EXPECT_FALSE(j.contains("secret"));
  EXPECT_EQ(j.at("new"), 1);
  EXPECT_EQ(j.at("count"), 7);
  EXPECT_EQ(j.at("flag"), true);
  EXPECT_EQ(j.at("tags"), (boost::json::array{"a", "b"}));
}

TEST_F(ResponseTransformer, NonJsonBodyStreamsUnchanged) {
  auto p = build(*factory, R"({"add":{"json":["a:b"]}})");
  respond(*p, "text/html");
  EXPECT_EQ(ctx.resp.headers.get("Content-Length"), "100");
  EXPECT_EQ(stream(*p, {"<p>", "hi</p>", ""}), "<p>hi</p>");
}

TEST_F(ResponseTransformer, InvalidJsonBodyIsPassedThrough) {
  auto p = build(*factory, R"({"add":{"json":["a:b"]}})");
  respond(*p, "application/json");
  EXPECT_EQ(stream(*p, {"{not json", ""}), "{not json");
}

TEST(ResponseTransformerRules, IsJsonBodyRequiresExactMediaType) {
  using plugins::transform::is_json_body;
  EXPECT_TRUE(is_json_body("application/json"));
  EXPECT_TRUE(is_json_body("text/plain, application/JSON; charset=utf-8"));
  EXPECT_FALSE(is_json_body("application/vnd.api+json"));
  EXPECT_FALSE(is_json_body(""));
}

TEST(ResponseTransformerRules, SplitPairSkipsExtraColons) {
  auto p = plugins::transform::split_pair("X-A::v:1");
  EXPECT_EQ(p.name, "X-A");
  EXPECT_EQ(p.value, "v:1");
}
