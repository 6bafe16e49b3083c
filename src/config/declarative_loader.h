// Loader for Kong's DB-less declarative configuration (kong.yml / JSON).
//
// Turns the text of a declarative config into a validated DeclarativeConfig (model.h):
// _format_version 1.1/2.1 files are upgraded to 3.0 (regex paths gain "~"), nested and
// top-level entities are flattened, references by name or id are resolved to ids, missing
// ids are generated deterministically (Kong's UUIDv5 scheme), plugin configs and
// plugin-owned entities are validated by the factories in the registry. Every problem is
// collected (the loader keeps going after an error) with Kong's wording where Kong has
// one. The loader never throws and no input crashes it. Called at startup, on SIGHUP, by
// POST /config and by `gatehouse config check`.
#pragma once

#include "config/model.h"
#include "plugin/registry.h"

#include <boost/json/object.hpp>

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace gh::config {

struct config_error {
  std::string entity;       // top-level kind, e.g. "services"; empty for the file itself
  std::string entity_name;  // name, id, or "#3" (1-based position) when it has neither
  std::string field;        // e.g. "port" or "config.minute"; empty for the whole entity
  std::string message;      // Kong's wording, e.g. "required field missing"
  std::string entity_id;    // the entity's id (given or generated) when known
};

struct load_result {
  DeclarativeConfig config;
  std::vector<config_error> errors;
  bool ok() const { return errors.empty(); }
};

load_result load_declarative(std::string_view text, std::string_view source_name,
                             const plugin::Registry& plugins);
load_result load_declarative_file(const std::string& path, const plugin::Registry& plugins);

// One line per error: "<file>: <entity> '<name>': <field>: <reason>".
std::string format_errors(const load_result& result, std::string_view source_name);

// The body Kong's POST /config answers with on 400: code 14, name "invalid declarative
// configuration", message, fields nested per entity, and "flattened_errors".
boost::json::object kong_error_json(const load_result& result);

// `gatehouse config check FILE`: prints "ok: N services, M routes, ..." or every error.
bool check_config_file(const std::string& path, const plugin::Registry& plugins,
                       std::ostream& out);

}  // namespace gh::config
