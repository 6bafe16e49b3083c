#include "cli.h"

#include <boost/json.hpp>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "body_mask.h"
#include "plugin_config.h"
#include "restorer.h"

namespace gh::aws_masker {
namespace {

namespace js = boost::json;

bool read_file(const std::string& path, std::string& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  out.assign(std::istreambuf_iterator<char>(f), {});
  return true;
}

bool looks_like_json(std::string_view s) {
  std::size_t i = s.find_first_not_of(" \t\r\n");
  return i != std::string_view::npos && (s[i] == '{' || s[i] == '[');
}

bool load_map(const std::string& path, mask_map& map, std::ostream& err) {
  std::string text;
  if (!read_file(path, text)) {
    err << "unmask: cannot read map file " << path << "\n";
    return false;
  }
  boost::system::error_code ec;
  js::value v = js::parse(text, ec);
  const js::object* o = ec ? nullptr : v.if_object();
  const js::value* entries = o != nullptr ? o->if_contains("entries") : nullptr;
  if (entries == nullptr || !entries->is_array()) {
    err << "unmask: " << path << " is not a map written by gatehouse mask --map-out\n";
    return false;
  }
  for (const auto& e : entries->as_array()) {
    const js::object* eo = e.if_object();
    if (eo == nullptr || !eo->contains("token") || !eo->contains("value") ||
        !eo->at("token").is_string() || !eo->at("value").is_string()) {
      err << "unmask: malformed map entry in " << path << "\n";
      return false;
    }
    std::string type = eo->contains("type") && eo->at("type").is_string()
                           ? std::string(eo->at("type").as_string())
                           : std::string();
    map.insert(type, std::string(eo->at("token").as_string()),
               std::string(eo->at("value").as_string()));
  }
  return true;
}

bool write_map(const std::string& path, const mask_map& map) {
  js::array entries;
  for (const auto& e : map.entries()) {
    entries.push_back(js::object{{"token", e.token}, {"type", e.type}, {"value", e.value}});
  }
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << js::serialize(js::object{{"version", 1}, {"entries", std::move(entries)}}) << "\n";
  return static_cast<bool>(f);
}

}  // namespace

int run_mask_cli(const mask_cli_options& opt, std::istream& in, std::ostream& out,
                 std::ostream& err) {
  std::string input(std::istreambuf_iterator<char>(in), {});
  if (opt.unmask) {
    if (opt.map_in.empty()) {
      err << "unmask: --map FILE is required (written by gatehouse mask --map-out FILE)\n";
      return 2;
    }
    mask_map map;
    if (!load_map(opt.map_in, map, err)) return 2;
    std::string restored;
    stream_restorer::restore_all(
        map, looks_like_json(input) ? restore_escape::json : restore_escape::none, input, restored);
    out << restored;
    return out ? 0 : 1;
  }
  js::object config;
  if (!opt.config_path.empty()) {
    std::string text;
    if (!read_file(opt.config_path, text)) {
      err << "mask: cannot read config file " << opt.config_path << "\n";
      return 2;
    }
    boost::system::error_code ec;
    js::value v = js::parse(text, ec);
    if (ec || !v.is_object()) {
      err << "mask: " << opt.config_path << ": expected a JSON object (an aws-masker config)\n";
      return 2;
    }
    config = v.as_object();
    if (const js::value* c = config.if_contains("config"); c != nullptr && c->is_object()) {
      config = c->as_object();  // a whole plugin entry
    }
  }
  std::vector<plugin::SchemaError> errors;
  validate_config(config, errors);
  if (!errors.empty()) {
    for (const auto& e : errors) err << "mask: config." << e.field << ": " << e.message << "\n";
    return 2;
  }
  std::unique_ptr<mask_engine> engine;
  try {
    engine = std::make_unique<mask_engine>(engine_options_from(config));
  } catch (const std::exception& e) {
    err << "mask: " << e.what() << "\n";
    return 2;
  }
  mask_map map;
  std::string masked;
  bool json_aware = config.contains("json_aware") ? config.at("json_aware").as_bool() : true;
  mask_body(*engine, looks_like_json(input) ? "application/json" : "text/plain", json_aware, input,
            map, masked);
  out << masked;
  if (opt.explain) {
    // On stderr, so stdout stays the masked text (pipes keep working with --explain).
    std::vector<match> found;
    engine->find(input, found);
    for (const match& m : found) {
      std::string_view value = std::string_view(input).substr(m.begin, m.end - m.begin);
      const std::optional<std::string_view> token = map.token_of(value);
      err << m.begin << '\t' << m.end << '\t' << engine->type_names()[m.type] << '\t'
          << (token ? *token : map.token_for(engine->type_names()[m.type], value))
          << '\n';
    }
  }
  if (!opt.map_out.empty() && !write_map(opt.map_out, map)) {
    err << "mask: cannot write map file " << opt.map_out << "\n";
    return 1;
  }
  return out ? 0 : 1;
}

int run_mask_cli(bool unmask, bool explain, const std::string& config_path_or_empty,
                 std::istream& in, std::ostream& out, std::ostream& err) {
  mask_cli_options o;
  o.unmask = unmask;
  o.explain = explain;
  o.config_path = config_path_or_empty;
  return run_mask_cli(o, in, out, err);
}

}  // namespace gh::aws_masker
