#include "metrics/request_options.h"

#include "plugin/plugin.h"

namespace gh::metrics {

namespace {
// A plugin object used only as the identity under which the options live in a Context.
class options_owner final : public plugin::Plugin {};
const options_owner owner_tag;
}  // namespace

request_options& options_of(plugin::Context& ctx) {
  return ctx.state<request_options>(&owner_tag);
}

const request_options* find_options(plugin::Context& ctx) {
  return ctx.find_state<request_options>(&owner_tag);
}

request_sample sample_from(plugin::Context& ctx, std::chrono::steady_clock::time_point now) {
  request_sample s;
  const request_options* opts = find_options(ctx);
  if (ctx.service != nullptr) {
    s.service = !ctx.service->name.empty() ? std::string_view(ctx.service->name)
                                           : std::string_view(ctx.service->host);
  }
  if (ctx.route != nullptr) {
    s.route = !ctx.route->name.empty() ? std::string_view(ctx.route->name)
                                       : std::string_view(ctx.route->id);
  }
  if (opts != nullptr && opts->per_consumer && ctx.consumer != nullptr) {
    s.consumer = ctx.consumer->username;
  }
  s.status = ctx.exited() ? ctx.exit_status() : ctx.resp.status;
  s.from_service = !ctx.exited() && ctx.resp.source == "service";
  if (ctx.started_at != std::chrono::steady_clock::time_point{}) {
    s.request_latency_ms = ctx.ms_since_start(now);
  } else {
    s.request_latency_ms = -1;
  }
  s.upstream_latency_ms = ctx.upstream_latency_ms;
  s.kong_latency_ms = ctx.kong_latency_ms;
  s.bytes_in = ctx.bytes_in;
  s.bytes_out = ctx.bytes_out;
  s.bandwidth = opts != nullptr && opts->bandwidth;
  return s;
}

}  // namespace gh::metrics
