// The document walk, reference resolution and uniqueness checks of the loader.
#include "config/loader.h"

#include "config/uuid.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace gh::config::detail {
namespace {

// Kong entities we know but do not serve yet; accepted only when empty.
constexpr std::string_view unsupported_kinds[] = {
    "certificates", "ca_certificates", "snis",    "vaults",  "key_sets",
    "keys",         "workspaces",      "parameters", "filter_chains", "clustering_data_planes"};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::string singular(std::string_view kind) {
  if (kind == "services") return "service";
  if (kind == "routes") return "route";
  if (kind == "consumers") return "consumer";
  if (kind == "upstreams") return "upstream";
  if (kind == "targets") return "target";
  if (kind == "plugins") return "plugin";
  return std::string(kind);
}

void loader::load(const boost::json::value& root) {
  entity_label file{};
  if (root.is_null()) {
    sink_.add(file, "_format_version", "required field missing");
    return;
  }
  if (!root.is_object()) {
    sink_.add(file, "", "expected a record at the top level of the file");
    return;
  }
  const auto& doc = root.get_object();
  field_reader top(doc, sink_, file);
  if (auto v = top.one_of("_format_version", {"1.1", "2.1", "3.0"})) {
    upgrade_paths_ = *v != "3.0";
  } else if (!top.has("_format_version")) {
    top.error("_format_version", "required field missing");
  }
  top.boolean("_transform");

  // Fixed order, so output order does not depend on key order in the file.
  if (const auto* v = top.get("services")) services(*v);
  if (const auto* v = top.get("routes")) routes(*v, nullptr);
  if (const auto* v = top.get("consumers")) consumers(*v);
  if (const auto* v = top.get("upstreams")) upstreams(*v);
  if (const auto* v = top.get("targets")) targets(*v, nullptr);
  if (const auto* v = top.get("plugins")) plugins(*v, nullptr);
  for (const auto& kv : doc) {
    std::string key(kv.key());
    if (key.empty() || key[0] == '_') continue;
    if (registry_.find_entity_owner(key)) {
      if (const auto* v = top.get(key)) plugin_entities(key, *v, nullptr);
      continue;
    }
    for (auto k : unsupported_kinds) {
      if (k != key) continue;
      top.known({k});
      const auto& v = kv.value();
      if (!(v.is_null() || (v.is_array() && v.get_array().empty())))
        top.error(key, "entity type not supported by gatehouse yet");
    }
  }
  top.finish();
  resolve_references();
  check_uniqueness();
}

void loader::for_each_record(const boost::json::value& list, const std::string& kind,
                             const parent_ref* parent, const item_fn& fn) {
  if (list.is_null()) return;
  if (!list.is_array()) {
    if (parent)
      sink_.add({parent->kind, parent->name, parent->id}, kind, expected_message("array"));
    else
      sink_.add({}, kind, expected_message("array"));
    return;
  }
  std::size_t position = 0;
  for (const auto& item : list.get_array()) {
    ++position;
    if (!item.is_object()) {
      boost::json::object empty;
      sink_.add(label(kind, empty, {}, position, parent), "", expected_message("record"));
      continue;
    }
    fn(item.get_object(), position);
  }
}

entity_label loader::label(const std::string& kind, const boost::json::object& obj,
                           std::initializer_list<std::string_view> name_keys,
                           std::size_t position, const parent_ref* parent) const {
  entity_label l{kind, "", ""};
  for (auto k : name_keys) {
    auto it = obj.find(k);
    if (it != obj.end() && it->value().is_string() && !it->value().get_string().empty()) {
      l.name = std::string(it->value().get_string());
      break;
    }
  }
  if (auto it = obj.find("id"); it != obj.end() && it->value().is_string())
    l.id = std::string(it->value().get_string());
  if (l.name.empty()) l.name = l.id;
  if (l.name.empty()) {
    l.name = "#" + std::to_string(position);
    if (parent) l.name += " on " + singular(parent->kind) + " " + parent->name;
  }
  if (l.name.size() > 120) l.name = l.name.substr(0, 117) + "...";
  return l;
}

std::string loader::entity_id(field_reader& r, const std::string& kind, const std::string& key,
                              std::size_t position, const parent_ref* parent) {
  if (const auto* v = r.get("id")) {
    if (v->is_string() && is_uuid(v->get_string())) return lower(std::string(v->get_string()));
    r.error("id", "expected a valid UUID");
  }
  if (!key.empty()) return entity_uuid(kind, key);
  return entity_uuid(kind, "\x01position:" + (parent ? parent->id : std::string()) + ":" +
                               std::to_string(position));
}

std::string loader::reference(field_reader& r, const std::string& field, const std::string& target,
                              std::function<std::string&(DeclarativeConfig&)> slot) {
  const auto* v = r.get(field);
  if (!v) return "";
  std::string value;
  if (v->is_string() && !v->get_string().empty()) {
    value = std::string(v->get_string());
  } else if (const auto* o = v->if_object()) {
    for (const char* k : {"id", "name", "username"}) {
      auto it = o->find(k);
      if (it != o->end() && it->value().is_string()) {
        value = std::string(it->value().get_string());
        break;
      }
    }
    if (value.empty()) r.error(field, "expected a record with an 'id' or a name");
  } else {
    r.error(field, expected_message("string"));
  }
  if (!value.empty()) refs_.push_back({r.who(), field, target, value, std::move(slot)});
  return value;
}

std::vector<std::string> loader::tags(field_reader& r) {
  auto t = r.strings("tags");
  return t ? std::move(*t) : std::vector<std::string>{};
}

void loader::resolve_references() {
  std::map<std::string, std::map<std::string, std::string, std::less<>>, std::less<>> by_key;
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> ids;
  for (const auto& s : out_.services) {
    if (!s.name.empty()) by_key["services"].emplace(s.name, s.id);
    ids["services"].insert(s.id);
  }
  for (const auto& r : out_.routes) {
    if (!r.name.empty()) by_key["routes"].emplace(r.name, r.id);
    ids["routes"].insert(r.id);
  }
  for (const auto& c : out_.consumers) {
    if (!c.username.empty()) by_key["consumers"].emplace(c.username, c.id);
    ids["consumers"].insert(c.id);
  }
  for (const auto& u : out_.upstreams) {
    if (!u.name.empty()) by_key["upstreams"].emplace(u.name, u.id);
    ids["upstreams"].insert(u.id);
  }
  for (auto& ref : refs_) {
    std::string found;
    if (auto k = by_key.find(ref.target_kind); k != by_key.end()) {
      if (auto it = k->second.find(ref.value); it != k->second.end()) found = it->second;
    }
    if (found.empty()) {
      auto& set = ids[ref.target_kind];
      if (auto it = set.find(lower(ref.value)); it != set.end()) found = *it;
    }
    if (found.empty()) {
      sink_.add(ref.owner, ref.field,
                "invalid reference '" + ref.field + ": " + ref.value + "' (no such entry in '" +
                    ref.target_kind + "')");
      continue;
    }
    ref.slot(out_) = found;
  }
}

namespace {

template <typename T, typename KeyFn>
void unique_by(error_sink& sink, const std::string& kind, const std::vector<T>& items,
               const std::string& field, KeyFn key) {
  std::set<std::string> seen;
  for (const auto& item : items) {
    std::string k = key(item);
    if (k.empty() || seen.insert(k).second) continue;
    entity_label l{kind, field == "primary key" ? item.id : k, item.id};
    sink.add(l, field == "primary key" ? "id" : field,
             "uniqueness violation: '" + kind + "' entity with " + field + " set to '" + k +
                 "' already declared");
  }
}

}  // namespace

void loader::check_uniqueness() {
  auto by_id = [](const auto& e) { return e.id; };
  unique_by(sink_, "services", out_.services, "primary key", by_id);
  unique_by(sink_, "services", out_.services, "name", [](const Service& s) { return s.name; });
  unique_by(sink_, "routes", out_.routes, "primary key", by_id);
  unique_by(sink_, "routes", out_.routes, "name", [](const Route& r) { return r.name; });
  unique_by(sink_, "consumers", out_.consumers, "primary key", by_id);
  unique_by(sink_, "consumers", out_.consumers, "username",
            [](const Consumer& c) { return c.username; });
  unique_by(sink_, "consumers", out_.consumers, "custom_id",
            [](const Consumer& c) { return c.custom_id; });
  unique_by(sink_, "upstreams", out_.upstreams, "primary key", by_id);
  unique_by(sink_, "upstreams", out_.upstreams, "name", [](const Upstream& u) { return u.name; });
  unique_by(sink_, "targets", out_.targets, "primary key", by_id);
  unique_by(sink_, "plugins", out_.plugins, "primary key", by_id);
  unique_by(sink_, "plugins", out_.plugins, "instance_name",
            [](const PluginInstance& p) { return p.instance_name; });
  std::map<std::string, std::vector<PluginEntity>> entities;
  for (const auto& e : out_.plugin_entities) entities[e.kind].push_back(e);
  for (const auto& [kind, list] : entities) unique_by(sink_, kind, list, "primary key", by_id);

  std::set<std::pair<std::string, std::string>> targets;
  for (const auto& t : out_.targets) {
    if (t.upstream_id.empty() || targets.emplace(t.upstream_id, t.target).second) continue;
    sink_.add({"targets", t.target, t.id}, "target",
              "uniqueness violation: 'targets' entity with target set to '" + t.target +
                  "' already declared for this upstream");
  }
  // Kong's plugins cache_key: one instance per (name, route, service, consumer).
  std::set<std::tuple<std::string, std::string, std::string, std::string>> plugins;
  for (std::size_t i = 0; i < out_.plugins.size(); ++i) {
    const auto& p = out_.plugins[i];
    if (plugins.emplace(p.name, p.route_id, p.service_id, p.consumer_id).second) continue;
    auto q = [](const std::string& s) { return s.empty() ? std::string("null") : "'" + s + "'"; };
    sink_.add(plugin_labels_[i], "name",
              "uniqueness violation: 'plugins' entity with (name, route, service, consumer) set "
              "to ('" + p.name + "', " + q(p.route_id) + ", " + q(p.service_id) + ", " +
                  q(p.consumer_id) + ") already declared");
  }
}

}  // namespace gh::config::detail
