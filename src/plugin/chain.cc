#include "plugin/chain.h"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace gh::plugin {

namespace {

// Kong's precedence as a rank (higher wins); -1 when the instance does not apply.
int specificity(const config::PluginInstance& p, const std::string& route_id,
                const std::string& service_id, const std::string& consumer_id) {
  if (!p.route_id.empty() && p.route_id != route_id) return -1;
  if (!p.service_id.empty() && p.service_id != service_id) return -1;
  if (!p.consumer_id.empty() && p.consumer_id != consumer_id) return -1;
  bool c = !p.consumer_id.empty(), r = !p.route_id.empty(), s = !p.service_id.empty();
  if (c && r && s) return 7;
  if (c && r) return 6;
  if (c && s) return 5;
  if (r && s) return 4;
  if (c) return 3;
  if (r) return 2;
  if (s) return 1;
  return 0;
}

}  // namespace

std::shared_ptr<const Chain> Chain::build(const config::DeclarativeConfig& cfg,
                                          const Registry& registry, const BuildContext& ctx) {
  auto chain = std::make_shared<Chain>();
  // name -> built instances, in config order
  std::map<std::string, std::vector<const Plugin*>> by_name;
  std::map<std::string, int> priority_of;
  for (const auto& inst : cfg.plugins) {
    if (!inst.enabled) continue;
    const Factory* f = registry.find(inst.name);
    if (!f) throw std::runtime_error("plugin '" + inst.name + "' not enabled");
    auto built = f->build(inst, ctx);
    auto* mutable_plugin = const_cast<Plugin*>(built.get());
    mutable_plugin->instance = &inst;
    mutable_plugin->priority = f->priority();
    mutable_plugin->name = f->name();
    chain->any_waits_ = chain->any_waits_ || built->waits() || built->rewrite_waits();
    by_name[inst.name].push_back(built.get());
    priority_of[inst.name] = f->priority();
    chain->plugins_.push_back(std::move(built));
  }
  std::vector<std::string> order;
  for (const auto& [name, _] : by_name) order.push_back(name);
  std::stable_sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
    return priority_of[a] > priority_of[b];
  });

  auto slots_for_route = [&](const std::string& route_id, const std::string& service_id) {
    std::vector<Slot> slots;
    for (const auto& name : order) {
      Slot slot;
      int best = -1;
      for (const Plugin* p : by_name[name]) {
        if (!p->instance->consumer_id.empty()) {
          if (specificity(*p->instance, route_id, service_id, p->instance->consumer_id) >= 0)
            slot.consumer_variants.push_back(p);
          continue;
        }
        int rank = specificity(*p->instance, route_id, service_id, "");
        if (rank > best) {
          best = rank;
          slot.base = p;
        }
      }
      if (slot.base || !slot.consumer_variants.empty()) slots.push_back(std::move(slot));
    }
    return slots;
  };
  for (const auto& r : cfg.routes) chain->by_route_[&r] = slots_for_route(r.id, r.service_id);
  chain->no_route_ = slots_for_route("", "");
  return chain;
}

const std::vector<Chain::Slot>& Chain::slots_for(const config::Route* route) const {
  if (!route) return no_route_;
  auto it = by_route_.find(route);
  return it == by_route_.end() ? no_route_ : it->second;
}

const Plugin* Chain::pick_for_consumer(const Slot& slot, const config::Route* route,
                                       const config::Service* service,
                                       const config::Consumer& consumer) {
  const Plugin* best = slot.base;
  int best_rank = best ? specificity(*best->instance, route ? route->id : "",
                                     service ? service->id : "", "")
                       : -1;
  for (const Plugin* p : slot.consumer_variants) {
    int rank = specificity(*p->instance, route ? route->id : "", service ? service->id : "",
                           consumer.id);
    if (rank > best_rank) {
      best_rank = rank;
      best = p;
    }
  }
  return best;
}

}  // namespace gh::plugin
