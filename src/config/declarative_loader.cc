#include "config/declarative_loader.h"

#include "config/loader.h"
#include "config/yaml_json.h"

#include <boost/json/array.hpp>

#include <fstream>
#include <map>
#include <sstream>

namespace gh::config {

load_result load_declarative(std::string_view text, std::string_view source_name,
                             const plugin::Registry& plugins) {
  load_result result;
  try {
    parsed_document doc = parse_yaml_or_json(text);
    if (!doc.error.empty()) {
      result.errors.push_back({"", "", "", doc.error, ""});
      return result;
    }
    detail::loader l(plugins, result.errors, result.config);
    l.load(doc.value);
  } catch (const std::exception& e) {
    result.errors.push_back({"", "", "", std::string("internal error while loading: ") + e.what(), ""});
  } catch (...) {
    result.errors.push_back({"", "", "", "internal error while loading", ""});
  }
  return result;
}

load_result load_declarative_file(const std::string& path, const plugin::Registry& plugins) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    load_result result;
    result.errors.push_back({"", "", "", "cannot read file", ""});
    return result;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return load_declarative(buffer.str(), path, plugins);
}

namespace {

// Error text may quote bytes from the file; keep the output printable UTF-8 by writing
// control characters and invalid UTF-8 as \xNN.
std::string printable(std::string_view in) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(in.size());
  auto escape = [&](unsigned char c) {
    out += "\\x";
    out += hex[c >> 4];
    out += hex[c & 0xF];
  };
  for (std::size_t i = 0; i < in.size();) {
    auto c = static_cast<unsigned char>(in[i]);
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\n') escape(c);
      else out += static_cast<char>(c);
      ++i;
      continue;
    }
    std::size_t len = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = len > 0 && i + len <= in.size();
    for (std::size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(in[i + k]) >> 6) == 0x2;
    if (ok) {
      out.append(in.substr(i, len));
      i += len;
    } else {
      escape(c);
      ++i;
    }
  }
  return out;
}

}  // namespace

std::string format_errors(const load_result& result, std::string_view source_name) {
  std::string out;
  for (const auto& e : result.errors) {
    out += source_name;
    out += ": ";
    if (!e.entity.empty()) {
      out += e.entity;
      if (!e.entity_name.empty()) out += " '" + e.entity_name + "'";
      out += ": ";
    }
    if (!e.field.empty()) out += e.field + ": ";
    out += e.message;
    out += '\n';
  }
  return printable(out);
}

namespace {

// Sets obj[path...] = message, nesting on '.', collecting repeats into an array.
void put_nested(boost::json::object& obj, std::string_view path, const std::string& message) {
  auto dot = path.find('.');
  std::string_view head = path.substr(0, dot);
  if (head.empty()) head = "@entity";
  if (dot != std::string_view::npos) {
    auto& slot = obj[head];
    if (!slot.is_object()) slot = boost::json::object{};
    put_nested(slot.as_object(), path.substr(dot + 1), message);
    return;
  }
  auto it = obj.find(head);
  if (it == obj.end()) {
    obj[head] = message;
  } else if (it->value().is_array()) {
    it->value().as_array().push_back(boost::json::string(message));
  } else if (it->value().is_string()) {
    boost::json::array both{it->value(), boost::json::string(message)};
    it->value() = std::move(both);
  }
}

}  // namespace

boost::json::object kong_error_json(const load_result& result) {
  boost::json::object body;
  body["code"] = 14;
  body["name"] = "invalid declarative configuration";
  boost::json::object fields;
  boost::json::array flattened;
  std::map<std::pair<std::string, std::string>, std::size_t> flat_index;
  std::string summary;
  for (const auto& e : result.errors) {
    if (!summary.empty()) summary += "; ";
    if (!e.entity.empty()) summary += e.entity + " '" + e.entity_name + "': ";
    if (!e.field.empty()) summary += e.field + ": ";
    summary += e.message;
    if (e.entity.empty()) {
      if (!e.field.empty()) put_nested(fields, e.field, e.message);
      continue;
    }
    auto& per_kind = fields[e.entity];
    if (!per_kind.is_object()) per_kind = boost::json::object{};
    auto& per_entity = per_kind.as_object()[e.entity_name];
    if (!per_entity.is_object()) per_entity = boost::json::object{};
    put_nested(per_entity.as_object(), e.field, e.message);

    auto key = std::make_pair(e.entity, e.entity_name);
    auto [it, inserted] = flat_index.emplace(key, flattened.size());
    if (inserted) {
      boost::json::object entry;
      entry["entity_type"] = detail::singular(e.entity);
      entry["entity_name"] = e.entity_name;
      if (!e.entity_id.empty()) entry["entity_id"] = e.entity_id;
      entry["errors"] = boost::json::array{};
      flattened.push_back(std::move(entry));
    }
    boost::json::object err;
    if (e.field.empty()) {
      err["type"] = "entity";
    } else {
      err["type"] = "field";
      err["field"] = e.field;
    }
    err["message"] = e.message;
    flattened[it->second].as_object()["errors"].as_array().push_back(std::move(err));
  }
  body["message"] = "declarative config is invalid: " + summary;
  body["fields"] = std::move(fields);
  body["flattened_errors"] = std::move(flattened);
  return body;
}

bool check_config_file(const std::string& path, const plugin::Registry& plugins,
                       std::ostream& out) {
  load_result r = load_declarative_file(path, plugins);
  if (!r.ok()) {
    out << format_errors(r, path);
    return false;
  }
  const auto& c = r.config;
  out << "ok: " << c.services.size() << " services, " << c.routes.size() << " routes, "
      << c.consumers.size() << " consumers, " << c.plugins.size() << " plugins, "
      << c.upstreams.size() << " upstreams, " << c.targets.size() << " targets, "
      << c.plugin_entities.size() << " plugin entities\n";
  return true;
}

}  // namespace gh::config
