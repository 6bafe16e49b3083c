#include "store/redis/redis_store.h"

#include <spdlog/spdlog.h>

#include <boost/asio/this_coro.hpp>
#include <map>

#include "store/redis/limit_batch.h"
#include "store/redis/registry.h"
#include "store/redis/store_scripts.h"

namespace gh::redis {
namespace {

using gh::store::limit_result;
using gh::store::window_algorithm;
using gh::store::window_spec;
using gh::store::window_state;

// An error reply where a value was needed: logged at debug (it may be frequent), and
// returned as errc::server_error so the caller can fail open or closed.
boost::system::error_code server_error(const reply& r) {
  spdlog::debug("redis store: error reply: {}", r.str);
  return errc::server_error;
}

// result<bool> cannot be built from an error_code implicitly (error_code converts to bool).
result<bool> bool_error(boost::system::error_code ec) {
  return result<bool>(boost::system::in_place_error, ec);
}

std::string tag_of(std::string_view key) {
  auto open = key.find('{');
  if (open != std::string_view::npos) {
    auto close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) {
      return std::string(key.substr(open + 1, close - open - 1));
    }
  }
  return std::string(key);
}

// Indexes of `n` keys grouped by Cluster slot (one group, slot 0, off Cluster): commands
// and scripts touching several keys must stay within one slot.
template <class KeyOf>
std::map<uint16_t, std::vector<std::size_t>> by_slot(bool cluster, std::size_t n, KeyOf key_of) {
  std::map<uint16_t, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < n; ++i) groups[cluster ? key_slot(key_of(i)) : uint16_t{0}].push_back(i);
  return groups;
}

class redis_store final : public gh::store::Store {
 public:
  explicit redis_store(const redis_config& cfg)
      : config_id_(intern_config(cfg)),
        cluster_(cfg.kind() == topology::cluster),
        incr_(scripts::incr),
        cad_(scripts::compare_and_delete),
        limit_(scripts::limit),
        add_counts_(scripts::add_counts) {}

  awaitable<result<int64_t>> incr(std::string_view key, int64_t delta, milliseconds ttl) override {
    auto c = co_await here();
    std::string keys[] = {std::string(key)};
    std::string args[] = {std::to_string(delta), std::to_string(ttl.count())};
    auto r = co_await eval(*c, incr_, keys, args);
    if (!r) co_return r.error();
    if (!r->is_integer()) co_return server_error(*r);
    co_return r->integer;
  }

  awaitable<result<limit_result>> limit(std::span<const window_spec> windows, int64_t cost,
                                        window_algorithm algorithm, int64_t now_ms) override {
    limit_result out;
    if (windows.size() > gh::store::max_windows) {
      co_return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
    }
    if (windows.empty()) {
      out.admitted = true;
      co_return out;
    }
    bool same_slot = true;
    for (const auto& w : windows) {
      if (cluster_ && key_slot(w.key) != key_slot(windows.front().key)) same_slot = false;
    }
    const std::string prefix = same_slot ? std::string() : "{" + tag_of(windows.front().key) + "}";
    auto ex = co_await asio::this_coro::executor;
    if (algorithm == window_algorithm::fixed) {
      co_return co_await worker_limit_batcher(ex, config_id_, cluster_)
          .limit(prefix, windows, cost, now_ms);
    }
    auto c = shared_client(ex, config_id_);
    std::vector<std::string> keys;
    std::vector<std::string> args;
    keys.reserve(windows.size());
    args.reserve(3 + 3 * windows.size());
    args.push_back("sliding");
    args.push_back(std::to_string(cost));
    args.push_back(std::to_string(now_ms));
    for (const auto& w : windows) {
      keys.push_back(prefix + w.key);
      args.push_back(std::to_string(w.limit));
      args.push_back(std::to_string(w.window.count()));
      args.push_back(std::to_string(w.start_ms));
    }
    auto r = co_await eval(*c, limit_, keys, args);
    if (!r) co_return r.error();
    if (!r->is_array()) co_return server_error(*r);
    if (r->elements.size() != 1 + 2 * windows.size()) co_return errc::bad_reply;
    out.admitted = r->elements[0].integer == 1;
    out.windows.reserve(windows.size());
    for (std::size_t i = 0; i < windows.size(); ++i) {
      out.windows.push_back({windows[i].limit, r->elements[1 + 2 * i].integer,
                             milliseconds(r->elements[2 + 2 * i].integer)});
    }
    co_return out;
  }

  awaitable<result<std::vector<int64_t>>> add_counts(std::span<const window_spec> windows,
                                                     std::span<const int64_t> deltas,
                                                     int64_t now_ms) override {
    std::vector<int64_t> out(windows.size(), 0);
    if (windows.empty()) co_return out;
    if (deltas.size() != windows.size()) co_return errc::bad_reply;
    auto c = co_await here();
    const auto groups =
        by_slot(cluster_, windows.size(), [&](std::size_t i) { return windows[i].key; });
    for (const auto& [slot, idx] : groups) {
      std::vector<std::string> keys;
      std::vector<std::string> args;
      keys.reserve(idx.size());
      args.reserve(1 + 3 * idx.size());
      args.push_back(std::to_string(now_ms));
      for (auto i : idx) {
        keys.push_back(windows[i].key);
        args.push_back(std::to_string(deltas[i]));
        args.push_back(std::to_string(windows[i].window.count()));
        args.push_back(std::to_string(windows[i].start_ms));
      }
      auto r = co_await eval(*c, add_counts_, keys, args);
      if (!r) co_return r.error();
      if (!r->is_array()) co_return server_error(*r);
      if (r->elements.size() != idx.size()) co_return errc::bad_reply;
      for (std::size_t j = 0; j < idx.size(); ++j) out[idx[j]] = r->elements[j].integer;
    }
    co_return out;
  }

  awaitable<result<std::optional<std::string>>> get(std::string_view key) override {
    auto c = co_await here();
    const command cmd{"GET", key};
    auto r = co_await c->exec(key, cmd);
    if (!r) co_return r.error();
    if (r->is_nil()) co_return std::nullopt;
    if (!r->is_string()) co_return server_error(*r);
    co_return std::move(r->str);
  }

  awaitable<result<std::vector<std::optional<std::string>>>> get_many(
      std::span<const std::string> keys) override {
    std::vector<std::optional<std::string>> out(keys.size());
    if (keys.empty()) co_return out;
    auto c = co_await here();
    // One MGET per slot (Cluster refuses cross-slot MGET); one MGET in all otherwise.
    const auto groups = by_slot(cluster_, keys.size(), [&](std::size_t i) { return keys[i]; });
    for (const auto& [slot, idx] : groups) {
      command cmd{"MGET"};
      for (auto i : idx) cmd.arg(keys[i]);
      auto r = co_await c->exec(keys[idx.front()], cmd);
      if (!r) co_return r.error();
      if (!r->is_array() || r->elements.size() != idx.size()) co_return server_error(*r);
      for (std::size_t j = 0; j < idx.size(); ++j) {
        auto& e = r->elements[j];
        if (e.is_string()) out[idx[j]] = std::move(e.str);
      }
    }
    co_return out;
  }

  awaitable<result<void>> set(std::string_view key, std::string_view value,
                              milliseconds ttl) override {
    auto c = co_await here();
    command cmd = ttl.count() > 0 ? command{"PSETEX"}.arg(key).arg(ttl.count()).arg(value)
                                  : command{"SET", key, value};
    auto r = co_await c->exec(key, cmd);
    if (!r) co_return r.error();
    if (r->is_error()) co_return server_error(*r);
    co_return boost::system::result<void>{};
  }

  awaitable<result<bool>> set_if_absent(std::string_view key, std::string_view value,
                                        milliseconds ttl) override {
    auto c = co_await here();
    command cmd{"SET", key, value, "NX"};
    if (ttl.count() > 0) cmd.arg("PX").arg(ttl.count());
    auto r = co_await c->exec(key, cmd);
    if (!r) co_return bool_error(r.error());
    if (r->is_error()) co_return bool_error(server_error(*r));
    co_return !r->is_nil();
  }

  awaitable<result<bool>> compare_and_delete(std::string_view key,
                                             std::string_view expected) override {
    auto c = co_await here();
    std::string keys[] = {std::string(key)};
    std::string args[] = {std::string(expected)};
    auto r = co_await eval(*c, cad_, keys, args);
    if (!r) co_return bool_error(r.error());
    if (!r->is_integer()) co_return bool_error(server_error(*r));
    co_return r->integer == 1;
  }

  awaitable<result<void>> del(std::string_view key) override {
    auto c = co_await here();
    const command cmd{"DEL", key};
    auto r = co_await c->exec(key, cmd);
    if (!r) co_return r.error();
    if (r->is_error()) co_return server_error(*r);
    co_return boost::system::result<void>{};
  }

  awaitable<result<void>> append_events(std::string_view stream,
                                        std::span<const event_fields> events,
                                        std::size_t max_len) override {
    std::vector<command> cmds;
    cmds.reserve(events.size());
    for (const auto& ev : events) {
      if (ev.empty()) continue;  // XADD needs at least one field
      command cmd{"XADD", stream};
      if (max_len > 0) cmd.arg("MAXLEN").arg("~").arg(static_cast<int64_t>(max_len));
      cmd.arg("*");
      for (const auto& [k, v] : ev) cmd.arg(k).arg(v);
      cmds.push_back(std::move(cmd));
    }
    if (cmds.empty()) co_return boost::system::result<void>{};
    auto c = co_await here();
    // All in one write and one round trip.
    auto r = co_await c->exec_many(stream, cmds);
    if (!r) co_return r.error();
    for (const auto& rep : *r) {
      if (rep.is_error()) co_return server_error(rep);
    }
    co_return boost::system::result<void>{};
  }

  std::string_view kind() const noexcept override { return "redis"; }

 private:
  awaitable<std::shared_ptr<client>> here() {
    auto ex = co_await asio::this_coro::executor;
    co_return shared_client(ex, config_id_);
  }

  std::size_t config_id_;
  bool cluster_;
  script incr_;
  script cad_;
  script limit_;
  script add_counts_;
};

}  // namespace

std::shared_ptr<gh::store::Store> make_redis_store(const redis_config& cfg) {
  return std::make_shared<redis_store>(cfg);
}

}  // namespace gh::redis
