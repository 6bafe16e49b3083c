#include "plugins/prometheus/prometheus.h"

#include "metrics/request_options.h"
#include "plugin/schema/schema.h"

namespace gh::plugins {

using namespace plugin::schema;
using plugin::Context;
using plugin::Flow;

namespace {

const Schema& config_schema() {
  static const Schema s({
      {"per_consumer", Field::boolean().default_value(false)},
      {"status_code_metrics", Field::boolean().default_value(false)},
      {"ai_metrics", Field::boolean().default_value(false)},
      {"latency_metrics", Field::boolean().default_value(false)},
      {"bandwidth_metrics", Field::boolean().default_value(false)},
      {"upstream_health_metrics", Field::boolean().default_value(false)},
      {"wasm_metrics", Field::boolean().default_value(false)},
  });
  return s;
}

class prometheus_plugin final : public plugin::Plugin {
 public:
  explicit prometheus_plugin(const boost::json::object& c)
      : per_consumer_(get_bool(c, "per_consumer")), bandwidth_(get_bool(c, "bandwidth_metrics")) {}

  Flow access(Context& ctx) const override {
    mark(ctx);
    return Flow::next;
  }
  void log(Context& ctx) const override { mark(ctx); }

 private:
  void mark(Context& ctx) const {
    // Nothing to ask for (the usual status/latency metrics are always recorded): leave
    // the request's options absent rather than allocate them for every request.
    if (!per_consumer_ && !bandwidth_) return;
    auto& o = metrics::options_of(ctx);
    o.per_consumer = o.per_consumer || per_consumer_;
    o.bandwidth = o.bandwidth || bandwidth_;
  }

  bool per_consumer_;
  bool bandwidth_;
};

}  // namespace

void prometheus_factory::validate(boost::json::object& config,
                                  std::vector<plugin::SchemaError>& errors) const {
  config_schema().validate(config, errors);
}

std::shared_ptr<const plugin::Plugin> prometheus_factory::build(
    const config::PluginInstance& instance, const plugin::BuildContext&) const {
  return std::make_shared<prometheus_plugin>(instance.config);
}

void register_prometheus(plugin::Registry& r) { r.add(std::make_unique<prometheus_factory>()); }

}  // namespace gh::plugins
