// Upstreams (with Kong's healthchecks record, defaults filled) and targets.
#include "config/loader.h"
#include "config/route_rules.h"

#include <boost/asio/ip/address.hpp>
#include <boost/json/parse.hpp>

#include <charconv>

namespace gh::config::detail {
namespace {

// Kong's healthchecks defaults (kong/db/schema/entities/upstreams.lua).
const boost::json::object& healthcheck_defaults() {
  static const boost::json::object defaults = boost::json::parse(R"({
    "active": {
      "type": "http", "timeout": 1, "concurrency": 10, "http_path": "/", "https_sni": null,
      "https_verify_certificate": true, "headers": null,
      "healthy": {"interval": 0, "http_statuses": [200, 302], "successes": 0},
      "unhealthy": {"interval": 0, "http_statuses": [429, 404, 500, 501, 502, 503, 504, 505],
                    "tcp_failures": 0, "timeouts": 0, "http_failures": 0}
    },
    "passive": {
      "type": "http",
      "healthy": {"http_statuses": [200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301,
                                    302, 303, 304, 305, 306, 307, 308], "successes": 0},
      "unhealthy": {"http_statuses": [429, 500, 503], "tcp_failures": 0, "timeouts": 0,
                    "http_failures": 0}
    },
    "threshold": 0
  })").as_object();
  return defaults;
}

// Validates one leaf of the healthchecks record by its name; returns the value to keep.
void merge_leaf(field_reader& r, std::string_view key, boost::json::object& out) {
  auto keep = [&](auto v) {
    if (v) out[key] = *v;
  };
  if (key == "type") keep(r.one_of(key, {"tcp", "http", "https", "grpc", "grpcs"}));
  else if (key == "timeout" || key == "interval") keep(r.number(key, 0, 65535));
  else if (key == "concurrency") keep(r.integer(key, 1, 2147483648LL));
  else if (key == "successes" || key == "tcp_failures" || key == "timeouts" ||
           key == "http_failures")
    keep(r.integer(key, 0, 255));
  else if (key == "threshold") keep(r.number(key, 0, 100));
  else if (key == "https_verify_certificate") keep(r.boolean(key));
  else if (key == "http_statuses") {
    if (auto v = r.integers(key, 100, 999)) {
      boost::json::array codes;
      for (auto c : *v) codes.push_back(c);
      out[key] = std::move(codes);
    }
  } else if (key == "http_path") {
    if (auto v = r.string(key)) {
      if (v->front() != '/') r.error(key, "should start with: /");
      else out[key] = *v;
    }
  } else if (key == "https_sni") {
    if (auto v = r.string(key)) {
      if (!valid_host(*v)) r.error(key, "invalid value: " + *v);
      else out[key] = *v;
    }
  } else if (key == "headers") {
    if (const auto* h = r.object(key)) {
      for (const auto& kv : *h) {
        const auto* values = kv.value().if_array();
        bool ok = values != nullptr;
        if (values)
          for (const auto& e : *values) ok = ok && e.is_string();
        if (!ok) r.error(std::string(key) + "." + std::string(kv.key()), "expected an array of strings");
      }
      out[key] = *h;
    }
  }
}

// Validates `input` against `defaults` (same shape); `out` holds defaults merged with it.
void merge_record(const boost::json::object& input, const boost::json::object& defaults,
                  boost::json::object& out, field_reader& r) {
  out = defaults;
  for (const auto& kv : defaults) {
    std::string_view key = kv.key();
    if (const auto* sub_defaults = kv.value().if_object()) {
      if (const auto* sub = r.object(key)) {
        field_reader nested(*sub, r.sink(), r.who(), r.prefix() + std::string(key) + ".");
        merge_record(*sub, *sub_defaults, out[key].as_object(), nested);
        nested.finish();
      }
      continue;
    }
    merge_leaf(r, key, out);
  }
  (void)input;
}

// "host[:port]" (IPv6 in brackets, or bare) with Kong's default port 8000; empty on error.
std::string normalize_target(const std::string& target) {
  std::string host = target;
  std::string port = "8000";
  boost::system::error_code ec;
  auto bare = boost::asio::ip::make_address(target, ec);
  if (!ec) {
    host = bare.is_v6() ? "[" + target + "]" : target;
  } else if (!target.empty() && target.front() == '[') {
    auto close = target.find(']');
    if (close == std::string::npos) return {};
    host = target.substr(0, close + 1);
    if (close + 1 < target.size()) {
      if (target[close + 1] != ':') return {};
      port = target.substr(close + 2);
    }
  } else if (auto colon = target.find(':'); colon != std::string::npos) {
    host = target.substr(0, colon);
    port = target.substr(colon + 1);
  }
  int p = -1;
  auto [ptr, perr] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (perr != std::errc() || ptr != port.data() + port.size() || p < 0 || p > 65535) return {};
  if (!valid_host(host)) return {};
  return host + ":" + std::to_string(p);
}

}  // namespace

void loader::upstreams(const boost::json::value& list) {
  for_each_record(list, "upstreams", nullptr,
                  [this](const boost::json::object& o, std::size_t pos) { upstream(o, pos); });
}

void loader::upstream(const boost::json::object& obj, std::size_t position) {
  field_reader r(obj, sink_, label("upstreams", obj, {"name"}, position, nullptr));
  Upstream u;
  if (auto v = r.string("name", true)) {
    u.name = *v;
    boost::system::error_code ec;
    boost::asio::ip::make_address(*v, ec);
    if (!ec) r.error("name", "Invalid name ('" + *v + "'); no ip addresses allowed");
    else if (v->find(':') != std::string::npos)
      r.error("name", "Invalid name ('" + *v + "'); no port allowed");
    else if (!valid_host(*v)) r.error("name", "Invalid name ('" + *v + "'); must be a valid hostname");
  }
  u.id = entity_id(r, "upstreams", u.name, position, nullptr);
  r.known({"created_at", "updated_at"});
  if (auto v = r.one_of("algorithm", {"consistent-hashing", "least-connections", "round-robin",
                                      "latency"}))
    u.algorithm = *v;
  for (auto [key, slot] : {std::pair{"hash_on", &u.hash_on}, {"hash_fallback", &u.hash_fallback}}) {
    if (auto v = r.one_of(key, {"none", "consumer", "ip", "header", "cookie", "path", "query_arg",
                                "uri_capture"}))
      *slot = *v;
  }
  std::pair<const char*, std::string*> strings[] = {
      {"hash_on_header", &u.hash_on_header},
      {"hash_fallback_header", &u.hash_fallback_header},
      {"hash_on_cookie", &u.hash_on_cookie},
      {"hash_on_cookie_path", &u.hash_on_cookie_path},
      {"hash_on_query_arg", &u.hash_on_query_arg},
      {"hash_fallback_query_arg", &u.hash_fallback_query_arg},
      {"hash_on_uri_capture", &u.hash_on_uri_capture},
      {"hash_fallback_uri_capture", &u.hash_fallback_uri_capture},
      {"host_header", &u.host_header}};
  for (auto& [key, slot] : strings)
    if (auto v = r.string(key)) *slot = *v;
  if (u.hash_on == "header" && u.hash_on_header.empty())
    r.error("hash_on_header", "required field missing");
  if (u.hash_fallback == "header" && u.hash_fallback_header.empty())
    r.error("hash_fallback_header", "required field missing");
  if (u.hash_on == "cookie" && u.hash_on_cookie.empty())
    r.error("hash_on_cookie", "required field missing");
  if (u.hash_on_cookie_path.front() != '/') r.error("hash_on_cookie_path", "should start with: /");
  if (auto v = r.integer("slots", 10, 65536)) u.slots = static_cast<int>(*v);
  r.boolean("use_srv_name");
  if (r.get("client_certificate")) r.error("client_certificate", "not supported by gatehouse yet");
  u.healthchecks = healthcheck_defaults();
  if (const auto* hc = r.object("healthchecks")) {
    field_reader nested(*hc, sink_, r.who(), "healthchecks.");
    merge_record(*hc, healthcheck_defaults(), u.healthchecks, nested);
    nested.finish();
  }
  u.tags = tags(r);
  const auto* nested_targets = r.get("targets");
  r.finish();
  parent_ref self{"upstreams", u.id, r.who().name};
  out_.upstreams.push_back(std::move(u));
  if (nested_targets) targets(*nested_targets, &self);
}

void loader::targets(const boost::json::value& list, const parent_ref* parent) {
  for_each_record(list, "targets", parent,
                  [this, parent](const boost::json::object& o, std::size_t pos) {
                    target(o, pos, parent);
                  });
}

void loader::target(const boost::json::object& obj, std::size_t position, const parent_ref* parent) {
  field_reader r(obj, sink_, label("targets", obj, {"target"}, position, parent));
  Target t;
  const std::size_t index = out_.targets.size();
  std::string upstream_key;
  if (parent) {
    t.upstream_id = parent->id;
    upstream_key = parent->id;
    if (r.get("upstream")) r.error("upstream", "value must be null");
  } else {
    upstream_key = reference(r, "upstream", "upstreams",
                             [index](DeclarativeConfig& c) -> std::string& {
                               return c.targets[index].upstream_id;
                             });
    if (upstream_key.empty() && !r.has("upstream")) r.error("upstream", "required field missing");
  }
  std::string raw;
  if (auto v = r.string("target", true)) {
    raw = *v;
    t.target = normalize_target(*v);
    if (t.target.empty())
      r.error("target", "Invalid target ('" + *v + "'); not a valid hostname or ip address");
  }
  t.id = entity_id(r, "targets", raw.empty() ? "" : raw + ":" + upstream_key, position, parent);
  r.known({"created_at", "updated_at"});
  if (auto v = r.integer("weight", 0, 65535)) t.weight = static_cast<int>(*v);
  t.tags = tags(r);
  r.finish();
  out_.targets.push_back(std::move(t));
}

}  // namespace gh::config::detail
