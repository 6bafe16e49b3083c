#include "config/node_settings.h"

#include "config/cidr.h"
#include "config/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace gh::config {
namespace {

std::string normalize_key(std::string_view key) {
  std::string k(key);
  for (auto& c : k) {
    if (c == '-') c = '_';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return k;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string> split_list(std::string_view value) {
  std::vector<std::string> out;
  while (true) {
    auto comma = value.find(',');
    auto item = trim(value.substr(0, comma));
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return out;
}

[[noreturn]] void bad(std::string_view key, const std::string& reason) {
  throw std::invalid_argument(std::string(key) + ": " + reason);
}

std::uint64_t parse_unsigned(std::string_view key, std::string_view text, std::uint64_t max) {
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size())
    bad(key, "expected a non-negative integer, got '" + std::string(text) + "'");
  if (v > max) bad(key, "value should be at most " + std::to_string(max));
  return v;
}

// "1500", "1500ms", "60s", "2m" -> milliseconds.
int parse_duration_ms(std::string_view key, std::string_view text) {
  std::uint64_t scale = 1;
  if (text.ends_with("ms")) text.remove_suffix(2);
  else if (text.ends_with("s")) text.remove_suffix(1), scale = 1000;
  else if (text.ends_with("m")) text.remove_suffix(1), scale = 60000;
  std::uint64_t v = parse_unsigned(key, text, 2147483647ULL / scale);
  return static_cast<int>(v * scale);
}

// "8192", "32k", "1m", "1g" (nginx size syntax) -> bytes.
std::size_t parse_size(std::string_view key, std::string_view text) {
  std::uint64_t scale = 1;
  if (!text.empty()) {
    char last = static_cast<char>(std::tolower(static_cast<unsigned char>(text.back())));
    if (last == 'k') scale = 1024;
    if (last == 'm') scale = 1024 * 1024;
    if (last == 'g') scale = 1024ULL * 1024 * 1024;
    if (scale != 1) text.remove_suffix(1);
  }
  return static_cast<std::size_t>(parse_unsigned(key, text, (1ULL << 50) / scale) * scale);
}

bool parse_bool(std::string_view key, std::string_view text) {
  if (text == "on" || text == "true" || text == "1" || text == "yes") return true;
  if (text == "off" || text == "false" || text == "0" || text == "no") return false;
  bad(key, "expected on/off, got '" + std::string(text) + "'");
}

std::string one_of(std::string_view key, std::string_view text,
                   std::initializer_list<std::string_view> allowed) {
  for (auto a : allowed)
    if (a == text) return std::string(text);
  std::string msg = "expected one of:";
  for (auto a : allowed) msg += " " + std::string(a);
  bad(key, msg + ", got '" + std::string(text) + "'");
}

std::vector<listen_address> parse_listen(std::string_view key, std::string_view value) {
  std::vector<listen_address> out;
  if (trim(value) == "off") return out;
  auto items = split_list(value);
  if (items.empty()) bad(key, "expected at least one host:port (or off)");
  for (const auto& item : items) {
    try {
      out.push_back(listen_address::parse(item));
    } catch (const std::invalid_argument& e) {
      bad(key, e.what());
    }
  }
  return out;
}

std::string not_empty(std::string_view key, std::string_view value) {
  if (value.empty()) bad(key, "must not be empty");
  return std::string(value);
}

// Kong's `headers` list: names and groups, case-insensitive, or "off" alone.
uint32_t parse_kong_headers(const std::string& key, std::string_view v) {
  static const std::pair<std::string_view, uint32_t> names[] = {
      {"server", kong_header::server},
      {"via", kong_header::via},
      {"x-kong-proxy-latency", kong_header::proxy_latency},
      {"x-kong-upstream-latency", kong_header::upstream_latency},
      {"x-kong-response-latency", kong_header::response_latency},
      {"x-kong-admin-latency", kong_header::admin_latency},
      {"x-kong-upstream-status", kong_header::upstream_status},
      {"x-kong-request-id", kong_header::request_id},
      {"server_tokens", kong_header::server_tokens},
      {"latency_tokens", kong_header::latency_tokens},
  };
  const auto items = split_list(v);
  if (items.empty()) bad(key, "expected 'off' or a list of header names");
  uint32_t bits = 0;
  for (const auto& item : items) {
    std::string name = item;
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "off") {
      if (items.size() > 1) bad(key, "'off' cannot be combined with header names");
      return 0;
    }
    auto it = std::find_if(std::begin(names), std::end(names),
                           [&](const auto& n) { return n.first == name; });
    if (it == std::end(names)) {
      bad(key, "unknown header '" + item +
                   "' (expected off, server_tokens, latency_tokens, Server, Via, "
                   "X-Kong-Proxy-Latency, X-Kong-Upstream-Latency, X-Kong-Response-Latency, "
                   "X-Kong-Admin-Latency, X-Kong-Upstream-Status or X-Kong-Request-Id)");
    }
    bits |= it->second;
  }
  return bits;
}

}  // namespace

listen_address listen_address::parse(std::string_view text) {
  auto fail = [&]() -> listen_address {
    throw std::invalid_argument("invalid listen address '" + std::string(text) +
                                "' (expected host:port, [ipv6]:port or :port)");
  };
  text = trim(text);
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return fail();
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    boost::system::error_code ec;
    auto a = boost::asio::ip::make_address(std::string(host), ec);
    if (ec || !a.is_v6()) return fail();
  } else if (auto colon = text.rfind(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return fail();  // bare IPv6 needs brackets
  } else {
    port = text;
  }
  unsigned p = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || p > 65535)
    return fail();
  listen_address out;
  out.host = host.empty() ? "0.0.0.0" : std::string(host);
  out.port = static_cast<std::uint16_t>(p);
  return out;
}

std::string listen_address::to_string() const {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

node_settings defaults() {
  node_settings s;
  s.workers = std::max(1u, std::thread::hardware_concurrency());
  return s;
}

const std::vector<std::string_view>& setting_keys() {
  static const std::vector<std::string_view> keys = {
      "declarative_config", "proxy_listen", "admin_listen", "workers",
      "client_header_timeout_ms", "client_body_timeout_ms", "keepalive_timeout_ms",
      "upstream_keepalive_pool_size", "upstream_keepalive_max_requests",
      "upstream_keepalive_idle_timeout_ms", "client_max_header_size", "client_max_headers",
      "client_max_body_size", "trusted_ips", "real_ip_header", "real_ip_recursive",
      "log_level", "log_format", "access_log", "error_log", "drain_timeout_ms", "node_id",
      "headers", "redis_connections", "events"};
  return keys;
}

void apply_setting(node_settings& s, std::string_view raw_key, std::string_view raw_value) {
  const std::string key = normalize_key(raw_key);
  const std::string_view v = trim(raw_value);
  if (key == "declarative_config") s.declarative_config = std::string(v);
  else if (key == "proxy_listen") s.proxy_listen = parse_listen(key, v);
  else if (key == "admin_listen") s.admin_listen = parse_listen(key, v);
  else if (key == "workers") {
    auto n = static_cast<unsigned>(parse_unsigned(key, v, 1024));
    if (n == 0) bad(key, "must be at least 1");
    s.workers = n;
  } else if (key == "client_header_timeout_ms") s.client_header_timeout_ms = parse_duration_ms(key, v);
  else if (key == "client_body_timeout_ms") s.client_body_timeout_ms = parse_duration_ms(key, v);
  else if (key == "keepalive_timeout_ms") s.keepalive_timeout_ms = parse_duration_ms(key, v);
  else if (key == "upstream_keepalive_pool_size")
    s.upstream_keepalive_pool_size = parse_unsigned(key, v, 1'000'000);
  else if (key == "upstream_keepalive_max_requests")
    s.upstream_keepalive_max_requests = static_cast<int>(parse_unsigned(key, v, 2147483647));
  else if (key == "upstream_keepalive_idle_timeout_ms")
    s.upstream_keepalive_idle_timeout_ms = parse_duration_ms(key, v);
  else if (key == "client_max_header_size") {
    s.client_max_header_size = parse_size(key, v);
    if (s.client_max_header_size < 1024) bad(key, "must be at least 1k");
  } else if (key == "client_max_headers") {
    s.client_max_headers = parse_unsigned(key, v, 100000);
    if (s.client_max_headers == 0) bad(key, "must be at least 1");
  } else if (key == "client_max_body_size") s.client_max_body_size = parse_size(key, v);
  else if (key == "trusted_ips") {
    auto list = split_list(v);
    for (const auto& ip : list) {
      std::string error;
      cidr_set probe;
      if (ip != "unix:" && !probe.add(ip, &error)) bad(key, error);
    }
    s.trusted_ips = std::move(list);
  } else if (key == "real_ip_header") s.real_ip_header = not_empty(key, v);
  else if (key == "real_ip_recursive") s.real_ip_recursive = parse_bool(key, v);
  else if (key == "log_level")
    s.log_level = one_of(key, v, {"debug", "info", "notice", "warn", "error", "crit"});
  else if (key == "log_format") s.log_format = one_of(key, v, {"text", "json"});
  else if (key == "access_log") s.access_log = not_empty(key, v);
  else if (key == "error_log") s.error_log = not_empty(key, v);
  else if (key == "drain_timeout_ms") s.drain_timeout_ms = parse_duration_ms(key, v);
  else if (key == "node_id") s.node_id = std::string(v);
  else if (key == "headers") s.headers = parse_kong_headers(key, v);
  else if (key == "redis_connections" || key == "events") {
    // A map, written as YAML or JSON text (flags, env) or as a map in the settings file.
    auto doc = parse_yaml_or_json(v);
    if (!doc.error.empty()) bad(key, doc.error);
    if (doc.value.is_null()) doc.value = boost::json::object();
    if (!doc.value.is_object()) bad(key, "expected a map");
    (key == "events" ? s.events : s.redis_connections) = std::move(doc.value.as_object());
  }
  else throw std::invalid_argument("unknown setting '" + std::string(raw_key) + "'");
}

void load_settings_file(node_settings& s, const std::string& yaml_path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(yaml_path);
  } catch (const YAML::BadFile&) {
    throw std::invalid_argument(yaml_path + ": cannot read file");
  } catch (const YAML::Exception& e) {
    throw std::invalid_argument(yaml_path + ": " + e.what());
  }
  if (root.IsNull()) return;
  if (!root.IsMap()) throw std::invalid_argument(yaml_path + ": expected a map of settings");
  std::string errors;
  for (const auto& kv : root) {
    std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string("?");
    try {
      std::string value;
      if (kv.second.IsScalar()) {
        value = kv.second.Scalar();
      } else if (kv.second.IsSequence()) {
        for (const auto& item : kv.second) {
          if (!item.IsScalar()) throw std::invalid_argument(key + ": expected a list of strings");
          if (!value.empty()) value += ",";
          value += item.Scalar();
        }
      } else if (kv.second.IsMap() && (key == "redis_connections" || key == "events")) {
        value = YAML::Dump(kv.second);
      } else if (!kv.second.IsNull()) {
        throw std::invalid_argument(key + ": expected a value or a list");
      }
      apply_setting(s, key, value);
    } catch (const std::invalid_argument& e) {
      errors += (errors.empty() ? "" : "\n") + yaml_path + ": " + e.what();
    }
  }
  if (!errors.empty()) throw std::invalid_argument(errors);
}

void load_settings_env(node_settings& s, char** envp) {
  static constexpr std::string_view prefix = "GATEHOUSE_";
  for (; envp && *envp; ++envp) {
    std::string_view entry(*envp);
    if (!entry.starts_with(prefix)) continue;
    auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    std::string key = normalize_key(entry.substr(prefix.size(), eq - prefix.size()));
    const auto& keys = setting_keys();
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) continue;
    try {
      apply_setting(s, key, entry.substr(eq + 1));
    } catch (const std::invalid_argument& e) {
      std::string upper(entry.substr(0, eq));
      throw std::invalid_argument(upper + ": " + e.what());
    }
  }
}

}  // namespace gh::config
