#include "plugin/schema/schema.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <limits>

namespace json = boost::json;
using namespace gh::plugin::schema;
using gh::plugin::SchemaError;

namespace {

std::vector<SchemaError> run(const Schema& s, json::object& c) {
  std::vector<SchemaError> errors;
  s.validate(c, errors);
  return errors;
}

const Schema& sample() {
  static const Schema s = [] {
    Schema s({
        {"count", Field::integer().required().default_value(5).between(1, 10)},
        {"mode", Field::string().default_value("a").one_of({"a", "b"})},
        {"flag", Field::boolean()},
        {"names", Field::set(Field::string())},
        {"limit", Field::number().gt(0)},
        {"redis", Field::record({{"host", Field::string()}, {"port", Field::integer().default_value(6379)}})},
        {"must", Field::string().required()},
    });
    s.at_least_one_of({"flag", "limit"});
    return s;
  }();
  return s;
}

}  // namespace

TEST(PluginSchema, FillsDefaultsIncludingNestedRecordDefaults) {
  json::object c{{"must", "x"}, {"flag", true}};
  EXPECT_TRUE(run(sample(), c).empty());
  EXPECT_EQ(c.at("count").as_int64(), 5);
  EXPECT_EQ(c.at("mode").as_string(), "a");
  EXPECT_EQ(c.at("redis").at("port").as_int64(), 6379);
}

TEST(PluginSchema, ReportsKongWordingsForEachViolation) {
  json::object c{{"count", 1.5}, {"mode", "c"}, {"flag", "yes"}, {"limit", 0}, {"bogus", 1}};
  auto errors = run(sample(), c);
  auto msg = [&](std::string_view f) {
    for (auto& e : errors)
      if (e.field == f) return e.message;
    return std::string();
  };
  EXPECT_EQ(msg("count"), "expected an integer");
  EXPECT_EQ(msg("mode"), "expected one of: a, b");
  EXPECT_EQ(msg("flag"), "expected a boolean");
  EXPECT_EQ(msg("limit"), "value must be greater than 0");
  EXPECT_EQ(msg("bogus"), "unknown field");
  EXPECT_EQ(msg("must"), "required field missing");
}

TEST(PluginSchema, BetweenUsesIntegerBoundsInMessage) {
  json::object c{{"count", 11}, {"must", "x"}, {"flag", true}};
  auto errors = run(sample(), c);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "value should be between 1 and 10");
}

TEST(PluginSchema, EmptyStringIsRefusedLikeKong) {
  json::object c{{"must", ""}, {"flag", true}};
  auto errors = run(sample(), c);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "must");
  EXPECT_EQ(errors[0].message, "length must be at least 1");
}

TEST(PluginSchema, NestedFieldErrorsUseDottedPath) {
  json::object c{{"must", "x"}, {"flag", true}, {"redis", {{"port", "x"}}}};
  auto errors = run(sample(), c);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "redis.port");
  EXPECT_EQ(errors[0].message, "expected an integer");
}

TEST(PluginSchema, SetDropsDuplicatesAndArrayTypeIsChecked) {
  json::object c{{"must", "x"}, {"flag", true}, {"names", json::array{"a", "b", "a"}}};
  EXPECT_TRUE(run(sample(), c).empty());
  EXPECT_EQ(c.at("names").as_array().size(), 2u);
  json::object bad{{"must", "x"}, {"flag", true}, {"names", "a"}};
  auto errors = run(sample(), bad);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "expected a set");
}

TEST(PluginSchema, EntityCheckAtLeastOneOfNamesConfigFields) {
  json::object c{{"must", "x"}};
  auto errors = run(sample(), c);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "@entity");
  EXPECT_EQ(errors[0].message, "at least one of these fields must be non-empty: 'config.flag', 'config.limit'");
}

TEST(PluginSchema, IntegerGivenAsWholeDoubleIsNormalized) {
  json::object c{{"must", "x"}, {"flag", true}, {"count", 3.0}};
  EXPECT_TRUE(run(sample(), c).empty());
  EXPECT_TRUE(c.at("count").is_int64());
}

TEST(PluginSchema, ConditionalRequiredReportsOnThenField) {
  Schema s({{"limit_by", Field::string().default_value("consumer")}, {"header_name", Field::string()}});
  s.conditional_required("limit_by", "header", "header_name");
  json::object c{{"limit_by", "header"}};
  auto errors = run(s, c);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "header_name");
  EXPECT_EQ(errors[0].message, "required field missing");
}

TEST(PluginSchema, HeaderNameValidatorUsesKongMessage) {
  EXPECT_EQ(validate_header_name(json::value("x-api-key")), "");
  EXPECT_EQ(validate_header_name(json::value("bad key")),
            "bad header name 'bad key', allowed characters are A-Z, a-z, 0-9, '_', and '-'");
}

// Found by fuzzing (tests/fuzz/regressions/fuzz_plugin_config): numbers a double holds but an
// int64 does not, and JSON numbers that overflow to infinity, are refused, never converted.
TEST(PluginSchema, IntegersBeyondInt64AndInfiniteNumbersAreRefused) {
  json::object c{{"must", "x"}, {"flag", true}, {"count", 8.0e67}, {"limit", json::parse("1e400")}};
  auto errors = run(sample(), c);
  ASSERT_EQ(errors.size(), 2u);
  auto msg = [&](std::string_view f) {
    for (auto& e : errors)
      if (e.field == f) return e.message;
    return std::string();
  };
  EXPECT_EQ(msg("count"), "integer out of range");
  EXPECT_EQ(msg("limit"), "expected a number");
}

TEST(PluginSchema, GetIntSaturatesInsteadOfOverflowing) {
  json::object c{{"big", 1e300}, {"small", -1e300}, {"exact", 42}, {"half", 2.5}};
  EXPECT_EQ(get_int(c, "big"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(get_int(c, "small"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(get_int(c, "exact"), 42);
  EXPECT_EQ(get_int(c, "half"), 2);
  EXPECT_EQ(get_int(c, "missing", 7), 7);
}
