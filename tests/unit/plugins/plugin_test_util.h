// Helpers for the plugin unit tests: validate a config written as JSON through the
// plugin's Factory (as the loader does), build the plugin for a DeclarativeConfig made
// in code, and make request contexts.
#pragma once

#include "config/model.h"
#include "plugin/context.h"
#include "plugin/plugin.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gh::plugins::test {

inline std::vector<plugin::SchemaError> validate(const plugin::Factory& f, std::string_view config_json,
                                                 boost::json::object* out = nullptr) {
  boost::json::object c = boost::json::parse(config_json).as_object();
  std::vector<plugin::SchemaError> errors;
  f.validate(c, errors);
  if (out) *out = c;
  return errors;
}

// The message reported for `field`, or "" when none.
inline std::string error_for(const std::vector<plugin::SchemaError>& errors, std::string_view field) {
  for (const auto& e : errors) {
    if (e.field == field) return e.message;
  }
  return {};
}

inline std::shared_ptr<const plugin::Plugin> build(const plugin::Factory& f, std::string_view config_json,
                                                   const config::DeclarativeConfig* cfg = nullptr) {
  config::PluginInstance inst;
  inst.name = std::string(f.name());
  inst.id = "plugin-1";
  auto errors = validate(f, config_json, &inst.config);
  for (const auto& e : errors) ADD_FAILURE() << "config error " << e.field << ": " << e.message;
  plugin::BuildContext bc;
  bc.config = cfg;
  auto p = f.build(inst, bc);
  return p;
}

inline void request(plugin::Context& ctx, std::string method, std::string path, std::string query = {}) {
  ctx.req.method = std::move(method);
  ctx.req.path = std::move(path);
  ctx.req.query = std::move(query);
  ctx.req.client_ip = "127.0.0.1";
  ctx.request_id = "req-1";
}

inline boost::json::object body_json(plugin::Context& ctx) {
  return boost::json::parse(ctx.exit_body()).as_object();
}

inline std::string exit_message(plugin::Context& ctx) {
  return std::string(body_json(ctx).at("message").as_string());
}

}  // namespace gh::plugins::test
