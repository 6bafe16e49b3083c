// rate-limiting: Kong's plugin (PRIORITY 910) with exact admission.
//
// Kong reads the counters in access and increments them after the response, so
// concurrent requests all see the same count and get through (Kong issue 5311). Here
// access_async() checks and counts every configured period in one atomic Store::limit
// call before the request is proxied: with a limit of 100, exactly 100 requests pass,
// however many arrive at once. Schema, key format, identifiers, headers, status and body
// follow Kong (docs/plugins/rate-limiting.md); `algorithm: sliding` is a Gatehouse extra.
//
// policy local uses the node's store (BuildContext::store, else Context::store); policy
// redis asks gh::store::make_redis_store_for() (store/store_factory.h) at build time.
#pragma once

#include "plugin/plugin.h"
#include "plugin/registry.h"

namespace gh::plugins {

class rate_limiting_factory final : public plugin::Factory {
 public:
  std::string_view name() const override { return "rate-limiting"; }
  int priority() const override { return 910; }
  void validate(boost::json::object& config, std::vector<plugin::SchemaError>& errors) const override;
  std::shared_ptr<const plugin::Plugin> build(const config::PluginInstance& instance,
                                              const plugin::BuildContext& ctx) const override;
};

void register_rate_limiting(plugin::Registry& r);

}  // namespace gh::plugins
