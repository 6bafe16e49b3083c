// JSON-aware masking and the streaming / SSE restorers.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "plugins/aws-masker/json_text.h"
#include "test_util.h"

namespace gh::aws_masker::test {
namespace {

std::string mask_json_body(std::string_view in, mask_map& map) {
  std::string out;
  mask_body(default_engine(), "application/json; charset=utf-8", true, in, map, out);
  return out;
}

TEST(JsonMask, RewritesOnlyStringContentsAndKeepsOtherBytes) {
  mask_map map;
  std::string in = "{ \"a\" :[1, 2.5e3,true,null, \"i-12345678\"],\n\t\"b\":{}}";
  EXPECT_EQ(mask_json_body(in, map),
            "{ \"a\" :[1, 2.5e3,true,null, \"AWS_EC2_001\"],\n\t\"b\":{}}");
}

TEST(JsonMask, FindsIdentifiersWrittenWithEscapes) {
  mask_map map;
  std::string in =
      R"({"t":"arn:aws:iam::123456789012:role\/Admin and \u0069-12345678 \"10.1.2.3\""})";
  std::string out = mask_json_body(in, map);
  EXPECT_EQ(out, R"({"t":"AWS_IAM_ROLE_001 and AWS_EC2_001 \"AWS_PRIVATE_IP_001\""})");
  EXPECT_TRUE(map.token_of("arn:aws:iam::123456789012:role/Admin").has_value());
  boost::system::error_code ec;
  boost::json::parse(out, ec);
  EXPECT_FALSE(ec);
}

TEST(JsonMask, MasksMemberNamesToo) {
  mask_map map;
  EXPECT_EQ(mask_json_body(R"({"i-12345678":{"State":"running"}})", map),
            R"({"AWS_EC2_001":{"State":"running"}})");
}

TEST(JsonMask, SkipsBase64ImageDataWhateverTheMemberOrder) {
  mask_map map;
  std::string in =
      R"({"content":[{"type":"image","source":{"data":"AKIAIOSFODNN7EXAMPLE","type":"base64","media_type":"image/png"}},)"
      R"({"type":"text","text":"AKIAIOSFODNN7EXAMPLE"}]})";
  std::string out = mask_json_body(in, map);
  EXPECT_NE(out.find(R"("data":"AKIAIOSFODNN7EXAMPLE")"), std::string::npos);
  EXPECT_NE(out.find(R"("text":"AWS_ACCESS_KEY_001")"), std::string::npos);
}

TEST(JsonMask, ContextKeysMaskWholeSecretValues) {
  mask_map map;
  std::string out = mask_json_body(
      R"({"Credentials":{"AccessKeyId":"ASIAY34FZKBOKMUTVV7A","SecretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","SessionToken":"AQoDYXdzEJr1K4EXAMPLEtokenEXAMPLEtoken"}})",
      map);
  EXPECT_EQ(
      out,
      R"({"Credentials":{"AccessKeyId":"AWS_ACCESS_KEY_001","SecretAccessKey":"AWS_SECRET_KEY_001","SessionToken":"AWS_SESSION_TOKEN_001"}})");
}

TEST(JsonMask, InvalidJsonFallsBackToRawMasking) {
  mask_map map;
  EXPECT_EQ(mask_json_body("{\"a\": i-12345678", map), "{\"a\": AWS_EC2_001");
}

TEST(StreamRestorer, UnknownTokensPassThroughUnchanged) {
  mask_map map;
  map.token_for("EC2", "i-12345678");
  EXPECT_EQ(restore_text("AWS_EC2_002 AWS_EC2_001 AWS_VPC_001 AWS_EC2_0012 AWS_EC2_001_x", map),
            "AWS_EC2_002 i-12345678 AWS_VPC_001 AWS_EC2_0012 i-12345678_x");
}

TEST(StreamRestorer, TokenSplitAtEveryByteIsRestoredAndHoldIsBounded) {
  mask_map map;
  map.token_for("IAM_ROLE", "arn:aws:iam::123456789012:role/R\"q");
  std::string in = "x AWS_IAM_ROLE_001 y AWS_IAM_ROLE_001";
  for (restore_escape esc : {restore_escape::none, restore_escape::json}) {
    stream_restorer r(&map, esc);
    std::string out;
    for (char c : in) {
      r.feed(std::string_view(&c, 1), out);
      EXPECT_LE(r.held(), map.max_token_length());
    }
    r.finish(out);
    std::string expect_value = esc == restore_escape::json ? "arn:aws:iam::123456789012:role/R\\\"q"
                                                           : "arn:aws:iam::123456789012:role/R\"q";
    EXPECT_EQ(out, "x " + expect_value + " y " + expect_value);
  }
}

TEST(StreamRestorer, SplitUtf8PassesThroughIntact) {
  mask_map map;
  map.token_for("EC2", "i-12345678");
  std::string in = "h\xC3\xA9llo \xF0\x9F\x98\x80 AWS_EC2_001";
  stream_restorer r(&map, restore_escape::none);
  std::string out;
  for (char c : in) r.feed(std::string_view(&c, 1), out);
  r.finish(out);
  EXPECT_EQ(out, "h\xC3\xA9llo \xF0\x9F\x98\x80 i-12345678");
}

std::string delta_event(int index, std::string_view type, std::string_view field,
                        std::string_view text) {
  std::string o = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":" +
                  std::to_string(index) + ",\"delta\":{\"type\":\"" + std::string(type) + "\",\"" +
                  std::string(field) + "\":\"";
  json_text::escape_append(text, o);
  return o + "\"}}\n\n";
}

// Concatenates the decoded text of every delta of block `index`.
std::string collect(std::string_view sse, int index, std::string_view field) {
  std::string all;
  std::size_t pos = 0;
  while ((pos = sse.find("data: ", pos)) != std::string_view::npos) {
    std::size_t end = sse.find('\n', pos);
    boost::json::value v = boost::json::parse(sse.substr(pos + 6, end - pos - 6));
    pos = end;
    const auto& o = v.as_object();
    if (o.at("type") != "content_block_delta" || o.at("index").as_int64() != index) continue;
    all += std::string(o.at("delta").as_object().at(field).as_string());
  }
  return all;
}

TEST(SseRestorer, TokenSplitAcrossDeltasEventsAndChunksIsRestored) {
  mask_map map;
  map.token_for("EC2", "i-0123456789abcdef0");
  map.token_for("SECRET_KEY", "a\"b/c");
  std::string sse =
      "event: message_start\ndata: {\"type\":\"message_start\"}\n\n" +
      delta_event(0, "text_delta", "text", "Instance AWS_E") +
      "event: ping\ndata: {\"type\": \"ping\"}\n\n" +
      delta_event(0, "text_delta", "text", "C2_00") +
      delta_event(1, "input_json_delta", "partial_json", "{\"k\": \"AWS_SECRET_") +
      delta_event(0, "text_delta", "text", "1 is up, AWS_EC2_001") +
      delta_event(1, "input_json_delta", "partial_json", "KEY_001\"}") +
      "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n" +
      "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n";
  for (std::size_t step : {1u, 3u, 7u, 64u, 100000u}) {
    sse_restorer r(&map);
    std::string out;
    for (std::size_t i = 0; i < sse.size(); i += step)
      r.feed(std::string_view(sse).substr(i, step), out);
    r.finish(out);
    EXPECT_EQ(collect(out, 0, "text"), "Instance i-0123456789abcdef0 is up, i-0123456789abcdef0")
        << step;
    EXPECT_EQ(collect(out, 1, "partial_json"), "{\"k\": \"a\\\"b/c\"}") << step;
    EXPECT_NE(out.find("event: ping"), std::string::npos);
  }
}

TEST(SseRestorer, DeltasInAnotherMemberOrderOrSpacingAreRestoredLikeTheCanonicalForm) {
  mask_map map;
  map.token_for("EC2", "i-0123456789abcdef0");
  // The fast path reads Anthropic's exact serialisation; these take the generic one.
  std::string sse =
      "event: content_block_delta\ndata: "
      "{\"index\":0,\"type\":\"content_block_delta\",\"delta\":{\"text\":\"at "
      "AWS_EC\",\"type\":\"text_delta\"}}\n\n"
      "event: content_block_delta\ndata: { \"type\": \"content_block_delta\", \"index\": 0, "
      "\"delta\": {\"type\": \"text_delta\", \"text\": \"2_001.\"} }\n\n"
      "event: content_block_delta\ndata: "
      "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":"
      "\" AWS_EC2_001\"}}\n\n"
      "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n";
  sse_restorer r(&map);
  std::string out;
  r.feed(sse, out);
  r.finish(out);
  EXPECT_EQ(collect(out, 0, "text"), "at i-0123456789abcdef0. i-0123456789abcdef0");
}

}  // namespace
}  // namespace gh::aws_masker::test
