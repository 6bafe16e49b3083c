#include "admin/admin_routes.h"

#include "metrics/proxy_metrics.h"
#include "plugin/registry.h"
#include "server/server.h"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <unistd.h>

#include <fstream>

namespace gh::admin {

namespace json = boost::json;

namespace {

admin_response json_response(int status, const json::value& v) {
  return {status, json::serialize(v)};
}

admin_response message(int status, std::string_view text) {
  return json_response(status, json::object{{"message", text}});
}

json::array to_array(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

json::value or_null(const std::string& s) { return s.empty() ? json::value(nullptr) : json::value(s); }
json::value ref(const std::string& id) {
  return id.empty() ? json::value(nullptr) : json::value(json::object{{"id", id}});
}

json::object entity_json(const config::Service& s) {
  return {{"id", s.id},           {"name", or_null(s.name)},
          {"protocol", s.protocol}, {"host", s.host},
          {"port", s.port},       {"path", or_null(s.path)},
          {"retries", s.retries}, {"connect_timeout", s.connect_timeout},
          {"write_timeout", s.write_timeout}, {"read_timeout", s.read_timeout},
          {"enabled", s.enabled}, {"tags", to_array(s.tags)}};
}

json::object entity_json(const config::Route& r) {
  json::object headers;
  for (const auto& [k, v] : r.headers) headers[k] = to_array(v);
  return {{"id", r.id},
          {"name", or_null(r.name)},
          {"protocols", to_array(r.protocols)},
          {"methods", r.methods.empty() ? json::value(nullptr) : json::value(to_array(r.methods))},
          {"hosts", r.hosts.empty() ? json::value(nullptr) : json::value(to_array(r.hosts))},
          {"paths", r.paths.empty() ? json::value(nullptr) : json::value(to_array(r.paths))},
          {"headers", headers.empty() ? json::value(nullptr) : json::value(headers)},
          {"strip_path", r.strip_path},
          {"preserve_host", r.preserve_host},
          {"regex_priority", r.regex_priority},
          {"path_handling", r.path_handling},
          {"https_redirect_status_code", r.https_redirect_status_code},
          {"service", ref(r.service_id)},
          {"tags", to_array(r.tags)}};
}

json::object entity_json(const config::Consumer& c) {
  return {{"id", c.id}, {"username", or_null(c.username)}, {"custom_id", or_null(c.custom_id)},
          {"tags", to_array(c.tags)}};
}

json::object entity_json(const config::PluginInstance& p) {
  return {{"id", p.id},
          {"name", p.name},
          {"instance_name", or_null(p.instance_name)},
          {"service", ref(p.service_id)},
          {"route", ref(p.route_id)},
          {"consumer", ref(p.consumer_id)},
          {"enabled", p.enabled},
          {"protocols", to_array(p.protocols)},
          {"config", p.config},
          {"tags", to_array(p.tags)}};
}

json::object entity_json(const config::Upstream& u) {
  return {{"id", u.id},           {"name", u.name},
          {"algorithm", u.algorithm}, {"hash_on", u.hash_on},
          {"slots", u.slots},     {"healthchecks", u.healthchecks},
          {"tags", to_array(u.tags)}};
}

json::object entity_json(const config::Target& t) {
  return {{"id", t.id}, {"target", t.target}, {"weight", t.weight}, {"upstream", ref(t.upstream_id)},
          {"tags", to_array(t.tags)}};
}

template <class T, class Key>
admin_response list_or_get(const std::vector<T>& items, std::string_view id_or_name, Key key) {
  if (id_or_name.empty()) {
    json::array data;
    for (const auto& e : items) data.push_back(entity_json(e));
    return json_response(200, json::object{{"data", data}, {"next", nullptr}});
  }
  for (const auto& e : items) {
    if (e.id == id_or_name || (!key(e).empty() && key(e) == id_or_name))
      return json_response(200, entity_json(e));
  }
  return message(404, "Not found");
}

std::string hostname() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

uint64_t rss_bytes() {
  std::ifstream in("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

admin_response node_info(server::server& srv) {
  const auto& s = srv.settings();
  json::array proxy_listen;
  for (const auto& a : s.proxy_listen) proxy_listen.emplace_back(a.to_string());
  json::array admin_listen;
  for (const auto& a : s.admin_listen) admin_listen.emplace_back(a.to_string());
  json::object available;
  for (const auto& name : plugin::builtin_registry().names()) available[name] = true;
  json::array enabled;
  if (auto snap = srv.current_snapshot()) {
    for (const auto& p : snap->config.plugins) enabled.emplace_back(p.name);
  }
  json::object configuration{
      {"declarative_config", or_null(s.declarative_config)},
      {"proxy_listen", proxy_listen},
      {"admin_listen", admin_listen},
      {"nginx_worker_processes", s.workers},
      {"workers", s.workers},
      {"trusted_ips", to_array(s.trusted_ips)},
      {"real_ip_header", s.real_ip_header},
      {"log_level", s.log_level},
      {"database", "off"},
      {"router_flavor", "traditional_compatible"}};
  return json_response(200, json::object{{"version", GATEHOUSE_VERSION},
                                         {"tagline", "Welcome to gatehouse"},
                                         {"node_id", s.node_id},
                                         {"hostname", hostname()},
                                         {"configuration", configuration},
                                         {"plugins", json::object{{"available_on_server", available},
                                                                  {"enabled_in_cluster", enabled}}}});
}

admin_response status(server::server& srv) {
  auto c = srv.counters();
  auto snap = srv.current_snapshot();
  int64_t waiting = std::max<int64_t>(0, c.active - c.reading - c.writing);
  return json_response(
      200, json::object{{"server", json::object{{"connections_accepted", c.accepted},
                                                {"connections_handled", c.handled},
                                                {"connections_active", c.active},
                                                {"connections_reading", c.reading},
                                                {"connections_writing", c.writing},
                                                {"connections_waiting", waiting},
                                                {"total_requests", c.requests}}},
                        {"database", json::object{{"reachable", true}}},
                        {"memory", json::object{{"workers_lua_vms", json::array{}},
                                                {"lua_shared_dicts", json::object{}},
                                                {"process_rss_bytes", rss_bytes()}}},
                        {"configuration_hash", snap ? std::to_string(snap->version) : "0"}});
}

admin_response metrics(server::server& srv) {
  auto c = srv.counters();
  metrics::connection_stats stats;
  stats.accepted = c.accepted;
  stats.handled = c.handled;
  stats.active = static_cast<uint64_t>(std::max<int64_t>(0, c.active));
  stats.reading = static_cast<uint64_t>(std::max<int64_t>(0, c.reading));
  stats.writing = static_cast<uint64_t>(std::max<int64_t>(0, c.writing));
  stats.waiting = stats.active > stats.reading + stats.writing ? stats.active - stats.reading - stats.writing : 0;
  srv.metrics().set_connection_stats(stats);
  return {200, srv.metrics().render(), std::string(metrics::proxy_metrics::content_type)};
}

// POST /config accepts the config as the raw body (YAML or JSON), as a JSON object
// {"config": "<text>"} or a declarative object, or as a form field config=<text>.
std::string config_text_from(std::string_view content_type, const std::string& body) {
  if (content_type.starts_with("application/x-www-form-urlencoded")) {
    std::string ref = "?" + body;
    if (auto parsed = boost::urls::parse_relative_ref(ref)) {
      for (auto param : parsed->params()) {
        if (param.key == "config") return param.value;
      }
    }
    return body;
  }
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (!ec && v.is_object()) {
    const auto& o = v.as_object();
    if (auto* c = o.if_contains("config"); c && c->is_string() && !o.contains("_format_version"))
      return std::string(c->as_string());
  }
  return body;
}

}  // namespace

admin_response handle_admin_request(server::server& srv, std::string_view method,
                                    std::string_view target, std::string_view content_type,
                                    const std::string& body) {
  auto path = target.substr(0, target.find('?'));
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  auto snap = srv.current_snapshot();

  if (path == "/config") {
    if (method == "GET") {
      return json_response(200, json::object{{"config", snap ? snap->source_text : ""}});
    }
    if (method == "POST") {
      auto r = srv.reload_from_text(config_text_from(content_type, body), "POST /config");
      if (!r.ok) return json_response(400, r.errors_json);
      return json_response(201, json::object{{"services", r.services},
                                             {"routes", r.routes},
                                             {"plugins", r.plugins},
                                             {"consumers", r.consumers}});
    }
    return message(405, "Method not allowed");
  }
  if (method != "GET") {
    // A DB-less node changes only through POST /config, as in Kong.
    if (method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE")
      return message(405, "cannot " + std::string(method) + " entities when not using a database");
    return message(405, "Method not allowed");
  }
  if (path == "/") return node_info(srv);
  if (path == "/status") return status(srv);
  if (path == "/metrics") return metrics(srv);
  if (path == "/plugins/enabled") {
    json::array names;
    for (const auto& n : plugin::builtin_registry().names()) names.emplace_back(n);
    return json_response(200, json::object{{"enabled_plugins", names}});
  }
  if (!snap) return message(404, "Not found");
  const auto& cfg = snap->config;
  auto rest = path.substr(1);
  auto slash = rest.find('/');
  auto collection = rest.substr(0, slash);
  auto id = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  if (id.find('/') != std::string_view::npos) return message(404, "Not found");
  if (collection == "services") return list_or_get(cfg.services, id, [](const auto& e) { return e.name; });
  if (collection == "routes") return list_or_get(cfg.routes, id, [](const auto& e) { return e.name; });
  if (collection == "consumers")
    return list_or_get(cfg.consumers, id, [](const auto& e) { return e.username; });
  if (collection == "plugins")
    return list_or_get(cfg.plugins, id, [](const auto& e) { return e.instance_name; });
  if (collection == "upstreams") return list_or_get(cfg.upstreams, id, [](const auto& e) { return e.name; });
  if (collection == "targets") return list_or_get(cfg.targets, id, [](const auto& e) { return e.target; });
  return message(404, "Not found");
}

}  // namespace gh::admin
