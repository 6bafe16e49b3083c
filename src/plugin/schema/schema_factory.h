// A Factory for the common plugin shape: config validated by one Schema, and a Plugin
// built from the validated config alone (no entities, no store).
//
// cors, ip-restriction, request-size-limiting and request-termination are all this:
//   r.add(std::make_unique<schema_factory<CorsPlugin>>("cors", 2000, config_schema));
// Plugins that own entities or need the BuildContext write their own Factory.
#pragma once

#include <memory>
#include <string_view>

#include "plugin/plugin.h"
#include "plugin/schema/schema.h"

namespace gh::plugin::schema {

template <class PluginT>
class schema_factory final : public Factory {
 public:
  using schema_fn = const Schema& (*)();
  schema_factory(std::string_view name, int priority, schema_fn schema)
      : name_(name), priority_(priority), schema_(schema) {}

  std::string_view name() const override { return name_; }
  int priority() const override { return priority_; }
  void validate(boost::json::object& config, std::vector<SchemaError>& errors) const override {
    schema_().validate(config, errors);
  }
  std::shared_ptr<const Plugin> build(const config::PluginInstance& instance,
                                      const BuildContext&) const override {
    return std::make_shared<PluginT>(instance.config);
  }

 private:
  std::string_view name_;
  int priority_;
  schema_fn schema_;
};

}  // namespace gh::plugin::schema
