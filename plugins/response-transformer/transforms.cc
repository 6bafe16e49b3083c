#include "plugins/response-transformer/transforms.h"

#include <boost/json.hpp>

#include <cmath>
#include <cstdlib>

namespace gh::plugins::transform {

namespace json = boost::json;

Pair split_pair(std::string_view s) {
  auto colon = s.find(':');
  if (colon == std::string_view::npos) return {std::string(s), {}};
  std::string_view rest = s.substr(colon);
  while (!rest.empty() && rest.front() == ':') rest.remove_prefix(1);
  return {std::string(s.substr(0, colon)), std::string(rest)};
}

namespace {

std::vector<Pair> pairs(const json::object* rec, std::string_view key) {
  std::vector<Pair> out;
  if (!rec) return out;
  if (auto* a = rec->if_contains(key); a && a->is_array()) {
    for (const auto& e : a->get_array()) {
      if (e.is_string()) out.push_back(split_pair(e.get_string()));
    }
  }
  return out;
}

std::vector<std::string> strings(const json::object* rec, std::string_view key) {
  std::vector<std::string> out;
  if (!rec) return out;
  if (auto* a = rec->if_contains(key); a && a->is_array()) {
    for (const auto& e : a->get_array()) {
      if (e.is_string()) out.emplace_back(e.get_string());
    }
  }
  return out;
}

std::vector<JsonPair> json_pairs(const json::object* rec) {
  std::vector<JsonPair> out;
  auto types = strings(rec, "json_types");
  auto ps = pairs(rec, "json");
  for (std::size_t i = 0; i < ps.size(); ++i) {
    out.push_back({ps[i].name, ps[i].value, i < types.size() ? types[i] : std::string()});
  }
  return out;
}

const json::object* record(const json::object& c, std::string_view key) {
  auto* v = c.if_contains(key);
  return v && v->is_object() ? &v->get_object() : nullptr;
}

// Kong's json_value + cast_value: the text as a string, a number (nothing when it is
// not one) or a boolean ("true" only).
std::optional<json::value> json_value(const JsonPair& p) {
  if (p.value.empty()) return std::nullopt;
  if (p.type == "boolean") return json::value(p.value == "true");
  if (p.type == "number") {
    char* end = nullptr;
    double d = std::strtod(p.value.c_str(), &end);
    if (end == p.value.c_str() || *end != '\0' || !std::isfinite(d)) return std::nullopt;
    if (std::floor(d) == d && std::fabs(d) < 9e15) return json::value(static_cast<int64_t>(d));
    return json::value(d);
  }
  return json::value(p.value);
}

// Lua truthiness of a decoded field: absent and false are falsy (JSON null is not).
bool truthy(const json::object& o, std::string_view name) {
  auto* v = o.if_contains(name);
  return v && !(v->is_bool() && !v->get_bool());
}

}  // namespace

Rules Rules::from_config(const json::object& c) {
  Rules r;
  const auto* remove = record(c, "remove");
  const auto* rename = record(c, "rename");
  const auto* replace = record(c, "replace");
  const auto* add = record(c, "add");
  const auto* append = record(c, "append");
  r.remove_headers = strings(remove, "headers");
  r.remove_json = strings(remove, "json");
  r.rename_headers = pairs(rename, "headers");
  r.rename_json = pairs(rename, "json");
  r.replace_headers = pairs(replace, "headers");
  r.add_headers = pairs(add, "headers");
  r.append_headers = pairs(append, "headers");
  r.replace_json = json_pairs(replace);
  r.add_json = json_pairs(add);
  r.append_json = json_pairs(append);
  return r;
}

bool is_json_body(std::string_view content_type) {
  while (!content_type.empty()) {
    auto comma = content_type.find(',');
    std::string_view part = content_type.substr(0, comma);
    content_type = comma == std::string_view::npos ? std::string_view{} : content_type.substr(comma + 1);
    part = trim_ows(part.substr(0, part.find(';')));
    if (iequals(part, "application/json")) return true;
  }
  return false;
}

void apply_headers(const Rules& rules, Headers& headers) {
  const bool needs_snapshot =
      !rules.rename_headers.empty() || !rules.replace_headers.empty() || !rules.add_headers.empty();
  Headers original;
  if (needs_snapshot) original = headers;

  for (const auto& name : rules.remove_headers) headers.remove(name);
  for (const auto& p : rules.rename_headers) {
    if (p.value.empty() || !original.has(p.name)) continue;
    std::vector<std::string> values;
    for (auto v : original.get_all(p.name)) values.emplace_back(v);
    headers.remove(p.value);
    for (const auto& v : values) headers.add(p.value, v);
    headers.remove(p.name);
  }
  for (const auto& p : rules.replace_headers) {
    if (!p.value.empty() && original.has(p.name)) headers.set(p.name, p.value);
  }
  for (const auto& p : rules.add_headers) {
    if (!p.value.empty() && !original.has(p.name)) headers.set(p.name, p.value);
  }
  for (const auto& p : rules.append_headers) {
    if (!p.value.empty()) headers.add(p.name, p.value);
  }
}

bool apply_json(const Rules& rules, std::string_view body, std::string& out) {
  boost::system::error_code ec;
  json::value doc = json::parse(body, ec);
  if (ec || !doc.is_object()) return false;
  json::object& o = doc.as_object();

  for (const auto& name : rules.remove_json) o.erase(name);
  for (const auto& p : rules.rename_json) {
    auto* v = o.if_contains(p.name);
    if (!v || p.value.empty()) continue;
    json::value moved = std::move(*v);
    o.erase(p.name);
    o[p.value] = std::move(moved);
  }
  for (const auto& p : rules.replace_json) {
    auto v = json_value(p);
    if (v && truthy(o, p.name)) o[p.name] = std::move(*v);
  }
  for (const auto& p : rules.add_json) {
    auto v = json_value(p);
    if (v && !truthy(o, p.name)) o[p.name] = std::move(*v);
  }
  for (const auto& p : rules.append_json) {
    auto v = json_value(p);
    if (!v) continue;
    json::value* cur = o.if_contains(p.name);
    if (cur && cur->is_array()) {
      cur->as_array().push_back(std::move(*v));
    } else if (cur && cur->is_string()) {
      json::array a{*cur, std::move(*v)};
      *cur = std::move(a);
    } else {
      o[p.name] = json::array{std::move(*v)};
    }
  }
  out = json::serialize(doc);
  return true;
}

}  // namespace gh::plugins::transform
