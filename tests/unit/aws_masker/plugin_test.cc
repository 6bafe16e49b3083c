// The plugin's phases, driven directly with a gh::plugin::Context.
#include "plugins/aws-masker/plugin.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <boost/json.hpp>

#include "plugin/registry.h"

namespace gh::aws_masker {
namespace {

namespace js = boost::json;

std::shared_ptr<const plugin::Plugin> make(js::object config) {
  masker_factory f;
  std::vector<plugin::SchemaError> errors;
  f.validate(config, errors);
  EXPECT_TRUE(errors.empty()) << (errors.empty() ? "" : errors[0].field + ": " + errors[0].message);
  config::PluginInstance inst;
  inst.id = "p1";
  inst.name = "aws-masker";
  inst.config = config;
  return f.build(inst, {});
}

void set_request(plugin::Context& ctx, std::string body, std::string ct = "application/json") {
  ctx.req.body = std::move(body);
  ctx.req.body_buffered = true;
  ctx.req.content_length = ctx.req.body.size();
  ctx.req.headers.set("Content-Type", ct);
  ctx.req.headers.set("Content-Length", std::to_string(ctx.req.body.size()));
  ctx.req.headers.set("Accept-Encoding", "gzip, br");
  ctx.request_id = "req-1";
}

TEST(Plugin, SchemaFillsDefaultsAndRejectsBadFields) {
  masker_factory f;
  js::object c;
  std::vector<plugin::SchemaError> errors;
  f.validate(c, errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(c.at("scope"), "request");
  EXPECT_EQ(c.at("fail_closed"), true);
  EXPECT_EQ(c.at("json_aware"), true);
  js::object bad{{"scope", "planet"},
                 {"disabled_types", js::array{"NOPE"}},
                 {"custom_patterns", js::array{js::object{{"type", "X"}, {"pattern", "(oops"}}}}};
  errors.clear();
  f.validate(bad, errors);
  EXPECT_GE(errors.size(), 2u);
  EXPECT_EQ(f.priority(), 799);
}

TEST(Plugin, MasksBodyAndHeadersRequestsIdentityAndRestoresTheResponse) {
  auto p = make(js::object{{"mask_headers", js::array{"x-aws-instance"}}});
  plugin::Context ctx;
  set_request(ctx,
              R"({"messages":[{"role":"user","content":"why is i-0123456789abcdef0 down?"}]})");
  ctx.req.headers.set("X-AWS-Instance", "i-0123456789abcdef0");
  ASSERT_EQ(p->access(ctx), plugin::Flow::next);
  EXPECT_EQ(ctx.req.body, R"({"messages":[{"role":"user","content":"why is AWS_EC2_001 down?"}]})");
  EXPECT_EQ(ctx.req.headers.get("X-AWS-Instance").value_or(""), "AWS_EC2_001");
  EXPECT_EQ(ctx.req.headers.get("Accept-Encoding").value_or(""), "identity");
  EXPECT_EQ(ctx.req.headers.get("Content-Length").value_or(""),
            std::to_string(ctx.req.body.size()));

  ctx.resp.status = 200;
  ctx.resp.headers.set("Content-Type", "application/json");
  ctx.resp.headers.set("Content-Length", "40");
  p->header_filter(ctx);
  EXPECT_FALSE(ctx.resp.headers.has("Content-Length"));
  std::string a = R"({"text":"AWS_EC)", b = R"(2_001 and AWS_EC2_009"})", end;
  p->body_filter(ctx, a, false);
  p->body_filter(ctx, b, false);
  p->body_filter(ctx, end, true);
  EXPECT_EQ(a + b + end, R"({"text":"i-0123456789abcdef0 and AWS_EC2_009"})");
  p->log(ctx);
  const std::string metrics = render_metrics();
  EXPECT_NE(metrics.find("gatehouse_aws_masker_identifiers_total{type=\"EC2\"}"),
            std::string::npos);
  // Masking took some time, and it is counted.
  const std::string_view line = "\ngatehouse_aws_masker_mask_seconds_total ";
  const std::size_t at = metrics.find(line);
  ASSERT_NE(at, std::string::npos);
  EXPECT_GT(std::stod(metrics.substr(at + line.size())), 0.0);
}

// A body with nothing to mask goes on as it came: the same bytes (not a copy) and the
// same Content-Length; the response is still asked for identity-encoded.
TEST(Plugin, BodyWithNothingToMaskIsSentAsItCame) {
  auto p = make(js::object{});
  plugin::Context ctx;
  const std::string body = R"({"messages":[{"role":"user","content":"why is my build slow?"}]})";
  set_request(ctx, body);
  const char* const bytes = ctx.req.body.data();
  ASSERT_EQ(p->access(ctx), plugin::Flow::next);
  EXPECT_EQ(ctx.req.body, body);
  EXPECT_EQ(ctx.req.body.data(), bytes);
  EXPECT_EQ(ctx.req.headers.get("Content-Length").value_or(""), std::to_string(body.size()));
  EXPECT_EQ(ctx.req.headers.get("Accept-Encoding").value_or(""), "identity");
}

TEST(Plugin, RestoresAnSseResponse) {
  auto p = make({});
  plugin::Context ctx;
  set_request(ctx, R"({"c":"10.0.0.7"})");
  ASSERT_EQ(p->access(ctx), plugin::Flow::next);
  ctx.resp.headers.set("Content-Type", "text/event-stream; charset=utf-8");
  p->header_filter(ctx);
  std::string c1 =
      "event: content_block_delta\ndata: "
      "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":"
      "\"at AWS_PRIV";
  std::string c2 =
      "\"}}\n\nevent: content_block_delta\ndata: "
      "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":"
      "\"ATE_IP_001.\"}}\n\n";
  std::string c3;
  p->body_filter(ctx, c1, false);
  p->body_filter(ctx, c2, false);
  p->body_filter(ctx, c3, true);
  std::string all = c1 + c2 + c3;
  EXPECT_NE(all.find("10.0.0.7."), std::string::npos) << all;
  EXPECT_EQ(all.find("AWS_"), std::string::npos) << all;
}

TEST(Plugin, TokensTheCallerWasNotIssuedAreNotRestored) {
  auto p = make({});
  plugin::Context ctx;
  set_request(ctx, R"({"c":"nothing here"})");
  ASSERT_EQ(p->access(ctx), plugin::Flow::next);
  ctx.resp.headers.set("Content-Type", "application/json");
  p->header_filter(ctx);
  std::string body = R"({"t":"AWS_EC2_001"})";
  p->body_filter(ctx, body, true);
  EXPECT_EQ(body, R"({"t":"AWS_EC2_001"})");
}

TEST(Plugin, OversizedBodyIsRefusedWith413) {
  auto p = make(js::object{{"max_body_size", 10}});
  plugin::Context ctx;
  set_request(ctx, R"({"c":"i-0123456789abcdef0"})");
  EXPECT_EQ(p->access(ctx), plugin::Flow::respond);
  EXPECT_EQ(ctx.exit_status(), 413);
  EXPECT_NE(ctx.exit_body().find("\"request_id\":\"req-1\""), std::string::npos);
}

TEST(Plugin, UnsupportedOrBrokenEncodingIsRefusedWith415) {
  auto p = make({});
  for (const char* enc : {"br", "gzip"}) {
    plugin::Context ctx;
    set_request(ctx, "not really compressed i-0123456789abcdef0");
    ctx.req.headers.set("Content-Encoding", enc);
    EXPECT_EQ(p->access(ctx), plugin::Flow::respond) << enc;
    EXPECT_EQ(ctx.exit_status(), 415) << enc;
  }
}

TEST(Plugin, GzipBodyIsDecodedThenMasked) {
  std::string plain = R"({"c":"i-0123456789abcdef0"})";
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY);
  std::string gz(256, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(plain.data());
  zs.avail_in = static_cast<uInt>(plain.size());
  zs.next_out = reinterpret_cast<Bytef*>(gz.data());
  zs.avail_out = static_cast<uInt>(gz.size());
  deflate(&zs, Z_FINISH);
  gz.resize(gz.size() - zs.avail_out);
  deflateEnd(&zs);
  auto p = make({});
  plugin::Context ctx;
  set_request(ctx, gz);
  ctx.req.headers.set("Content-Encoding", "gzip");
  ASSERT_EQ(p->access(ctx), plugin::Flow::next);
  EXPECT_EQ(ctx.req.body, R"({"c":"AWS_EC2_001"})");
  EXPECT_FALSE(ctx.req.headers.has("Content-Encoding"));
}

class capture_sink : public event_sink {
 public:
  void submit(const std::string& stream, std::size_t, masking_event e) override {
    last_stream = stream;
    events.push_back(std::move(e));
  }
  std::string last_stream;
  std::vector<masking_event> events;
};

TEST(Plugin, MaskingEventCarriesCountsNeverOriginals) {
  auto sink = std::make_shared<capture_sink>();
  set_event_sink(sink);
  auto p = make(js::object{{"events", js::object{{"enabled", true}}}});
  plugin::Context ctx;
  set_request(ctx, R"({"c":"i-0123456789abcdef0 i-0123456789abcdef1 10.0.0.1"})");
  ASSERT_EQ(p->access(ctx), plugin::Flow::next);
  p->log(ctx);
  set_event_sink(nullptr);
  ASSERT_EQ(sink->events.size(), 1u);
  auto fields = to_fields(sink->events[0]);
  std::string all;
  for (auto& [k, v] : fields) all += k + "=" + v + ";";
  EXPECT_NE(all.find("request_id=req-1;"), std::string::npos);
  EXPECT_NE(all.find("count.EC2=2;"), std::string::npos);
  EXPECT_NE(all.find("count.PRIVATE_IP=1;"), std::string::npos);
  EXPECT_EQ(all.find("i-0123"), std::string::npos);
  EXPECT_EQ(all.find("10.0.0.1"), std::string::npos);
}

TEST(Plugin, RegistersUnderItsKongName) {
  plugin::Registry r;
  gh::plugins::register_aws_masker(r);
  EXPECT_NE(r.find("aws-masker"), nullptr);
}

}  // namespace
}  // namespace gh::aws_masker
