// The rate-limiting config schema: Kong 3.x's fields, defaults, checks and messages,
// for DB-less mode (policy cluster refused), plus Gatehouse's `algorithm`.
#include "plugins/rate-limiting/periods.h"
#include "plugins/rate-limiting/rate_limiting.h"

#include "plugin/schema/redis_record.h"
#include "plugin/schema/schema.h"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>

namespace gh::plugins {

namespace json = boost::json;
using namespace plugin::schema;
namespace rl = rate_limiting;

namespace {

std::string validate_path(const json::value& v) {
  if (!v.is_string()) return {};
  const auto& s = v.get_string();
  if (s.empty() || s[0] != '/') return "should start with: /";
  if (s.find("//") != json::string::npos) return "must not have empty segments";
  return {};
}

// Kong's validate_periods_order and sync_rate rules (custom_validator of config).
void check_periods_and_sync_rate(const json::object& c, std::vector<plugin::SchemaError>& errors) {
  for (std::size_t i = 0; i < rl::all_periods.size(); ++i) {
    const auto* lower = get_path(c, rl::period_name(rl::all_periods[i]));
    if (!lower || !lower->is_number()) continue;
    for (std::size_t j = i + 1; j < rl::all_periods.size(); ++j) {
      const auto* upper = get_path(c, rl::period_name(rl::all_periods[j]));
      if (!upper || !upper->is_number()) continue;
      const double v1 = lower->to_number<double>();
      const double v2 = upper->to_number<double>();
      if (v2 < v1) {
        errors.push_back(
            {"@entity", fmt::format("The limit for {}({:.1f}) cannot be lower than the limit for "
                                    "{}({:.1f})",
                                    rl::period_name(rl::all_periods[j]), v2,
                                    rl::period_name(rl::all_periods[i]), v1)});
        return;
      }
    }
  }
  const std::string policy = get_string(c, "policy", "local");
  const double sync_rate = get_number(c, "sync_rate", -1);
  if (policy == "redis") {
    // Kong requires redis.host; Sentinel, Cluster or a named connection replace it here.
    bool has_target = false;
    for (const char* f : {"redis.host", "redis.connection", "redis.cluster_nodes",
                          "redis.sentinel_master"}) {
      const json::value* v = get_path(c, f);
      if (v != nullptr && !v->is_null()) has_target = true;
    }
    if (!has_target) errors.push_back({"redis.host", "required field missing"});
    if (sync_rate > 0 && get_string(c, "algorithm", "fixed") == "sliding") {
      // Local counts are fixed-window counts (Kong's); the sliding estimate needs both
      // buckets of every node, so it stays exact-only.
      errors.push_back({"@entity", "sync_rate requires algorithm fixed"});
    }
  }
  if (policy != "redis" && sync_rate != -1) {
    errors.push_back({"@entity", "sync_rate can only be used with the redis policy"});
  } else if (policy == "redis" && sync_rate != -1 && sync_rate < 0.02) {
    errors.push_back({"@entity", "sync_rate must be greater than 0.02, or -1 to disable"});
  }
}

const Schema& config_schema() {
  static const Schema s = [] {
    Schema s({
        {"second", Field::number().gt(0)},
        {"minute", Field::number().gt(0)},
        {"hour", Field::number().gt(0)},
        {"day", Field::number().gt(0)},
        {"month", Field::number().gt(0)},
        {"year", Field::number().gt(0)},
        {"limit_by", Field::string().default_value("consumer").one_of(
                         {"consumer", "credential", "ip", "service", "header", "path"})},
        {"header_name", Field::string().custom(validate_header_name)},
        {"path", Field::string().custom(validate_path)},
        // DB-less: Kong's schema offers only local and redis.
        {"policy", Field::string().len_min(0).default_value("local").one_of({"local", "redis"})},
        {"fault_tolerant", Field::boolean().required().default_value(true)},
        {"redis", redis_record()},
        {"hide_client_headers", Field::boolean().required().default_value(false)},
        {"error_code", Field::number().gt(0).between(100, 599).default_value(429)},
        {"error_message", Field::string().default_value("API rate limit exceeded")},
        {"sync_rate", Field::number().required().default_value(-1)},
        // Gatehouse extra: fixed windows (Kong) or the sliding two-bucket estimate.
        {"algorithm", Field::string().default_value("fixed").one_of({"fixed", "sliding"})},
    });
    s.at_least_one_of({"second", "minute", "hour", "day", "month", "year"})
        .conditional_required("policy", "redis", "redis.port")
        .conditional_required("policy", "redis", "redis.timeout")
        .conditional_required("limit_by", "header", "header_name")
        .conditional_required("limit_by", "path", "path")
        .check(check_periods_and_sync_rate);
    return s;
  }();
  return s;
}

// Kong's deprecated flat shorthands (redis_host, ...) move into the redis record.
void expand_redis_shorthands(json::object& config) {
  static constexpr std::string_view names[] = {"host",        "port",       "password", "username",
                                                "ssl",         "ssl_verify", "server_name",
                                                "timeout",     "database"};
  for (std::string_view n : names) {
    const std::string flat = "redis_" + std::string(n);
    auto it = config.find(flat);
    if (it == config.end()) continue;
    json::value v = it->value();
    config.erase(it);
    if (v.is_null()) continue;
    auto& redis = config["redis"];
    if (!redis.is_object()) redis = json::object();
    auto& r = redis.as_object();
    if (!r.contains(n) || r.at(n).is_null()) r[n] = std::move(v);
  }
}

}  // namespace

void rate_limiting_factory::validate(json::object& config,
                                     std::vector<plugin::SchemaError>& errors) const {
  expand_redis_shorthands(config);
  const redis_written_fields written(config);
  config_schema().validate(config, errors);
  written.apply(config);
}

}  // namespace gh::plugins
