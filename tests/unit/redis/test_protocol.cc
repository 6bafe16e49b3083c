// RESP parsing/encoding, cluster slots and the `redis` config block: no server needed.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "store/redis/client.h"
#include "store/redis/config.h"
#include "store/redis/reply.h"

namespace gh::redis {
namespace {

TEST(RespReader, ParsesNestedArraysErrorsNilsAcrossSplitFeeds) {
  resp_reader rd;
  std::string wire = "*3\r\n:42\r\n*2\r\n$3\r\nfoo\r\n$-1\r\n-ERR bad\r\n+OK\r\n";
  reply r;
  // Byte by byte: nothing is complete until the last byte of the array.
  for (std::size_t i = 0; i + 1 < wire.size() - 11; ++i) {
    ASSERT_TRUE(rd.feed(&wire[i], 1));
    ASSERT_EQ(rd.next(r), resp_reader::status::incomplete) << i;
  }
  ASSERT_TRUE(rd.feed(wire.data() + wire.size() - 12, 12));
  ASSERT_EQ(rd.next(r), resp_reader::status::ok);
  ASSERT_TRUE(r.is_array());
  ASSERT_EQ(r.elements.size(), 3u);
  EXPECT_EQ(r.elements[0].integer, 42);
  EXPECT_EQ(r.elements[1].elements[0].str, "foo");
  EXPECT_TRUE(r.elements[1].elements[1].is_nil());
  EXPECT_TRUE(r.elements[2].error_is("ERR"));
  ASSERT_EQ(rd.next(r), resp_reader::status::ok);
  EXPECT_EQ(r.type, reply::kind::status);
  EXPECT_EQ(r.str, "OK");
  EXPECT_EQ(rd.next(r), resp_reader::status::incomplete);
}

TEST(RespReader, RejectsBytesThatAreNotResp) {
  resp_reader rd;
  reply r;
  ASSERT_TRUE(rd.feed("?what\r\n", 7));
  EXPECT_EQ(rd.next(r), resp_reader::status::error);
}

TEST(Command, EncodesBinarySafeBulkStrings) {
  std::string out;
  command{"SET", std::string_view("k\0y", 3), "v"}.encode(out);
  const char expected[] = "*3\r\n$3\r\nSET\r\n$3\r\nk\0y\r\n$1\r\nv\r\n";
  EXPECT_EQ(out, std::string(expected, sizeof expected - 1));
}

TEST(KeySlot, MatchesRedisClusterSpecAndHashTags) {
  EXPECT_EQ(key_slot("123456789"), 0x31C3 & 16383);  // the spec's CRC16 check value
  EXPECT_EQ(key_slot("foo"), 12182);
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("user1000"));
  EXPECT_EQ(key_slot("foo{}{bar}"), key_slot("foo{}{bar}"));  // empty tag: whole key
  EXPECT_NE(key_slot("foo{}{bar}"), key_slot("bar"));
}

TEST(RedisConfig, FillsKongDefaultsAndParses) {
  auto obj = boost::json::parse(R"({"host":"redis.local"})").as_object();
  std::vector<gh::plugin::SchemaError> errors;
  validate_redis_config(obj, errors, "redis");
  ASSERT_TRUE(errors.empty());
  EXPECT_EQ(obj.at("port").as_int64(), 6379);
  EXPECT_EQ(obj.at("timeout").as_int64(), 2000);
  EXPECT_EQ(obj.at("database").as_int64(), 0);
  EXPECT_EQ(obj.at("ssl").as_bool(), false);
  auto cfg = parse_redis_config(obj);
  EXPECT_EQ(cfg.host, "redis.local");
  EXPECT_EQ(cfg.kind(), topology::standalone);
  EXPECT_EQ(cfg.cluster_max_redirections, 5);
}

TEST(RedisConfig, ReportsFieldErrorsUnderPrefix) {
  auto obj = boost::json::parse(
                 R"({"port":"x","timeout":-1,"ssl":"yes","sentinel_master":"m",
                     "cluster_nodes":[{"port":7000}],"sentinel_role":"boss"})")
                 .as_object();
  std::vector<gh::plugin::SchemaError> errors;
  validate_redis_config(obj, errors, "config.redis");
  auto has = [&](std::string_view field) {
    for (auto& e : errors) {
      if (e.field == field) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("config.redis.port"));
  EXPECT_TRUE(has("config.redis.timeout"));
  EXPECT_TRUE(has("config.redis.ssl"));
  EXPECT_TRUE(has("config.redis.sentinel_role"));
  EXPECT_TRUE(has("config.redis.sentinel_nodes"));  // master without nodes
  EXPECT_TRUE(has("config.redis.cluster_nodes.1.ip"));
  EXPECT_THROW(parse_redis_config(obj), std::runtime_error);
}

TEST(RedisConfig, TopologyFollowsFieldsAndIdentityHidesSecrets) {
  auto c = parse_redis_config(
      boost::json::parse(
          R"({"sentinel_master":"mymaster","sentinel_nodes":[{"host":"10.0.0.1","port":26379}],
          "password":"s3cret"})")
          .as_object());
  EXPECT_EQ(c.kind(), topology::sentinel);
  EXPECT_EQ(c.identity().find("s3cret"), std::string::npos);
  auto d = c;
  d.password = "other";
  EXPECT_NE(c.identity(), d.identity());
  auto k = parse_redis_config(
      boost::json::parse(R"({"cluster_nodes":[{"ip":"10.0.0.2","port":7000}]})").as_object());
  EXPECT_EQ(k.kind(), topology::cluster);
  EXPECT_EQ(k.cluster_nodes.front().port, 7000);
}

}  // namespace
}  // namespace gh::redis
