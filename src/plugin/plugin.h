// The plugin interface: what every plugin implements and what the chain runner calls.
//
// A plugin has two parts (after Envoy's filter factories and Pingora's phases):
//  - a Factory, registered once by name, that validates a kong.yml `config` record
//    (filling Kong's defaults) and builds
//  - a Plugin object per configured instance and config snapshot. It is immutable and
//    shared by all workers; per-request state lives in Context::state<T>(this).
// Phases run in Kong's priority order (higher first). rewrite/access may wait (store,
// Redis, gRPC): a plugin that waits returns true from waits() (access) or rewrite_waits()
// and overrides the *_async variant, which the chain co_awaits; the others stay plain calls. header_filter,
// body_filter and log never wait, as in Kong. Any phase may answer early via ctx.exit().
#pragma once

#include "config/model.h"
#include "plugin/context.h"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gh::store {
class Store;
}

namespace gh::plugin {

enum class Flow { next, respond };

// What a plugin needs of a body.
enum class BodyMode {
  none,      // never looks at it
  stream,    // per chunk, as it passes (request_body_filter / body_filter)
  buffered,  // the whole request body in ctx.req.body before access (up to a limit)
};

struct SchemaError {
  std::string field;    // dotted path inside config, e.g. "minute" or "redis.port"
  std::string message;  // Kong's wording, e.g. "expected an integer"
};

// What a plugin may use while it is built for a snapshot.
struct BuildContext {
  const config::DeclarativeConfig* config = nullptr;  // consumers, credentials, ...
  std::shared_ptr<store::Store> store;                 // the node's default store
};

class Plugin {
 public:
  virtual ~Plugin() = default;

  virtual Flow rewrite(Context& ctx) const { return Flow::next; }
  virtual Flow access(Context& ctx) const { return Flow::next; }
  // Whether access (waits) and rewrite (rewrite_waits) run as coroutines: only those
  // phases pay for a coroutine frame.
  virtual bool waits() const noexcept { return false; }
  virtual bool rewrite_waits() const noexcept { return false; }
  virtual boost::asio::awaitable<Flow> rewrite_async(Context& ctx) const;
  virtual boost::asio::awaitable<Flow> access_async(Context& ctx) const;

  // Request body, per chunk while it streams upstream (request_body_mode() == stream).
  // Returning respond aborts the upstream request and answers the client.
  virtual Flow request_body_filter(Context& ctx, std::string_view chunk, bool end_of_stream) const {
    return Flow::next;
  }
  // Response status and headers, before anything is sent to the client.
  virtual void header_filter(Context& ctx) const {}
  // Response body, called per chunk as it streams to the client, then once with
  // end_of_stream=true (chunk possibly empty). The plugin may rewrite `chunk` in place,
  // hold bytes back for the next call, or flush them at the end.
  virtual void body_filter(Context& ctx, std::string& chunk, bool end_of_stream) const {}
  // After the response was sent: metrics, events, logs.
  virtual void log(Context& ctx) const {}

  virtual BodyMode request_body_mode() const noexcept { return BodyMode::none; }
  virtual std::size_t request_body_limit() const noexcept { return 8 * 1024 * 1024; }
  virtual BodyMode response_body_mode() const noexcept { return BodyMode::none; }

  // Set by the chain builder.
  const config::PluginInstance* instance = nullptr;
  int priority = 0;
  std::string_view name;
};

class Factory {
 public:
  virtual ~Factory() = default;
  virtual std::string_view name() const = 0;
  virtual int priority() const = 0;  // Kong's PRIORITY
  // Validates `config` in place, filling defaults; appends every problem found.
  virtual void validate(boost::json::object& config, std::vector<SchemaError>& errors) const = 0;
  // Builds the instance for a snapshot. `instance.config` has passed validate().
  // May throw std::runtime_error with a message naming the field (config time only).
  virtual std::shared_ptr<const Plugin> build(const config::PluginInstance& instance,
                                              const BuildContext& ctx) const = 0;
  // Plugin-owned entity kinds (e.g. "keyauth_credentials"); the loader validates them.
  virtual std::vector<std::string_view> entity_kinds() const { return {}; }
  virtual void validate_entity(std::string_view kind, boost::json::object& fields,
                               std::vector<SchemaError>& errors) const {}
};

}  // namespace gh::plugin
