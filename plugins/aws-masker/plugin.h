// The aws-masker plugin: masks AWS identifiers in request bodies (and listed headers)
// before they reach the upstream, and restores them in the response as it streams.
//
// Priority 799: after authentication (so `scope: consumer` knows the consumer), ACL and
// rate limiting (refused requests cost nothing) and request-transformer (801, whose
// additions get masked too). Request body: buffered (ctx.req.body), limited by
// max_body_size; gzip/deflate bodies are decoded, other encodings refused with 415 —
// never forwarded unmasked. Responses: the upstream is asked for identity encoding; the
// body is restored per chunk (SSE-aware for text/event-stream). `scope: request` keeps
// the map in the request context; consumer/global scopes keep it in the store and wait
// for it in access_async. See docs/plugins/aws-masker.md for every field.
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include "body_mask.h"
#include "mask_map.h"
#include "plugin/plugin.h"
#include "plugin/registry.h"
#include "plugin_config.h"
#include "restorer.h"
#include "telemetry.h"

namespace gh::aws_masker {

constexpr int kPriority = 799;

// Per request (Context::state<request_state>(plugin)).
struct request_state {
  mask_map map;
  mask_stats stats;
  bool masked = false;
  std::string scope_name = "request";
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t nanos = 0;  // masking time (access phase)
  std::optional<stream_restorer> restorer;
  std::unique_ptr<sse_restorer> sse;
};

class masker_plugin final : public plugin::Plugin {
 public:
  // `own_store`: `store` comes from the plugin's `redis` block and is used instead of the
  // request's (node) store.
  masker_plugin(masker_config cfg, std::string instance_id, std::shared_ptr<store::Store> store,
                bool own_store = false);

  plugin::Flow access(plugin::Context& ctx) const override;
  bool waits() const noexcept override { return cfg_.scope != map_scope::request; }
  boost::asio::awaitable<plugin::Flow> access_async(plugin::Context& ctx) const override;
  void header_filter(plugin::Context& ctx) const override;
  void body_filter(plugin::Context& ctx, std::string& chunk, bool end_of_stream) const override;
  void log(plugin::Context& ctx) const override;

  plugin::BodyMode request_body_mode() const noexcept override {
    return plugin::BodyMode::buffered;
  }
  std::size_t request_body_limit() const noexcept override { return cfg_.max_body_size; }
  plugin::BodyMode response_body_mode() const noexcept override {
    return cfg_.restore_responses ? plugin::BodyMode::stream : plugin::BodyMode::none;
  }

  const masker_config& config() const noexcept { return cfg_; }
  const instance_counters& counters() const noexcept { return *counters_; }

 private:
  // Decodes and size-checks the body; false when the request was answered (413/415).
  bool prepare_body(plugin::Context& ctx) const;
  // Masks `body` (moved out of the request) into the request's body, and the listed
  // headers, with st.map (already holding any store-issued pairs). A body with nothing to
  // mask is put back as it was, not copied.
  void apply_mask(plugin::Context& ctx, request_state& st, std::string body) const;
  plugin::Flow refuse(plugin::Context& ctx, int status, std::string_view message) const;

  // Fills st.map from the scope's mapping in the store; false on a store failure.
  boost::asio::awaitable<bool> sync_scope(store::Store& store, const std::string& prefix,
                                          const mask_map& probe, mask_map& out) const;
  // Adds to `map` the pairs that earlier requests of the scope were issued (up to
  // scope_restore_limit), so their tokens are restored in this response too. Two
  // round trips: the per-type counters, then the token keys. False on a store failure.
  boost::asio::awaitable<bool> load_issued(store::Store& store, const std::string& prefix,
                                           mask_map& map) const;

  masker_config cfg_;
  std::string instance_id_;
  std::shared_ptr<store::Store> store_;
  bool own_store_ = false;
  std::unique_ptr<instance_counters> counters_;
};

class masker_factory final : public plugin::Factory {
 public:
  std::string_view name() const override { return "aws-masker"; }
  int priority() const override { return kPriority; }
  void validate(boost::json::object& config,
                std::vector<plugin::SchemaError>& errors) const override;
  std::shared_ptr<const plugin::Plugin> build(const config::PluginInstance& instance,
                                              const plugin::BuildContext& ctx) const override;
};

}  // namespace gh::aws_masker

namespace gh::plugins {
void register_aws_masker(gh::plugin::Registry& r);
}  // namespace gh::plugins
