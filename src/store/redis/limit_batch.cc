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
  // A run of identical consecutive calls (one client's requests of the same turn) is one
  // entry of the script, which admits as many of them as fit: Redis's work and the
  // arguments grow with the entries, not with the calls. Order is kept, so every call gets
  // the answer it would get alone in that place.
  struct entry {
    std::size_t first, count;
  };
  auto same_call = [](const call& a, const call& b) {
    if (a.prefix != b.prefix || a.cost != b.cost || a.now_ms != b.now_ms ||
        a.windows.size() != b.windows.size())
      return false;
    for (std::size_t i = 0; i < a.windows.size(); ++i) {
      const window_spec& x = a.windows[i];
      const window_spec& y = b.windows[i];
      if (x.limit != y.limit || x.window != y.window || x.start_ms != y.start_ms ||
          x.key != y.key)
        return false;
    }
    return true;
  };
  std::vector<entry> entries;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    if (!entries.empty() && same_call(*calls[entries.back().first], *calls[i]))
      ++entries.back().count;
    else
      entries.push_back({i, 1});
  }
  std::vector<std::string> keys;
  std::vector<std::string> args;
  args.push_back(std::to_string(entries.size()));
  for (const entry& e : entries) {
    const call& c = *calls[e.first];
    args.push_back(std::to_string(c.cost));
    args.push_back(std::to_string(c.now_ms));
    args.push_back(std::to_string(c.windows.size()));
    args.push_back(std::to_string(e.count));
    for (const auto& w : c.windows) {
      keys.push_back(std::string(c.prefix) + w.key);
      args.push_back(std::to_string(w.limit));
      args.push_back(std::to_string(w.window.count()));
      args.push_back(std::to_string(w.start_ms));
    }
  }
  auto r = co_await eval(*client_, batch, keys, args);
  std::size_t pos = 0;
  for (const entry& e : entries) {
    const std::size_t windows = calls[e.first]->windows.size();
    const std::size_t n = 1 + 2 * windows;
    for (std::size_t j = 0; j < e.count; ++j) {
      call& c = *calls[e.first + j];
      if (!r) {
        c.out = r.error();
      } else if (!r->is_array() || r->elements.size() < pos + n) {
        c.out = r->is_error() ? errc::server_error : errc::bad_reply;
      } else {
        const int64_t admit = r->elements[pos].integer;
        limit_result lr;
        lr.admitted = static_cast<int64_t>(j) < admit;
        lr.windows.reserve(windows);
        for (std::size_t i = 0; i < windows; ++i) {
          const int64_t limit = c.windows[i].limit;
          // The window's count when this call's turn came: the entry's count before it
          // plus the calls of the run admitted ahead of it.
          const int64_t before =
              r->elements[pos + 1 + 2 * i].integer + std::min<int64_t>(j, admit) * c.cost;
          int64_t remaining = 0;
          if (lr.admitted)
            remaining = std::max<int64_t>(0, limit - before - c.cost);
          else if (before + c.cost <= limit)
            remaining = std::max<int64_t>(0, limit - before);
          lr.windows.push_back(
              {limit, remaining, milliseconds(r->elements[pos + 2 + 2 * i].integer)});
        }
        c.out = std::move(lr);
      }
      c.done = true;
      c.wake.cancel();
    }
    pos += n;
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
