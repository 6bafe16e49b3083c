// Small plugin factories for the loader tests: the loader's structure is under test, not
// real plugins (those live in plugins/ and have their own tests).
#pragma once

#include "config/declarative_loader.h"
#include "plugin/registry.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace gh::config::testing {

// Accepts any config; claims the given entity kinds and accepts any entity of them.
class permissive_factory : public plugin::Factory {
 public:
  permissive_factory(std::string name, std::vector<std::string> kinds = {})
      : name_(std::move(name)), kinds_(std::move(kinds)) {}
  std::string_view name() const override { return name_; }
  int priority() const override { return 0; }
  void validate(boost::json::object&, std::vector<plugin::SchemaError>&) const override {}
  std::shared_ptr<const plugin::Plugin> build(const PluginInstance&,
                                              const plugin::BuildContext&) const override {
    return nullptr;
  }
  std::vector<std::string_view> entity_kinds() const override {
    return {kinds_.begin(), kinds_.end()};
  }

 private:
  std::string name_;
  std::vector<std::string> kinds_;
};

// A schema with one rule, to see config errors reach the result with their path:
// `minute` must be a positive integer, `policy` defaults to "local", nothing else allowed.
class minute_limit_factory : public permissive_factory {
 public:
  minute_limit_factory() : permissive_factory("minute-limit") {}
  void validate(boost::json::object& config,
                std::vector<plugin::SchemaError>& errors) const override {
    for (const auto& kv : config)
      if (kv.key() != "minute" && kv.key() != "policy") errors.push_back({kv.key(), "unknown field"});
    auto it = config.find("minute");
    if (it == config.end()) errors.push_back({"minute", "required field missing"});
    else if (!it->value().is_int64() || it->value().get_int64() <= 0)
      errors.push_back({"minute", "value must be greater than 0"});
    if (!config.contains("policy")) config["policy"] = "local";
  }
};

// Every plugin name the Kong example files use, with the entity kinds they own.
inline plugin::Registry example_registry() {
  plugin::Registry r;
  r.add(std::make_unique<permissive_factory>("key-auth", std::vector<std::string>{"keyauth_credentials"}));
  r.add(std::make_unique<permissive_factory>("jwt", std::vector<std::string>{"jwt_secrets"}));
  r.add(std::make_unique<permissive_factory>("acl", std::vector<std::string>{"acls"}));
  r.add(std::make_unique<permissive_factory>("basic-auth",
                                             std::vector<std::string>{"basicauth_credentials"}));
  for (const char* n : {"rate-limiting", "http-log", "tcp-log", "file-log", "correlation-id",
                        "ip-restriction", "prometheus"})
    r.add(std::make_unique<permissive_factory>(n));
  r.add(std::make_unique<minute_limit_factory>());
  return r;
}

inline std::string example_path(const std::string& file) {
  return std::string(GATEHOUSE_SHARED_DIR) + "/compat/kong-examples/" + file;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// True when some error has this field and a message containing `needle`.
inline bool has_error(const load_result& r, std::string_view field, std::string_view needle) {
  for (const auto& e : r.errors)
    if (e.field == field && e.message.find(needle) != std::string::npos) return true;
  return false;
}

}  // namespace gh::config::testing
