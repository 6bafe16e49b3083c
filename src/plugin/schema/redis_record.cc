#include "plugin/schema/redis_record.h"

#include <algorithm>

namespace gh::plugin::schema {

namespace json = boost::json;

namespace {
Field host_port_record(std::string_view host_field, int64_t default_port) {
  return Field::record({
      {std::string(host_field), Field::string().required()},
      {"port", Field::integer().between(0, 65535).default_value(default_port)},
  });
}
}  // namespace

Field redis_record() {
  return Field::record({
      {"host", Field::string()},
      {"port", Field::integer().between(0, 65535).default_value(6379)},
      {"timeout", Field::integer().between(0, 2147483646).default_value(2000)},
      {"username", Field::string()},
      {"password", Field::string().len_min(0)},
      {"database", Field::integer().default_value(0)},
      {"ssl", Field::boolean().default_value(false)},
      {"ssl_verify", Field::boolean().default_value(false)},
      {"server_name", Field::string()},
      // Kong Enterprise's Sentinel and Cluster fields, so that existing configs load.
      {"sentinel_master", Field::string()},
      {"sentinel_role", Field::string().one_of({"master", "slave", "any"})},
      {"sentinel_nodes", Field::array(host_port_record("host", 26379))},
      {"sentinel_username", Field::string()},
      {"sentinel_password", Field::string().len_min(0)},
      {"cluster_nodes", Field::array(host_port_record("ip", 6379))},
      {"cluster_max_redirections", Field::integer().default_value(5)},
      // Gatehouse: a named connection of the node settings (redis_connections) instead of
      // the fields above; fields written next to it override the named ones.
      {"connection", Field::string()},
  });
}

bool redis_configured(const json::object& redis) {
  for (std::string_view key : {"host", "connection", "sentinel_master"}) {
    const auto* v = redis.if_contains(key);
    if (v != nullptr && v->is_string() && !v->get_string().empty()) return true;
  }
  for (std::string_view key : {"sentinel_nodes", "cluster_nodes"}) {
    const auto* v = redis.if_contains(key);
    if (v != nullptr && v->is_array() && !v->get_array().empty()) return true;
  }
  return false;
}

redis_written_fields::redis_written_fields(const json::object& config) {
  const auto* r = config.if_contains("redis");
  if (r == nullptr || !r->is_object()) return;
  const auto* conn = r->as_object().if_contains("connection");
  named_ = conn != nullptr && !conn->is_null();
  for (const auto& kv : r->as_object()) {
    if (!kv.value().is_null()) written_.emplace_back(kv.key());
  }
}

void redis_written_fields::apply(json::object& config) const {
  if (!named_) return;
  auto* r = config.if_contains("redis");
  if (r == nullptr || !r->is_object()) return;
  json::object& obj = r->as_object();
  for (auto it = obj.begin(); it != obj.end();) {
    if (std::find(written_.begin(), written_.end(), std::string(it->key())) == written_.end()) {
      it = obj.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace gh::plugin::schema
