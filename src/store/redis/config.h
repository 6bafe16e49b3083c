// The `redis` configuration block, as Kong spells it, and its validation.
//
// Kong open source fields (host, port, timeout, username, password, database, ssl,
// ssl_verify, server_name) plus Kong Enterprise's Sentinel and Cluster fields, so existing
// Kong configs keep working. Plugins call validate_redis_config() from their Factory's
// validate() on their `redis` sub-object (errors are reported under `prefix`), then
// parse_redis_config() when they build, and hand the result to make_redis_store().
// The topology follows from the fields: cluster_nodes → Cluster, sentinel_master +
// sentinel_nodes → Sentinel, otherwise standalone host:port.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/plugin.h"

namespace gh::redis {

struct host_port {
  std::string host;
  uint16_t port = 6379;
  bool operator==(const host_port&) const = default;
};

enum class topology { standalone, sentinel, cluster };

struct redis_config {
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  std::chrono::milliseconds timeout{2000};  // connect and every call
  std::string username;                     // ACL user (Redis 6+), empty = default user
  std::string password;
  int database = 0;
  bool ssl = false;
  bool ssl_verify = false;
  std::string server_name;  // SNI and the name verified (default: host)

  std::string sentinel_master;
  std::string sentinel_role = "master";  // master | slave | any
  std::vector<host_port> sentinel_nodes;
  std::string sentinel_username;
  std::string sentinel_password;

  std::vector<host_port> cluster_nodes;
  int cluster_max_redirections = 5;

  topology kind() const noexcept {
    if (!cluster_nodes.empty()) return topology::cluster;
    if (!sentinel_master.empty() && !sentinel_nodes.empty()) return topology::sentinel;
    return topology::standalone;
  }
  // A string that is equal for two configs exactly when they may share connections.
  // It contains the secrets' hash, never the secrets: do not log it anyway.
  std::string identity() const;
};

// Checks and normalises a `redis` JSON object in place (fills Kong's defaults). Field
// names in errors are `prefix` + "." + field (or just the field when prefix is empty).
void validate_redis_config(boost::json::object& obj, std::vector<gh::plugin::SchemaError>& errors,
                           std::string_view prefix);

// Builds the config from an object that passed validate_redis_config(). Throws
// std::runtime_error naming the field otherwise (config time only).
redis_config parse_redis_config(const boost::json::object& obj);

}  // namespace gh::redis
