// Fixed-window limit() calls of one worker merged into one script call per event-loop turn.
//
// Under load a worker has many requests waiting for their rate-limit answer at once. Their
// EVALSHAs already share one write and one read on the worker's connection (pipelining),
// but Redis still runs the script once per request, and most of what Redis spends on a
// policy-redis request is starting and interpreting that script. The batcher queues the
// calls made during one turn of the worker's event loop and sends them as one
// `scripts::limit_batch` call (one per slot on Cluster), which decides them in order with
// each key read and written once; each caller then gets its own answer. The turn's first
// caller sends its batch and waits for the reply itself (no wake-up for it). Used by
// redis_store (redis_store.cc) for fixed windows; one batcher per worker and config
// (registry.h), on that worker's thread only.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "store/redis/client.h"
#include "store/store.h"

namespace gh::redis {

class limit_batcher {
 public:
  limit_batcher(std::shared_ptr<client> c, bool cluster);

  // One limit() call. `prefix` is prepended to every key (the store's cross-slot tag, or
  // empty). `windows` must stay valid until the call completes (it lives in the caller's
  // coroutine frame, which waits).
  awaitable<result<gh::store::limit_result>> limit(std::string_view prefix,
                                                   std::span<const gh::store::window_spec> windows,
                                                   int64_t cost, int64_t now_ms);

 private:
  struct call;
  awaitable<void> run(std::vector<call*> calls);

  std::shared_ptr<client> client_;
  bool cluster_;
  std::vector<call*> queued_;
};

// The batcher of `config_id` on `ex`'s worker (created on first use).
limit_batcher& worker_limit_batcher(const executor& ex, std::size_t config_id, bool cluster);

}  // namespace gh::redis
