// Process-wide sharing of Redis clients: plugins that point at the same Redis (same
// config identity) share one client — and so one pipelined connection per node — per
// worker. "Per worker" means per execution context (io_context): the clients live in an
// Asio service of that context and die with it, on its thread. Call shared_client() from
// a coroutine running on the worker's io_context (one thread per io_context).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "store/redis/client.h"

namespace gh::redis {

// A small integer naming a config identity, process-wide; intern once at build time and
// look up per call with no string hashing.
std::size_t intern_config(const redis_config& cfg);

// The client for `cfg` on `ex`'s execution context (created on first use).
std::shared_ptr<client> shared_client(const executor& ex, std::size_t config_id);
inline std::shared_ptr<client> shared_client(const executor& ex, const redis_config& cfg) {
  return shared_client(ex, intern_config(cfg));
}

// Per-worker state of a config besides its client (the store's limit batcher, see
// limit_batch.h): made by `make` on first use, kept in the same service as the clients and
// dropped with the worker's io_context. One state per config id.
std::shared_ptr<void> worker_state(const executor& ex, std::size_t config_id,
                                   const std::function<std::shared_ptr<void>()>& make);

}  // namespace gh::redis
