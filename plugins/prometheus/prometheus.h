// prometheus: Kong's plugin (PRIORITY 13), on top of the core's always-on request metrics.
//
// The proxy records every routed request into gh::metrics::proxy_metrics (requests by
// status and source, the three latency histograms) whether or not this plugin is
// configured. Where the plugin applies, it marks the request (metrics/request_options.h)
// so that the recorded sample carries the consumer label (per_consumer) and feeds
// kong_bandwidth_bytes (bandwidth_metrics). It marks in access and again in log, so
// requests that another plugin answered early are marked too. See
// docs/plugins/prometheus.md for the differences with Kong.
#pragma once

#include "plugin/plugin.h"
#include "plugin/registry.h"

namespace gh::plugins {

class prometheus_factory final : public plugin::Factory {
 public:
  std::string_view name() const override { return "prometheus"; }
  int priority() const override { return 13; }
  void validate(boost::json::object& config, std::vector<plugin::SchemaError>& errors) const override;
  std::shared_ptr<const plugin::Plugin> build(const config::PluginInstance& instance,
                                              const plugin::BuildContext& ctx) const override;
};

void register_prometheus(plugin::Registry& r);

}  // namespace gh::plugins
