// Node settings: how this gatehouse process listens, limits clients and logs.
//
// Sources, weakest first: defaults(), a YAML file (`--config FILE`), GATEHOUSE_<KEY>
// environment variables, command-line flags. The caller applies them in that order
// (load_settings_file, then load_settings_env, then apply_setting per flag), so a later
// source overrides an earlier one: flag > env > file > default. Keys are snake_case
// (dashes accepted, so flag names map directly); list values are comma-separated.
// Defaults follow Kong's kong.conf / nginx where Kong has the setting
// (docs/configuration.md lists every key). Config time only: errors are exceptions.
#pragma once

#include <boost/json/object.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gh::config {

struct listen_address {
  std::string host;  // IPv6 without brackets
  std::uint16_t port = 0;

  // "host:port", "[v6]:port" or ":port"/"port" (all interfaces). Throws
  // std::invalid_argument on anything else.
  static listen_address parse(std::string_view text);
  std::string to_string() const;  // brackets around IPv6
  bool operator==(const listen_address&) const = default;
};

// Kong's `headers` setting: which of the gateway's own headers it adds to client responses.
// Bits of node_settings::headers; kong.conf's names, case-insensitive.
namespace kong_header {
inline constexpr uint32_t server = 1u << 0;            // Server, on responses the gateway makes
inline constexpr uint32_t via = 1u << 1;               // Via, on proxied responses
inline constexpr uint32_t proxy_latency = 1u << 2;     // X-Kong-Proxy-Latency
inline constexpr uint32_t upstream_latency = 1u << 3;  // X-Kong-Upstream-Latency
inline constexpr uint32_t response_latency = 1u << 4;  // X-Kong-Response-Latency (gateway-made)
inline constexpr uint32_t admin_latency = 1u << 5;     // X-Kong-Admin-Latency (admin API)
inline constexpr uint32_t upstream_status = 1u << 6;   // X-Kong-Upstream-Status
inline constexpr uint32_t request_id = 1u << 7;        // X-Kong-Request-Id
inline constexpr uint32_t server_tokens = server | via;
inline constexpr uint32_t latency_tokens =
    proxy_latency | upstream_latency | response_latency | admin_latency;
// Kong's default: "server_tokens, latency_tokens, X-Kong-Request-Id".
inline constexpr uint32_t defaults = server_tokens | latency_tokens | request_id;
}  // namespace kong_header

struct node_settings {
  std::string declarative_config;  // path to kong.yml; empty = start with no entities
  std::vector<listen_address> proxy_listen{{"0.0.0.0", 8000}};
  std::vector<listen_address> admin_listen{{"127.0.0.1", 8001}};  // empty = "off"
  unsigned workers = 1;  // defaults(): std::thread::hardware_concurrency()

  int client_header_timeout_ms = 60000;  // nginx client_header_timeout (Kong: 60s)
  int client_body_timeout_ms = 60000;    // nginx client_body_timeout
  int keepalive_timeout_ms = 60000;      // nginx keepalive_timeout (Kong: 60s)
  // Kong's name; Kong's default is 60, which above ~60 concurrent requests per worker makes
  // most requests open (and then close) a new upstream connection. HAProxy and Envoy keep
  // every idle connection; 1024 bounds that, and idle ones still close after the timeout.
  std::size_t upstream_keepalive_pool_size = 1024;
  int upstream_keepalive_max_requests = 10000;    // Kong upstream_keepalive_max_requests
  int upstream_keepalive_idle_timeout_ms = 60000; // Kong upstream_keepalive_idle_timeout

  // Request line + all header bytes. nginx's large_client_header_buffers is 4 x 8k; we
  // bound the whole head instead, at the same 32 KiB.
  std::size_t client_max_header_size = 32 * 1024;
  std::size_t client_max_headers = 100;   // Kong lua_max_req_headers
  std::size_t client_max_body_size = 0;   // 0 = unlimited (Kong's nginx default)

  std::vector<std::string> trusted_ips;   // IPs/CIDRs whose X-Forwarded-* are believed
  std::string real_ip_header = "X-Forwarded-For";
  bool real_ip_recursive = false;

  std::string log_level = "info";   // debug | info | notice | warn | error | crit
  std::string log_format = "text";  // text | json
  std::string access_log = "off";   // path, "stdout", or "off"
  std::string error_log = "stderr"; // path, "stderr" or "stdout"
  int drain_timeout_ms = 30000;     // SIGTERM: finish in-flight requests up to this long
  std::string node_id;              // empty = generated at startup
  // Kong's `headers` (kong_header bits): "off", or a list of header names and the groups
  // server_tokens / latency_tokens. X-Request-Id is not among them: it is always returned.
  uint32_t headers = kong_header::defaults;

  // Named Redis connections, {name: {host, port, ...}} (docs/redis.md); plugins reference
  // them with `redis: {connection: name}`. Checked by the Redis module at startup.
  boost::json::object redis_connections;
  // The events pipeline: {enabled, store, redis|connection, stream, batch_size, ...}
  // (docs/events.md). Checked by src/events at startup; empty = disabled.
  boost::json::object events;
};

// Defaults with workers = number of cores.
node_settings defaults();

// Every key apply_setting accepts, in documentation order.
const std::vector<std::string_view>& setting_keys();

// Sets one setting from text. Throws std::invalid_argument("<key>: <reason>").
void apply_setting(node_settings& s, std::string_view key, std::string_view value);

// Applies a YAML map of settings. Throws std::invalid_argument naming the file and every
// bad key ("<file>: unknown setting 'x'"; "<file>: workers: expected ...").
void load_settings_file(node_settings& s, const std::string& yaml_path);

// Applies GATEHOUSE_<UPPER_KEY>=value variables from a NULL-terminated envp. Other
// GATEHOUSE_* names are ignored (tools may share the prefix); bad values throw.
void load_settings_env(node_settings& s, char** envp);

}  // namespace gh::config
