#include "plugin/registry.h"

namespace gh::plugin {

void Registry::add(std::unique_ptr<Factory> factory) {
  std::string key(factory->name());
  factories_[key] = std::move(factory);
}

const Factory* Registry::find(std::string_view name) const {
  auto it = factories_.find(name);
  return it == factories_.end() ? nullptr : it->second.get();
}

const Factory* Registry::find_entity_owner(std::string_view kind) const {
  for (const auto& [name, factory] : factories_) {
    for (auto k : factory->entity_kinds()) {
      if (k == kind) return factory.get();
    }
  }
  return nullptr;
}

std::vector<std::string> Registry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, factory] : factories_) out.push_back(name);
  return out;
}

}  // namespace gh::plugin
