// The `redis` implementation of gh::store::Store: the state many Gatehouse nodes share.
//
// Plugins build one with make_redis_store(config) at snapshot build time (config from
// their `redis` block, see config.h) and call it from any worker: each call runs on the
// calling worker's io_context with that worker's shared client (registry.h), so plugins
// pointing at the same Redis share one pipelined connection per worker and node.
// Atomic operations (incr with TTL, multi-window limit, compare_and_delete) are single
// Lua scripts run with EVALSHA. On Cluster, the keys of one limit() call must share a
// slot: give them a common {hash tag} (e.g. "rl:{route:consumer}:minute"); keys that do
// not share one are stored as "{<first key's tag or the first key>}<key>".
// Window semantics (fixed and sliding) are those of the embedded store.
#pragma once

#include <memory>

#include "store/redis/config.h"
#include "store/store.h"

namespace gh::redis {

std::shared_ptr<gh::store::Store> make_redis_store(const redis_config& cfg);

}  // namespace gh::redis
