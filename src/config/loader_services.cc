// Services and routes of a declarative config (Kong's services.lua and routes.lua rules).
#include "config/loader.h"
#include "config/route_rules.h"

#include <boost/url/parse.hpp>

#include <algorithm>

namespace gh::config::detail {
namespace {

constexpr std::string_view kong_protocols[] = {"grpc", "grpcs", "http",            "https",
                                             "tcp",  "tls",   "tls_passthrough", "udp"};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Kong fields we parse but do not serve yet: fine when absent or null.
void refuse_unsupported(field_reader& r, std::initializer_list<std::string_view> keys) {
  for (auto k : keys)
    if (r.get(k)) r.error(k, "not supported by gatehouse yet");
}

// Kong's url shorthand: protocol, host, port (80/443 by scheme) and path from one URL.
void apply_url(field_reader& r, const std::string& url, Service& s) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->encoded_host().empty()) {
    r.error("url", "missing host in url");
    return;
  }
  s.protocol = lower(parsed->scheme());
  if (std::find(std::begin(kong_protocols), std::end(kong_protocols), s.protocol) == std::end(kong_protocols))
    r.error("protocol", "expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp");
  std::string host(parsed->encoded_host());
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  s.host = host;
  if (parsed->has_port()) {
    auto port = parsed->port_number();
    if (port == 0 && parsed->port() != "0") r.error("port", "value should be between 0 and 65535");
    s.port = port;
  } else {
    s.port = (s.protocol == "https" || s.protocol == "grpcs" || s.protocol == "tls") ? 443 : 80;
  }
  std::string path(parsed->encoded_path());
  s.path = path;
}

}  // namespace

void loader::services(const boost::json::value& list) {
  for_each_record(list, "services", nullptr,
                  [this](const boost::json::object& o, std::size_t pos) { service(o, pos); });
}

void loader::service(const boost::json::object& obj, std::size_t position) {
  field_reader r(obj, sink_, label("services", obj, {"name"}, position, nullptr));
  Service s;
  if (auto v = r.string("name")) s.name = *v;
  s.id = entity_id(r, "services", s.name, position, nullptr);
  r.known({"created_at", "updated_at"});
  if (auto v = r.one_of("protocol", {"grpc", "grpcs", "http", "https", "tcp", "tls", "tls_passthrough", "udp"})) s.protocol = *v;
  if (auto v = r.string("host")) {
    s.host = *v;
    if (!valid_host(*v)) r.error("host", "invalid value: " + *v);
  }
  if (auto v = r.integer("port", 0, 65535)) s.port = static_cast<int>(*v);
  if (auto v = r.string("path")) s.path = *v;
  if (auto url = r.string("url")) apply_url(r, *url, s);
  if (s.host.empty() && !r.has("host") && !r.has("url")) r.error("host", "required field missing");
  if (!s.path.empty() && s.path.front() != '/') r.error("path", "should start with: /");
  if (!s.path.empty() && s.protocol != "http" && s.protocol != "https")
    r.error("path", "value must be null when 'protocol' is " + s.protocol);
  if (auto v = r.integer("retries", 0, 32767)) s.retries = static_cast<int>(*v);
  if (auto v = r.integer("connect_timeout", 1, 2147483646)) s.connect_timeout = static_cast<int>(*v);
  if (auto v = r.integer("write_timeout", 1, 2147483646)) s.write_timeout = static_cast<int>(*v);
  if (auto v = r.integer("read_timeout", 1, 2147483646)) s.read_timeout = static_cast<int>(*v);
  if (auto v = r.boolean("enabled")) s.enabled = *v;
  if (auto v = r.boolean("tls_verify")) s.tls_verify = *v;
  r.integer("tls_verify_depth", 0, 64);
  refuse_unsupported(r, {"client_certificate", "ca_certificates"});
  s.tags = tags(r);
  const auto* nested_routes = r.get("routes");
  const auto* nested_plugins = r.get("plugins");
  r.finish();
  parent_ref self{"services", s.id, r.who().name};
  out_.services.push_back(std::move(s));
  if (nested_routes) routes(*nested_routes, &self);
  if (nested_plugins) plugins(*nested_plugins, &self);
}

void loader::routes(const boost::json::value& list, const parent_ref* parent) {
  for_each_record(list, "routes", parent, [this, parent](const boost::json::object& o,
                                                         std::size_t pos) { route(o, pos, parent); });
}

void loader::route(const boost::json::object& obj, std::size_t position, const parent_ref* parent) {
  field_reader r(obj, sink_, label("routes", obj, {"name"}, position, parent));
  Route rt;
  if (auto v = r.string("name")) rt.name = *v;
  rt.id = entity_id(r, "routes", rt.name, position, parent);
  r.known({"created_at", "updated_at"});
  const std::size_t index = out_.routes.size();
  if (parent) {
    rt.service_id = parent->id;
    if (r.get("service")) r.error("service", "value must be null");
  } else {
    reference(r, "service", "services",
              [index](DeclarativeConfig& c) -> std::string& { return c.routes[index].service_id; });
  }

  if (auto v = r.strings("protocols")) {
    bool ok = !v->empty();
    if (!ok) r.error("protocols", "length must be at least 1");
    for (const auto& p : *v) {
      if (std::find(std::begin(kong_protocols), std::end(kong_protocols), p) == std::end(kong_protocols)) {
        r.error("protocols",
                "expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp");
        ok = false;
      }
    }
    auto group = [](const std::string& p) {
      if (p == "http" || p == "https") return 0;
      if (p == "tcp" || p == "tls" || p == "udp") return 1;
      if (p == "tls_passthrough") return 2;
      return 3;
    };
    if (ok && std::any_of(v->begin(), v->end(),
                          [&](const std::string& p) { return group(p) != group(v->front()); })) {
      r.error("protocols",
              "these sets are mutually exclusive: ('http', 'https'), ('tcp', 'tls', 'udp'), "
              "('tls_passthrough'), ('grpc', 'grpcs')");
      ok = false;
    }
    if (ok) rt.protocols = *v;
  }
  if (auto v = r.strings("methods")) {
    for (const auto& m : *v) {
      bool upper = !m.empty() && std::all_of(m.begin(), m.end(),
                                             [](char c) { return c >= 'A' && c <= 'Z'; });
      if (!upper) r.error("methods", "invalid value: " + m);
    }
    rt.methods = *v;
  }
  if (auto v = r.strings("hosts")) {
    for (const auto& h : *v) {
      if (auto msg = check_route_host(h); !msg.empty()) r.error("hosts", msg);
      rt.hosts.push_back(lower(h));
    }
  }
  if (auto v = r.strings("paths")) {
    for (const auto& p : *v) {
      std::string path = upgrade_paths_ ? upgrade_path_to_3_0(p) : p;
      if (auto msg = check_route_path(path); !msg.empty()) r.error("paths", msg);
      rt.paths.push_back(std::move(path));
    }
  }
  if (const auto* headers = r.object("headers")) {
    for (const auto& kv : *headers) {
      std::string name = lower(kv.key());
      std::string field = "headers." + std::string(kv.key());
      if (name == "host") {
        r.error("headers",
                "cannot contain 'host' header, which must be specified in the 'hosts' attribute");
        continue;
      }
      const auto* values = kv.value().if_array();
      if (!values || values->empty()) {
        r.error(field, values ? "length must be at least 1" : expected_message("array"));
        continue;
      }
      std::vector<std::string> accepted;
      for (const auto& value : *values) {
        if (!value.is_string()) {
          r.error(field, expected_message("string"));
          continue;
        }
        std::string s(value.get_string());
        if (s.rfind("~*", 0) == 0)
          if (auto msg = check_regex(s.substr(2)); !msg.empty()) r.error(field, msg);
        accepted.push_back(std::move(s));
      }
      rt.headers[name] = std::move(accepted);
    }
  }
  if (const auto* v = r.get("https_redirect_status_code")) {
    auto code = v->is_number() ? integral_value(*v) : std::nullopt;
    if (!code || !(*code == 426 || *code == 301 || *code == 302 || *code == 307 || *code == 308))
      r.error("https_redirect_status_code", "expected one of: 426, 301, 302, 307, 308");
    else
      rt.https_redirect_status_code = static_cast<int>(*code);
  }
  if (auto v = r.integer("regex_priority", -2147483648LL, 2147483647LL))
    rt.regex_priority = static_cast<int>(*v);
  if (auto v = r.boolean("strip_path")) rt.strip_path = *v;
  if (auto v = r.boolean("preserve_host")) rt.preserve_host = *v;
  if (auto v = r.boolean("request_buffering")) rt.request_buffering = *v;
  if (auto v = r.boolean("response_buffering")) rt.response_buffering = *v;
  if (auto v = r.one_of("path_handling", {"v0", "v1"})) rt.path_handling = *v;
  auto snis = r.strings("snis");
  refuse_unsupported(r, {"sources", "destinations", "expression", "priority"});
  rt.tags = tags(r);

  bool http = std::any_of(rt.protocols.begin(), rt.protocols.end(),
                          [](const std::string& p) { return p == "http" || p == "https"; });
  bool https = std::find(rt.protocols.begin(), rt.protocols.end(), "https") != rt.protocols.end();
  if (http && rt.methods.empty() && rt.hosts.empty() && rt.headers.empty() && rt.paths.empty() &&
      !(https && snis && !snis->empty()) && !r.has("methods") && !r.has("hosts") &&
      !r.has("headers") && !r.has("paths")) {
    r.error("", https ? "must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when "
                        "'protocols' is 'https'"
                      : "must set one of 'methods', 'hosts', 'headers', 'paths' when "
                        "'protocols' is 'http'");
  }
  const auto* nested_plugins = r.get("plugins");
  r.finish();
  parent_ref self{"routes", rt.id, r.who().name};
  out_.routes.push_back(std::move(rt));
  if (nested_plugins) plugins(*nested_plugins, &self);
}

}  // namespace gh::config::detail
