// The registry of plugin factories, by Kong plugin name.
//
// Built-in plugins register in plugins/builtin.cc (generated list: one register_<name>
// function per folder under plugins/). The config loader asks the registry whether a
// plugin exists and to validate its config; the snapshot builder asks it to build.
#pragma once

#include "plugin/plugin.h"

#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace gh::plugin {

class Registry {
 public:
  void add(std::unique_ptr<Factory> factory);
  const Factory* find(std::string_view name) const;
  // The factory that owns an entity kind such as "keyauth_credentials".
  const Factory* find_entity_owner(std::string_view kind) const;
  std::vector<std::string> names() const;

 private:
  std::map<std::string, std::unique_ptr<Factory>, std::less<>> factories_;
};

// The process-wide registry with every built-in plugin registered.
const Registry& builtin_registry();

}  // namespace gh::plugin
