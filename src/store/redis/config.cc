#include "store/redis/config.h"

#include <openssl/sha.h>

#include <boost/json/value.hpp>
#include <cmath>
#include <functional>
#include <stdexcept>

namespace gh::redis {
namespace json = boost::json;
namespace {

// A double that is a whole number inside the int64 range (casting any other one is
// undefined behaviour).
bool whole_int64(double d) {
  return std::trunc(d) == d && d >= -9223372036854775808.0 && d < 9223372036854775808.0;
}

std::string field_name(std::string_view prefix, std::string_view field) {
  if (prefix.empty()) return std::string(field);
  std::string s(prefix);
  s += '.';
  s += field;
  return s;
}

struct checker {
  json::object& obj;
  std::vector<gh::plugin::SchemaError>& errors;
  std::string_view prefix;

  void fail(std::string_view field, std::string message) {
    errors.push_back({field_name(prefix, field), std::move(message)});
  }
  // Missing or null → default (if any). Returns the value when it has the right type.
  json::value* get(std::string_view field) {
    auto it = obj.find(field);
    if (it == obj.end() || it->value().is_null()) return nullptr;
    return &it->value();
  }
  void string_field(std::string_view field, const char* def = nullptr) {
    json::value* v = get(field);
    if (v == nullptr) {
      if (def != nullptr) obj[field] = def;
      return;
    }
    if (!v->is_string()) fail(field, "expected a string");
  }
  void bool_field(std::string_view field, bool def) {
    json::value* v = get(field);
    if (v == nullptr) {
      obj[field] = def;
      return;
    }
    if (!v->is_bool()) fail(field, "expected a boolean");
  }
  void int_field(std::string_view field, int64_t def, int64_t lo, int64_t hi) {
    json::value* v = get(field);
    if (v == nullptr) {
      obj[field] = def;
      return;
    }
    int64_t n = 0;
    if (v->is_int64()) {
      n = v->get_int64();
    } else if (v->is_uint64() && v->get_uint64() <= static_cast<uint64_t>(hi)) {
      n = static_cast<int64_t>(v->get_uint64());
    } else if (v->is_double() && whole_int64(v->get_double())) {
      n = static_cast<int64_t>(v->get_double());
      *v = n;
    } else {
      fail(field, "expected an integer");
      return;
    }
    if (n < lo || n > hi) {
      fail(field, "value should be between " + std::to_string(lo) + " and " + std::to_string(hi));
    }
  }
  void nodes_field(std::string_view field, std::string_view host_key) {
    json::value* v = get(field);
    if (v == nullptr) return;
    if (!v->is_array()) {
      fail(field, "expected an array");
      return;
    }
    if (v->get_array().empty()) {
      fail(field, "length must be at least 1");
      return;
    }
    std::size_t i = 0;
    for (auto& node : v->get_array()) {
      std::string where = std::string(field) + "." + std::to_string(++i);
      if (!node.is_object()) {
        fail(where, "expected a record");
        continue;
      }
      auto& o = node.get_object();
      auto h = o.find(host_key);
      if (h == o.end() || !h->value().is_string() || h->value().get_string().empty()) {
        fail(where + "." + std::string(host_key), "required field missing");
      }
      checker sub{o, errors, field_name(prefix, where)};
      sub.int_field("port", 6379, 0, 65535);
    }
  }
};

std::string str(const json::object& o, std::string_view k) {
  auto it = o.find(k);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string())
                                                  : std::string();
}
int64_t num(const json::object& o, std::string_view k, int64_t def) {
  auto it = o.find(k);
  if (it == o.end()) return def;
  if (it->value().is_int64()) return it->value().get_int64();
  if (it->value().is_uint64()) return static_cast<int64_t>(it->value().get_uint64());
  if (it->value().is_double() && whole_int64(it->value().get_double()))
    return static_cast<int64_t>(it->value().get_double());
  return def;
}
bool boolean(const json::object& o, std::string_view k, bool def) {
  auto it = o.find(k);
  return it != o.end() && it->value().is_bool() ? it->value().get_bool() : def;
}
std::vector<host_port> nodes(const json::object& o, std::string_view k, std::string_view host_key) {
  std::vector<host_port> out;
  auto it = o.find(k);
  if (it == o.end() || !it->value().is_array()) return out;
  for (const auto& n : it->value().get_array()) {
    if (!n.is_object()) throw std::runtime_error(std::string(k) + ": expected a record");
    const auto& no = n.get_object();
    out.push_back({str(no, host_key), static_cast<uint16_t>(num(no, "port", 6379))});
    if (out.back().host.empty()) throw std::runtime_error(std::string(k) + ": host missing");
  }
  return out;
}

}  // namespace

void validate_redis_config(json::object& obj, std::vector<gh::plugin::SchemaError>& errors,
                           std::string_view prefix) {
  checker c{obj, errors, prefix};
  c.string_field("host");
  c.int_field("port", 6379, 0, 65535);
  c.int_field("timeout", 2000, 0, 2147483646);
  c.string_field("username");
  c.string_field("password");
  c.int_field("database", 0, 0, 2147483647);
  c.bool_field("ssl", false);
  c.bool_field("ssl_verify", false);
  c.string_field("server_name");
  c.string_field("sentinel_master");
  c.string_field("sentinel_role");
  c.nodes_field("sentinel_nodes", "host");
  c.string_field("sentinel_username");
  c.string_field("sentinel_password");
  c.nodes_field("cluster_nodes", "ip");
  c.int_field("cluster_max_redirections", 5, 0, 1000);

  auto role = str(obj, "sentinel_role");
  if (!role.empty() && role != "master" && role != "slave" && role != "any") {
    c.fail("sentinel_role", "expected one of: master, slave, any");
  }
  bool has_sentinel_master = !str(obj, "sentinel_master").empty();
  bool has_sentinel_nodes = obj.contains("sentinel_nodes") && !obj.at("sentinel_nodes").is_null();
  bool has_cluster = obj.contains("cluster_nodes") && !obj.at("cluster_nodes").is_null();
  if (has_sentinel_master != has_sentinel_nodes) {
    c.fail(has_sentinel_master ? "sentinel_nodes" : "sentinel_master",
           "sentinel_master and sentinel_nodes must be set together");
  }
  if (has_cluster && (has_sentinel_master || has_sentinel_nodes)) {
    c.fail("cluster_nodes", "cluster_nodes and sentinel_* are mutually exclusive");
  }
  if (has_cluster && num(obj, "database", 0) != 0) {
    c.fail("database", "Redis Cluster has only database 0");
  }
}

redis_config parse_redis_config(const json::object& obj) {
  std::vector<gh::plugin::SchemaError> errors;
  json::object copy = obj;
  validate_redis_config(copy, errors, "redis");
  if (!errors.empty()) {
    throw std::runtime_error(errors.front().field + ": " + errors.front().message);
  }
  redis_config c;
  if (auto h = str(copy, "host"); !h.empty()) c.host = h;
  c.port = static_cast<uint16_t>(num(copy, "port", 6379));
  c.timeout = std::chrono::milliseconds(num(copy, "timeout", 2000));
  c.username = str(copy, "username");
  c.password = str(copy, "password");
  c.database = static_cast<int>(num(copy, "database", 0));
  c.ssl = boolean(copy, "ssl", false);
  c.ssl_verify = boolean(copy, "ssl_verify", false);
  c.server_name = str(copy, "server_name");
  c.sentinel_master = str(copy, "sentinel_master");
  if (auto r = str(copy, "sentinel_role"); !r.empty()) c.sentinel_role = r;
  c.sentinel_nodes = nodes(copy, "sentinel_nodes", "host");
  c.sentinel_username = str(copy, "sentinel_username");
  c.sentinel_password = str(copy, "sentinel_password");
  c.cluster_nodes = nodes(copy, "cluster_nodes", "ip");
  c.cluster_max_redirections = static_cast<int>(num(copy, "cluster_max_redirections", 5));
  return c;
}

std::string redis_config::identity() const {
  std::string s;
  auto add = [&](std::string_view v) {
    s += std::to_string(v.size());
    s += ':';
    s += v;
    s += '|';
  };
  add(host);
  add(std::to_string(port));
  add(std::to_string(timeout.count()));
  add(username);
  add(std::to_string(database));
  add(ssl ? "tls" : "tcp");
  add(ssl_verify ? "verify" : "noverify");
  add(server_name);
  add(sentinel_master);
  add(sentinel_role);
  for (const auto& n : sentinel_nodes) add(n.host + ":" + std::to_string(n.port));
  add(sentinel_username);
  for (const auto& n : cluster_nodes) add(n.host + ":" + std::to_string(n.port));
  add(std::to_string(cluster_max_redirections));
  // Secrets take part only as a digest, so the identity can sit in maps safely.
  std::string secrets = password + '\0' + sentinel_password;
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(secrets.data()), secrets.size(), md);
  static const char* hex = "0123456789abcdef";
  for (unsigned char b : md) {
    s += hex[b >> 4];
    s += hex[b & 15];
  }
  return s;
}

}  // namespace gh::redis
