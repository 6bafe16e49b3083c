// The entities of a Kong declarative configuration, after loading and validation.
//
// The loader (declarative_loader.h) fills these from kong.yml / JSON; the router, the
// proxy and the plugins read them through an immutable Snapshot. Every field has Kong's
// name and default (../shared/reference/kong-plugins-and-entities.md). Foreign keys are
// resolved to ids by the loader, so consumers of this header never look up names.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gh::config {

struct Service {
  std::string id;  // uuid; generated deterministically from the name when absent
  std::string name;
  std::string protocol = "http";  // http | https (others parsed, refused by the proxy)
  std::string host;
  int port = 80;
  std::string path;  // empty means none
  int retries = 5;
  int connect_timeout = 60000;  // ms
  int write_timeout = 60000;
  int read_timeout = 60000;
  bool enabled = true;
  bool tls_verify = false;
  std::vector<std::string> tags;
};

struct Route {
  std::string id;
  std::string name;
  std::vector<std::string> protocols{"http", "https"};
  std::vector<std::string> methods;  // upper case
  std::vector<std::string> hosts;    // lower case; may hold one leading or trailing '*'
  std::vector<std::string> paths;    // "/prefix" or "~regex" (format 3.0 form)
  // Header name (lower case) -> accepted values; a value may be "~*regex".
  std::map<std::string, std::vector<std::string>> headers;
  int https_redirect_status_code = 426;
  int regex_priority = 0;
  bool strip_path = true;
  bool preserve_host = false;
  bool request_buffering = true;
  bool response_buffering = true;
  std::string path_handling = "v0";
  std::string service_id;  // empty when the route has no service
  std::vector<std::string> tags;
};

struct Consumer {
  std::string id;
  std::string username;
  std::string custom_id;
  std::vector<std::string> tags;
};

// A plugin instance: which plugin, where it applies, and its config with defaults filled
// in by the plugin's schema (see plugin/registry.h).
struct PluginInstance {
  std::string id;
  std::string name;
  std::string instance_name;
  std::string service_id;   // empty = any
  std::string route_id;     // empty = any
  std::string consumer_id;  // empty = any
  bool enabled = true;
  std::vector<std::string> protocols{"grpc", "grpcs", "http", "https"};
  boost::json::object config;
  std::vector<std::string> tags;
};

struct Upstream {
  std::string id;
  std::string name;
  std::string algorithm = "round-robin";
  std::string hash_on = "none";
  std::string hash_fallback = "none";
  std::string hash_on_header;
  std::string hash_fallback_header;
  std::string hash_on_cookie;
  std::string hash_on_cookie_path = "/";
  std::string hash_on_query_arg;
  std::string hash_fallback_query_arg;
  std::string hash_on_uri_capture;
  std::string hash_fallback_uri_capture;
  int slots = 10000;
  std::string host_header;
  boost::json::object healthchecks;  // Kong's healthchecks record with defaults filled
  std::vector<std::string> tags;
};

struct Target {
  std::string id;
  std::string upstream_id;
  std::string target;  // "host:port", port defaulted to 8000
  int weight = 100;
  std::vector<std::string> tags;
};

// Entities that plugins own (Kong's plugin DAOs): keyauth_credentials, acls, jwt_secrets,
// basicauth_credentials, hmacauth_credentials. `fields` holds the entity without
// id/consumer, validated and with defaults (e.g. keyauth key, acl group, jwt key/secret).
struct PluginEntity {
  std::string kind;  // the DAO's name, e.g. "keyauth_credentials"
  std::string id;
  std::string consumer_id;
  boost::json::object fields;
};

struct DeclarativeConfig {
  std::string format_version = "3.0";
  std::vector<Service> services;
  std::vector<Route> routes;
  std::vector<Consumer> consumers;
  std::vector<PluginInstance> plugins;
  std::vector<Upstream> upstreams;
  std::vector<Target> targets;
  std::vector<PluginEntity> plugin_entities;
};

}  // namespace gh::config
