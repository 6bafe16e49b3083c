// The typed per-request context that the proxy and every plugin phase share.
//
// One Context lives for one request, on the worker that accepted it; nothing in it is
// shared across threads. The proxy fills the request, route and service before the
// plugin chain runs; auth plugins set the consumer; plugins may answer early with
// exit(); header_filter/body_filter see the response. `req.headers` is the request that
// will be sent upstream: plugins edit it in place (as kong.service.request does).
#pragma once

#include "config/model.h"
#include "core/headers.h"

#include <boost/container/small_vector.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gh::store {
class Store;
}

namespace gh::plugin {

class Plugin;

struct Request {
  std::string method;
  std::string path;   // raw path, without the query
  std::string query;  // without '?', empty when none
  Headers headers;    // as they will go upstream (hop-by-hop already removed)
  std::string host;   // Host without port, lower case
  std::string scheme = "http";
  std::string client_ip;    // after trusted_ips / X-Forwarded-For (Kong's forwarded ip)
  std::string remote_addr;  // the TCP peer
  uint16_t remote_port = 0;
  std::optional<uint64_t> content_length;
  bool chunked = false;
  // Filled only when a plugin asked for the buffered body (plugin.h, body_mode). A plugin
  // may replace it; the proxy then sends it with a recomputed Content-Length.
  std::string body;
  bool body_buffered = false;
};

struct Response {
  int status = 0;
  Headers headers;
  // "service" when the upstream answered, "kong" when the gateway did (Kong's label).
  std::string_view source = "service";
};

class Context {
 public:
  Context() = default;
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  Request req;
  Response resp;

  const config::Route* route = nullptr;
  const config::Service* service = nullptr;

  // Set by an auth plugin; flows to later plugins, upstream headers, logs and metrics.
  const config::Consumer* consumer = nullptr;
  // Views the credential id held by the auth plugin, which lives in the config snapshot
  // that the request pins: not copied per request.
  std::string_view credential_id;
  bool anonymous_consumer = false;
  std::vector<std::string> authenticated_groups;  // from acl entities of the consumer

  std::string request_id;
  store::Store* store = nullptr;  // the node's default store
  unsigned worker_index = 0;
  std::chrono::steady_clock::time_point started_at{};
  // Whole milliseconds from started_at to `now`.
  int64_t ms_since_start(std::chrono::steady_clock::time_point now) const noexcept {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now - started_at).count();
  }
  int64_t upstream_latency_ms = -1;  // -1 until the upstream answered
  int64_t kong_latency_ms = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;

  // Answers the client with a Kong-style error: {"message":"...","request_id":"..."}.
  void exit(int status, std::string_view message);
  // Answers the client with a ready body (content type included in `headers`).
  void exit_with_body(int status, std::string body, Headers headers = {});
  bool exited() const noexcept { return exit_status_ != 0; }
  int exit_status() const noexcept { return exit_status_; }
  std::string& exit_body() noexcept { return exit_body_; }
  Headers& exit_headers() noexcept { return exit_headers_; }

  // Per-request state of one plugin instance, created on first use and destroyed with
  // the context. T must be default-constructible. A small state is placed in the
  // context's own storage (no allocation: the usual chain keeps a few states of tens of
  // bytes each), a larger one on the heap.
  template <class T>
  T& state(const Plugin* owner) {
    if (T* found = find_state<T>(owner)) return *found;
    void* room = nullptr;
    // Decided at compile time too: a state that can never fit goes to the heap without a
    // look at the inline storage (and GCC's -Warray-bounds sees no placement past it).
    if constexpr (sizeof(T) <= sizeof(inline_states_) && alignof(T) <= alignof(std::max_align_t))
      room = inline_room(sizeof(T), alignof(T));
    T* obj;
    void (*destroy)(void*);
    if (room != nullptr) {
      obj = new (room) T();
      destroy = [](void* p) { static_cast<T*>(p)->~T(); };
    } else {
      obj = new T();
      destroy = [](void* p) { delete static_cast<T*>(p); };
    }
    states_.push_back({owner, obj, destroy});
    return *obj;
  }
  template <class T>
  T* find_state(const Plugin* owner) noexcept {
    for (auto& s : states_) {
      if (s.owner == owner) return static_cast<T*>(s.ptr);
    }
    return nullptr;
  }
  ~Context() {
    for (auto it = states_.rbegin(); it != states_.rend(); ++it) it->destroy(it->ptr);
  }

 private:
  struct StateSlot {
    const Plugin* owner;
    void* ptr;
    void (*destroy)(void*);
  };
  // Room for `size` bytes aligned to `align` in inline_states_, or nullptr when full.
  void* inline_room(std::size_t size, std::size_t align) noexcept {
    std::size_t at = (inline_used_ + align - 1) & ~(align - 1);
    if (align > alignof(std::max_align_t) || at + size > sizeof(inline_states_)) return nullptr;
    inline_used_ = at + size;
    return inline_states_ + at;
  }

  boost::container::small_vector<StateSlot, 4> states_;
  alignas(std::max_align_t) std::byte inline_states_[256];
  std::size_t inline_used_ = 0;
  int exit_status_ = 0;
  std::string exit_body_;
  Headers exit_headers_;
};

// Kong's error body with the request id; used by the proxy and by plugins alike.
std::string kong_error_body(std::string_view message, std::string_view request_id);

}  // namespace gh::plugin
