// An immutable configuration snapshot: everything a request needs to be routed and run.
//
// Built once per load or reload (declarative config -> routes -> plugin chain) and then
// shared read-only by every worker through snapshot_holder. In-flight requests keep the
// snapshot they started with alive through their shared_ptr, so a reload never changes
// a request halfway.
#pragma once

#include "config/model.h"
#include "plugin/chain.h"
#include "router/route_table.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace gh::store {
class Store;
}

namespace gh::server {

// Targets of a Kong upstream entity, expanded by weight for round-robin.
struct target_ring {
  struct target {
    std::string host;
    uint16_t port = 8000;
  };
  std::vector<target> slots;
};

struct snapshot {
  uint64_t version = 0;
  std::string source_name;  // file path or "POST /config"
  std::string source_text;  // as loaded, for GET /config
  config::DeclarativeConfig config;
  std::shared_ptr<const router::route_table> routes;
  std::shared_ptr<const plugin::Chain> chain;
  std::unordered_map<std::string, target_ring> upstreams;  // by upstream name
  // Consumers by id, for plugins and logs.
  std::unordered_map<std::string, const config::Consumer*> consumers;
};

// Builds a snapshot from a validated config. Throws std::runtime_error (with a message
// naming the entity) when routes or plugins cannot be built.
std::shared_ptr<const snapshot> build_snapshot(config::DeclarativeConfig cfg,
                                               std::string source_name, std::string source_text,
                                               std::shared_ptr<store::Store> store);

// The current snapshot, swapped atomically; workers poll the version (one relaxed load
// per request) and take the lock only when it changed.
class snapshot_holder {
 public:
  void publish(std::shared_ptr<const snapshot> s);
  std::shared_ptr<const snapshot> current() const;
  uint64_t version() const noexcept { return version_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const snapshot> current_;
  std::atomic<uint64_t> version_{0};
};

}  // namespace gh::server
