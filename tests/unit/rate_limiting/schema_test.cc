#include "plugins/rate-limiting/rate_limiting.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace gh::plugins {
namespace {

namespace json = boost::json;

std::vector<plugin::SchemaError> validate(json::object& c) {
  std::vector<plugin::SchemaError> errors;
  rate_limiting_factory().validate(c, errors);
  return errors;
}

std::vector<plugin::SchemaError> validate_text(std::string_view text) {
  json::object c = json::parse(text).as_object();
  return validate(c);
}

bool has_error(const std::vector<plugin::SchemaError>& errors, std::string_view field,
               std::string_view message) {
  for (const auto& e : errors) {
    if (e.field == field && e.message == message) return true;
  }
  return false;
}

TEST(RateLimitingSchema, FillsKongDefaults) {
  json::object c = json::parse(R"({"minute": 10})").as_object();
  ASSERT_TRUE(validate(c).empty());
  EXPECT_EQ(c.at("limit_by"), "consumer");
  EXPECT_EQ(c.at("policy"), "local");
  EXPECT_EQ(c.at("fault_tolerant"), true);
  EXPECT_EQ(c.at("hide_client_headers"), false);
  EXPECT_EQ(c.at("error_code").to_number<double>(), 429);
  EXPECT_EQ(c.at("error_message"), "API rate limit exceeded");
  EXPECT_EQ(c.at("sync_rate").to_number<double>(), -1);
  EXPECT_EQ(c.at("algorithm"), "fixed");
  EXPECT_EQ(c.at("redis").at("port").to_number<int>(), 6379);
  EXPECT_EQ(c.at("redis").at("timeout").to_number<int>(), 2000);
  EXPECT_EQ(c.at("redis").at("database").to_number<int>(), 0);
}

TEST(RateLimitingSchema, RequiresAtLeastOnePeriod) {
  auto e = validate_text(R"({"limit_by": "ip"})");
  EXPECT_TRUE(has_error(e, "@entity",
                        "at least one of these fields must be non-empty: 'config.second', "
                        "'config.minute', 'config.hour', 'config.day', 'config.month', "
                        "'config.year'"));
}

TEST(RateLimitingSchema, RefusesAHigherPeriodWithALowerLimit) {
  auto e = validate_text(R"({"second": 10, "minute": 5})");
  EXPECT_TRUE(has_error(e, "@entity",
                        "The limit for minute(5.0) cannot be lower than the limit for second(10.0)"));
  EXPECT_TRUE(validate_text(R"({"second": 5, "minute": 5, "year": 100})").empty());
}

TEST(RateLimitingSchema, PeriodsMustBePositiveNumbers) {
  EXPECT_TRUE(has_error(validate_text(R"({"minute": 0})"), "minute", "value must be greater than 0"));
  EXPECT_TRUE(has_error(validate_text(R"({"minute": "ten"})"), "minute", "expected a number"));
}

TEST(RateLimitingSchema, ClusterPolicyIsRefusedInDbLessMode) {
  EXPECT_TRUE(has_error(validate_text(R"({"minute": 1, "policy": "cluster"})"), "policy",
                        "expected one of: local, redis"));
}

TEST(RateLimitingSchema, HeaderAndPathLimitByNeedTheirField) {
  EXPECT_TRUE(has_error(validate_text(R"({"minute": 1, "limit_by": "header"})"), "header_name",
                        "required field missing"));
  EXPECT_TRUE(has_error(validate_text(R"({"minute": 1, "limit_by": "path"})"), "path",
                        "required field missing"));
  EXPECT_TRUE(
      validate_text(R"({"minute": 1, "limit_by": "header", "header_name": "X-Tenant"})").empty());
  EXPECT_FALSE(validate_text(R"({"minute": 1, "limit_by": "path", "path": "nope"})").empty());
  EXPECT_TRUE(has_error(validate_text(R"({"minute": 1, "limit_by": "user"})"), "limit_by",
                        "expected one of: consumer, credential, ip, service, header, path"));
}

TEST(RateLimitingSchema, RedisPolicyNeedsAHost) {
  EXPECT_TRUE(has_error(validate_text(R"({"minute": 1, "policy": "redis"})"), "redis.host",
                        "required field missing"));
  EXPECT_TRUE(
      validate_text(R"({"minute": 1, "policy": "redis", "redis": {"host": "127.0.0.1"}})").empty());
}

TEST(RateLimitingSchema, DeprecatedFlatRedisFieldsMoveIntoTheRecord) {
  json::object c = json::parse(
      R"({"minute": 1, "policy": "redis", "redis_host": "r.local", "redis_port": 6380})")
                       .as_object();
  ASSERT_TRUE(validate(c).empty());
  EXPECT_EQ(c.at("redis").at("host"), "r.local");
  EXPECT_EQ(c.at("redis").at("port").to_number<int>(), 6380);
  EXPECT_FALSE(c.contains("redis_host"));
}

TEST(RateLimitingSchema, AcceptsSentinelAndClusterFields) {
  EXPECT_TRUE(validate_text(R"({"minute": 1, "policy": "redis", "redis": {"host": "h",
      "sentinel_master": "m", "sentinel_role": "master",
      "sentinel_nodes": [{"host": "s1", "port": 26379}],
      "cluster_nodes": [{"ip": "10.0.0.1", "port": 7000}], "cluster_max_redirections": 3}})")
                  .empty());
  EXPECT_FALSE(
      validate_text(R"({"minute": 1, "redis": {"sentinel_role": "primary"}})").empty());
}

TEST(RateLimitingSchema, SyncRateFollowsKongsRules) {
  EXPECT_TRUE(has_error(validate_text(R"({"minute": 1, "sync_rate": 1})"), "@entity",
                        "sync_rate can only be used with the redis policy"));
  EXPECT_TRUE(has_error(
      validate_text(R"({"minute": 1, "policy": "redis", "redis": {"host": "h"}, "sync_rate": 0.01})"),
      "@entity", "sync_rate must be greater than 0.02, or -1 to disable"));
}

TEST(RateLimitingSchema, AlgorithmIsFixedOrSliding) {
  EXPECT_TRUE(validate_text(R"({"minute": 1, "algorithm": "sliding"})").empty());
  EXPECT_TRUE(has_error(validate_text(R"({"minute": 1, "algorithm": "leaky"})"), "algorithm",
                        "expected one of: fixed, sliding"));
}

TEST(RateLimitingSchema, UnknownFieldsAreRefused) {
  EXPECT_TRUE(has_error(validate_text(R"({"minute": 1, "minutes": 2})"), "minutes", "unknown field"));
}

}  // namespace
}  // namespace gh::plugins
