// Fuzz target: arbitrary JSON as one built-in plugin's `config` (or as a plugin-owned
// entity such as a keyauth_credential), through the registry's factories as the loader
// calls them (Factory::validate, validate_entity), then Factory::build for a config that
// passed, as a snapshot does. Input: the plugin name (or "entity:<kind>") on the first
// line, the JSON after it.
//
// Beyond "no crash": validation is a fixed point. A validated config (defaults filled,
// values normalised) validates again without errors and unchanged, as it must when a
// node re-reads the config it exported.
#include "config/model.h"
#include "fuzz_check.h"
#include "plugin/registry.h"
#include "store/embedded/embedded_store.h"

#include <boost/json/parse.hpp>

#include <string_view>

using namespace gh;

namespace {

void check_config(const plugin::Factory& f, boost::json::object config) {
  std::vector<plugin::SchemaError> errors;
  f.validate(config, errors);
  if (!errors.empty()) return;
  auto again = config;
  f.validate(again, errors);
  FUZZ_REQUIRE(errors.empty(), "a validated config validates again");
  FUZZ_REQUIRE(again == config, "validating a validated config changes nothing");
  static const auto store = std::make_shared<store::embedded_store>();
  config::DeclarativeConfig cfg;
  config::PluginInstance inst;
  inst.id = "00000000-0000-4000-8000-000000000000";
  inst.name = std::string(f.name());
  inst.config = std::move(config);
  try {
    (void)f.build(inst, plugin::BuildContext{&cfg, store});
  } catch (const std::exception&) {
    // Factory::build may refuse with a message (config time); the server reports it.
  }
}

void check_entity(const plugin::Factory& f, std::string_view kind, boost::json::object fields) {
  std::vector<plugin::SchemaError> errors;
  f.validate_entity(kind, fields, errors);
  if (!errors.empty()) return;
  auto again = fields;
  f.validate_entity(kind, again, errors);
  FUZZ_REQUIRE(errors.empty(), "a validated entity validates again");
  FUZZ_REQUIRE(again == fields, "validating a validated entity changes nothing");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto eol = in.find('\n');
  if (eol == std::string_view::npos) return 0;
  std::string_view name = in.substr(0, eol);
  boost::system::error_code ec;
  auto json = boost::json::parse(in.substr(eol + 1), ec);
  if (ec || !json.is_object()) return 0;

  const auto& registry = plugin::builtin_registry();
  if (name.starts_with("entity:")) {
    auto kind = name.substr(7);
    if (const auto* f = registry.find_entity_owner(kind)) check_entity(*f, kind, json.as_object());
  } else if (const auto* f = registry.find(name)) {
    check_config(*f, json.as_object());
  }
  return 0;
}
