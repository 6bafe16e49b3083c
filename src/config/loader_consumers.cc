// Consumers, plugins and plugin-owned entities (credentials, acls ...) of a declarative
// config. Plugin configs and plugin entities are validated by the owning Factory.
#include "config/loader.h"

#include <algorithm>

namespace gh::config::detail {
namespace {

constexpr std::string_view kong_protocols[] = {"grpc", "grpcs", "http",            "https",
                                             "tcp",  "tls",   "tls_passthrough", "udp"};

// Null means "not set" in a declarative file: drop it so the schema's default applies.
void strip_nulls(boost::json::object& obj, int depth = 0) {
  for (auto it = obj.begin(); it != obj.end();) {
    if (it->value().is_null()) {
      it = obj.erase(it);
      continue;
    }
    if (auto* o = it->value().if_object(); o && depth < 64) strip_nulls(*o, depth + 1);
    ++it;
  }
}

// Kong's endpoint key of a plugin-owned entity, when it has one (feeds the id hash).
std::string_view endpoint_key(std::string_view kind) {
  if (kind == "keyauth_credentials" || kind == "jwt_secrets") return "key";
  if (kind == "basicauth_credentials" || kind == "hmacauth_credentials") return "username";
  return {};
}

std::string string_field(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return {};
  return std::string(it->value().get_string());
}

}  // namespace

void loader::consumers(const boost::json::value& list) {
  for_each_record(list, "consumers", nullptr,
                  [this](const boost::json::object& o, std::size_t pos) { consumer(o, pos); });
}

void loader::consumer(const boost::json::object& obj, std::size_t position) {
  field_reader r(obj, sink_, label("consumers", obj, {"username", "custom_id"}, position, nullptr));
  Consumer c;
  if (auto v = r.string("username")) c.username = *v;
  if (auto v = r.string("custom_id")) c.custom_id = *v;
  if (!r.has("username") && !r.has("custom_id"))
    r.error("", "at least one of these fields must be non-empty: 'custom_id', 'username'");
  c.id = entity_id(r, "consumers", c.username, position, nullptr);
  r.known({"created_at", "updated_at"});
  c.tags = tags(r);
  const auto* nested_plugins = r.get("plugins");
  std::vector<std::pair<std::string, const boost::json::value*>> owned;
  for (const auto& kv : obj) {
    std::string key(kv.key());
    if (registry_.find_entity_owner(key))
      if (const auto* v = r.get(key)) owned.emplace_back(key, v);
  }
  r.finish();
  parent_ref self{"consumers", c.id, r.who().name};
  out_.consumers.push_back(std::move(c));
  if (nested_plugins) plugins(*nested_plugins, &self);
  for (const auto& [kind, list] : owned) plugin_entities(kind, *list, &self);
}

void loader::plugins(const boost::json::value& list, const parent_ref* parent) {
  for_each_record(list, "plugins", parent,
                  [this, parent](const boost::json::object& o, std::size_t pos) {
                    plugin(o, pos, parent);
                  });
}

void loader::plugin(const boost::json::object& obj, std::size_t position, const parent_ref* parent) {
  entity_label who = label("plugins", obj, {"instance_name", "id"}, position, parent);
  std::string plugin_name = string_field(obj, "name");
  if (who.name.front() == '#' && !plugin_name.empty()) {
    who.name = plugin_name + (parent ? " on " + singular(parent->kind) + " " + parent->name
                                     : " #" + std::to_string(position));
  }
  field_reader r(obj, sink_, who);
  PluginInstance p;
  const std::size_t index = out_.plugins.size();
  if (auto v = r.string("name", true)) p.name = *v;
  if (auto v = r.string("instance_name")) p.instance_name = *v;
  r.known({"created_at", "updated_at"});

  // Foreign keys: the parent's is implied by nesting, the others are references.
  std::string key_parts[3];
  const char* fields[3] = {"route", "service", "consumer"};
  const char* kinds[3] = {"routes", "services", "consumers"};
  for (int i = 0; i < 3; ++i) {
    if (parent && parent->kind == kinds[i]) {
      if (r.get(fields[i])) r.error(fields[i], "value must be null");
      key_parts[i] = parent->id;
      continue;
    }
    key_parts[i] = reference(r, fields[i], kinds[i],
                             [index, i](DeclarativeConfig& c) -> std::string& {
                               auto& pl = c.plugins[index];
                               return i == 0 ? pl.route_id : i == 1 ? pl.service_id : pl.consumer_id;
                             });
  }
  if (parent) {
    if (parent->kind == "routes") p.route_id = parent->id;
    if (parent->kind == "services") p.service_id = parent->id;
    if (parent->kind == "consumers") p.consumer_id = parent->id;
  }
  std::string key = !p.instance_name.empty()
                        ? p.instance_name
                        : (p.name.empty() ? std::string()
                                          : "plugins:" + p.name + ":" + key_parts[0] + ":" +
                                                key_parts[1] + ":" + key_parts[2]);
  p.id = entity_id(r, "plugins", key, position, parent);
  if (auto v = r.boolean("enabled")) p.enabled = *v;
  if (auto v = r.strings("protocols")) {
    bool ok = true;
    for (const auto& proto : *v) {
      if (std::find(std::begin(kong_protocols), std::end(kong_protocols), proto) == std::end(kong_protocols)) {
        r.error("protocols",
                "expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp");
        ok = false;
      }
    }
    if (ok) p.protocols = *v;
  }
  p.tags = tags(r);
  if (r.get("ordering")) r.error("ordering", "not supported by gatehouse yet");
  const auto* config = r.object("config");
  if (config) p.config = *config;
  strip_nulls(p.config);
  r.finish();

  if (!p.name.empty()) {
    const plugin::Factory* factory = registry_.find(p.name);
    if (!factory) {
      r.error("name", "plugin '" + p.name +
                          "' not enabled; add it to the 'plugins' configuration property");
    } else {
      std::vector<plugin::SchemaError> problems;
      try {
        factory->validate(p.config, problems);
      } catch (const std::exception& e) {
        problems.push_back({"", std::string("invalid configuration: ") + e.what()});
      } catch (...) {
        problems.push_back({"", "invalid configuration"});
      }
      for (auto& e : problems)
        r.error(e.field.empty() ? "config" : "config." + e.field, std::move(e.message));
    }
  }
  plugin_labels_.push_back(r.who());
  out_.plugins.push_back(std::move(p));
}

void loader::plugin_entities(const std::string& kind, const boost::json::value& list,
                             const parent_ref* parent) {
  for_each_record(list, kind, parent,
                  [this, &kind, parent](const boost::json::object& o, std::size_t pos) {
                    plugin_entity(kind, o, pos, parent);
                  });
}

void loader::plugin_entity(const std::string& kind, const boost::json::object& obj,
                           std::size_t position, const parent_ref* parent) {
  // Named by id or position only: credential keys are secrets and stay out of messages.
  field_reader r(obj, sink_, label(kind, obj, {}, position, parent));
  PluginEntity e;
  e.kind = kind;
  const std::size_t index = out_.plugin_entities.size();
  std::string consumer_key;
  if (parent) {
    e.consumer_id = parent->id;
    consumer_key = parent->id;
    if (r.get("consumer")) r.error("consumer", "value must be null");
  } else {
    consumer_key = reference(r, "consumer", "consumers",
                             [index](DeclarativeConfig& c) -> std::string& {
                               return c.plugin_entities[index].consumer_id;
                             });
    if (consumer_key.empty() && !r.has("consumer")) r.error("consumer", "required field missing");
  }
  std::string key;
  if (auto k = endpoint_key(kind); !k.empty()) key = string_field(obj, k);
  else if (kind == "acls" && !string_field(obj, "group").empty())
    key = "acls:" + consumer_key + ":" + string_field(obj, "group");
  e.id = entity_id(r, kind, key, position, parent);
  for (const auto& kv : obj) {
    std::string_view k = kv.key();
    r.known({k});
    if (k == "id" || k == "consumer" || k == "created_at" || k == "_comment" || k == "_ignore")
      continue;
    e.fields[k] = kv.value();
  }
  strip_nulls(e.fields);
  r.finish();
  const plugin::Factory* owner = registry_.find_entity_owner(kind);
  std::vector<plugin::SchemaError> problems;
  try {
    if (owner) owner->validate_entity(kind, e.fields, problems);
  } catch (const std::exception& ex) {
    problems.push_back({"", std::string("invalid entity: ") + ex.what()});
  } catch (...) {
    problems.push_back({"", "invalid entity"});
  }
  for (auto& p : problems) r.error(p.field, std::move(p.message));
  out_.plugin_entities.push_back(std::move(e));
}

}  // namespace gh::config::detail
