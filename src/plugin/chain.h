// The plugin chain of a config snapshot: which plugin instances run for a request, in
// Kong's order.
//
// Built once per snapshot from the declarative config and the registry. For every route
// (and for requests without one) it precomputes the priority-ordered list of plugin
// names with the most specific instance that does not depend on the consumer. Instances
// scoped to a consumer are chosen at request time, after the auth plugins ran, with
// Kong's precedence (consumer+route+service > consumer+route > consumer+service >
// route+service > consumer > route > service > global).
#pragma once

#include "config/model.h"
#include "plugin/plugin.h"
#include "plugin/registry.h"

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace gh::plugin {

class Chain {
 public:
  // Builds every enabled instance. Throws std::runtime_error naming the instance when a
  // plugin cannot be built (config time only).
  static std::shared_ptr<const Chain> build(const config::DeclarativeConfig& cfg,
                                            const Registry& registry, const BuildContext& ctx);

  struct Slot {
    const Plugin* base = nullptr;  // most specific instance without a consumer, may be null
    std::vector<const Plugin*> consumer_variants;  // instances with a consumer, any scope
  };
  // Slots for a route (empty id = no route), highest priority first.
  const std::vector<Slot>& slots_for(const config::Route* route) const;
  // The instance of a slot that applies to this request. Inline for the usual case (no
  // consumer-scoped instance): it runs for every slot in several phases of every request.
  static const Plugin* pick(const Slot& slot, const config::Route* route,
                            const config::Service* service, const config::Consumer* consumer) {
    if (consumer == nullptr || slot.consumer_variants.empty()) return slot.base;
    return pick_for_consumer(slot, route, service, *consumer);
  }

  const std::vector<std::shared_ptr<const Plugin>>& all() const { return plugins_; }
  bool any_waits() const noexcept { return any_waits_; }

 private:
  static const Plugin* pick_for_consumer(const Slot& slot, const config::Route* route,
                                         const config::Service* service,
                                         const config::Consumer& consumer);

  std::vector<std::shared_ptr<const Plugin>> plugins_;
  std::unordered_map<const config::Route*, std::vector<Slot>> by_route_;
  std::vector<Slot> no_route_;
  bool any_waits_ = false;
};

}  // namespace gh::plugin
