#include "store/redis/limit_batch.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <algorithm>
#include <map>
#include <utility>

#include "store/redis/registry.h"
#include "store/redis/store_scripts.h"

namespace gh::redis {

using gh::store::limit_result;
using gh::store::window_spec;

namespace {
constexpr std::size_t max_batch = 128;  // calls per script run
}  // namespace

struct limit_batcher::call {
  call(const executor& ex, std::string_view p, std::span<const window_spec> w, int64_t c,
       int64_t n)
      : prefix(p), windows(w), cost(c), now_ms(n), wake(ex, asio::steady_timer::time_point::max()) {}
  std::string_view prefix;
  std::span<const window_spec> windows;
  int64_t cost;
  int64_t now_ms;
  asio::steady_timer wake;  // cancelled when `out` is set
  result<limit_result> out{errc::closed};
  bool done = false;
};

limit_batcher::limit_batcher(std::shared_ptr<client> c, bool cluster)
    : client_(std::move(c)), cluster_(cluster) {}

awaitable<result<limit_result>> limit_batcher::limit(std::string_view prefix,
                                                     std::span<const window_spec> windows,
                                                     int64_t cost, int64_t now_ms) {
  auto ex = co_await asio::this_coro::executor;
  call c(ex, prefix, windows, cost, now_ms);
  queued_.push_back(&c);
  if (queued_.size() > 1) {  // a leader is gathering this turn's calls: it wakes this one
    if (!c.done) co_await c.wake.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return std::move(c.out);
  }
  // The first call of a turn leads its batch: it lets the rest of the turn (other requests
  // whose reads completed together) queue their calls, sends the batch and waits for the
  // answer itself, so it resumes with the reply and needs no wake-up (a woken caller
  // resumes only after everything already queued on the worker: the tail of the Redis
  // wait, docs/redis.md). The others wait on their timers, cancelled when the answer is in.
  co_await asio::post(ex, asio::use_awaitable);
  std::vector<call*> calls;
  calls.swap(queued_);
  // A script touches one slot: one batch per slot on Cluster. A batch is bounded so that
  // one script never holds Redis for long; the batches go out at once, pipelined, the
  // leader's own inline.
  std::vector<call*> mine;
  auto dispatch_batch = [&](std::vector<call*> batch) {
    if (std::find(batch.begin(), batch.end(), &c) != batch.end())
      mine = std::move(batch);
    else
      asio::co_spawn(ex, run(std::move(batch)), asio::detached);
  };
  std::map<uint16_t, std::vector<call*>> groups;
  for (call* q : calls) {
    uint16_t slot = 0;
    if (cluster_) slot = key_slot(std::string(q->prefix) + q->windows.front().key);
    auto& group = groups[slot];
    group.push_back(q);
    if (group.size() == max_batch) dispatch_batch(std::exchange(group, {}));
  }
  for (auto& [slot, group] : groups) {
    if (!group.empty()) dispatch_batch(std::move(group));
  }
  co_await run(std::move(mine));
  co_return std::move(c.out);
}

awaitable<void> limit_batcher::run(std::vector<call*> calls) {
  static const script batch(scripts::limit_batch);
  std::vector<std::string> keys;
  std::vector<std::string> args;
  args.push_back(std::to_string(calls.size()));
  for (const call* c : calls) {
    args.push_back(std::to_string(c->cost));
    args.push_back(std::to_string(c->now_ms));
    args.push_back(std::to_string(c->windows.size()));
    for (const auto& w : c->windows) {
      keys.push_back(std::string(c->prefix) + w.key);
      args.push_back(std::to_string(w.limit));
      args.push_back(std::to_string(w.window.count()));
      args.push_back(std::to_string(w.start_ms));
    }
  }
  auto r = co_await eval(*client_, batch, keys, args);
  std::size_t pos = 0;
  for (call* c : calls) {
    const std::size_t n = 1 + 2 * c->windows.size();
    if (!r) {
      c->out = r.error();
    } else if (!r->is_array() || r->elements.size() < pos + n) {
      c->out = r->is_error() ? errc::server_error : errc::bad_reply;
    } else {
      limit_result lr;
      lr.admitted = r->elements[pos].integer == 1;
      lr.windows.reserve(c->windows.size());
      for (std::size_t i = 0; i < c->windows.size(); ++i) {
        lr.windows.push_back({c->windows[i].limit, r->elements[pos + 1 + 2 * i].integer,
                              milliseconds(r->elements[pos + 2 + 2 * i].integer)});
      }
      c->out = std::move(lr);
    }
    pos += n;
    c->done = true;
    c->wake.cancel();
  }
}

limit_batcher& worker_limit_batcher(const executor& ex, std::size_t config_id, bool cluster) {
  auto state = worker_state(ex, config_id, [&]() -> std::shared_ptr<void> {
    return std::make_shared<limit_batcher>(shared_client(ex, config_id), cluster);
  });
  // The registry keeps the state alive as long as the worker's io_context.
  return *static_cast<limit_batcher*>(state.get());
}

}  // namespace gh::redis
