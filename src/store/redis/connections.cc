#include "store/redis/connections.h"

#include <mutex>
#include <stdexcept>

#include "store/redis/redis_store.h"
#include "store/store_factory.h"

namespace gh::redis {
namespace json = boost::json;

namespace {
std::mutex g_mu;
json::object& installed() {
  static json::object c;
  return c;
}
}  // namespace

void validate_named_connections(const json::object& connections) {
  std::string text;
  for (const auto& kv : connections) {
    const std::string prefix = "redis_connections." + std::string(kv.key());
    if (!kv.value().is_object()) {
      text += (text.empty() ? "" : "; ") + prefix + ": expected a map of redis fields";
      continue;
    }
    json::object copy = kv.value().as_object();
    if (copy.contains("connection")) {
      text += (text.empty() ? "" : "; ") + prefix + ".connection: not allowed here";
      continue;
    }
    std::vector<gh::plugin::SchemaError> errors;
    validate_redis_config(copy, errors, prefix);
    for (const auto& e : errors) text += (text.empty() ? "" : "; ") + e.field + ": " + e.message;
  }
  if (!text.empty()) throw std::runtime_error(text);
}

json::object resolve_connection(const json::object& block, const json::object& connections) {
  const auto* ref = block.if_contains("connection");
  if (ref == nullptr || ref->is_null()) return block;
  if (!ref->is_string()) throw std::runtime_error("redis.connection: expected a string");
  const std::string name(ref->get_string());
  const auto* named = connections.if_contains(name);
  if (named == nullptr || !named->is_object()) {
    throw std::runtime_error("redis.connection: no Redis connection named '" + name +
                             "' in the node settings (redis_connections)");
  }
  json::object out = named->as_object();
  for (const auto& kv : block) {
    // Null fields are unset fields (the plugin schema fills them); they do not override.
    if (kv.key() == "connection" || kv.value().is_null()) continue;
    out[kv.key()] = kv.value();
  }
  return out;
}

redis_config resolve_installed(const json::object& block) {
  json::object resolved;
  {
    std::lock_guard lock(g_mu);
    resolved = resolve_connection(block, installed());
  }
  return parse_redis_config(resolved);
}

void install(const json::object& connections) {
  validate_named_connections(connections);
  {
    std::lock_guard lock(g_mu);
    installed() = connections;
  }
  gh::store::set_redis_store_maker(
      [](const json::object& block) { return make_redis_store(resolve_installed(block)); });
}

}  // namespace gh::redis
