// Redis Cluster: slot map from CLUSTER SLOTS, routing by CRC16 slot, MOVED/ASK handling.
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <unordered_map>

#include "store/redis/client.h"

namespace gh::redis::detail {
namespace {

constexpr uint16_t no_node = 0xffff;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::string addr_key(const host_port& hp) { return hp.host + ":" + std::to_string(hp.port); }

// "MOVED 3999 127.0.0.1:6381" / "ASK 3999 127.0.0.1:6381" → the address.
bool parse_redirect(const std::string& msg, host_port& to) {
  auto sp = msg.rfind(' ');
  auto colon = msg.rfind(':');
  if (sp == std::string::npos || colon == std::string::npos || colon < sp) return false;
  to.host = msg.substr(sp + 1, colon - sp - 1);
  to.port = static_cast<uint16_t>(std::atoi(msg.c_str() + colon + 1));
  return !to.host.empty() && to.port != 0;
}

class cluster_client final : public client, public std::enable_shared_from_this<cluster_client> {
 public:
  cluster_client(executor ex, const redis_config& cfg)
      : ex_(std::move(ex)), cfg_(cfg), slots_(16384, no_node), refreshed_(ex_) {
    for (const auto& seed : cfg.cluster_nodes) node_index(seed);
  }
  ~cluster_client() override { close(); }

  awaitable<result<reply>> exec(std::string_view key, const command& cmd,
                                milliseconds timeout) override {
    auto r = co_await exec_many(key, std::span<const command>(&cmd, 1), timeout);
    if (!r) co_return r.error();
    co_return std::move(r->front());
  }

  awaitable<result<std::vector<reply>>> exec_many(std::string_view key,
                                                  std::span<const command> cmds,
                                                  milliseconds timeout) override {
    auto self = shared_from_this();
    if (closed_) co_return errc::closed;
    if (!mapped_) {
      if (auto ec = co_await refresh(); ec && !mapped_) co_return ec;
    }
    uint16_t slot = key.empty() ? static_cast<uint16_t>(round_robin_++ % 16384) : key_slot(key);
    uint16_t target = slots_[slot];
    bool asking = false;
    uint16_t previous = no_node;
    boost::system::error_code last = errc::redirections;
    for (int attempt = 0; attempt <= cfg_.cluster_max_redirections; ++attempt) {
      if (target == no_node) {
        co_await refresh();
        target = slots_[slot];
        if (target == no_node) co_return errc::cluster_down;
      }
      auto conn = nodes_[target].conn;  // a copy: nodes_ may grow while we wait
      result<std::vector<reply>> r = errc::closed;
      if (asking) {
        // ASKING applies to the next command only: one before each.
        std::vector<command> with_asking;
        for (const auto& c : cmds) {
          with_asking.push_back(command{"ASKING"});
          with_asking.push_back(c);
        }
        r = co_await conn->exec_many(with_asking, timeout);
        if (r) {
          std::vector<reply> only;
          for (std::size_t i = 1; i < r->size(); i += 2) only.push_back(std::move((*r)[i]));
          *r = std::move(only);
        }
      } else {
        r = co_await conn->exec_many(cmds, timeout);
      }
      asking = false;
      if (!r) {
        if (r.error() == errc::timeout || r.error() == errc::closed) co_return r.error();
        // Node down or restarting: the cluster may have failed over; re-learn the map.
        last = r.error();
        co_await refresh();
        target = slots_[slot];
        continue;
      }
      const reply* redirect = nullptr;
      for (const auto& rep : *r) {
        if (rep.error_is("MOVED") || rep.error_is("ASK ") || rep.error_is("TRYAGAIN") ||
            rep.error_is("CLUSTERDOWN")) {
          redirect = &rep;
          break;
        }
      }
      if (redirect == nullptr) co_return r;
      host_port to;
      if (redirect->error_is("MOVED") && parse_redirect(redirect->str, to)) {
        ++moved_;
        uint16_t next = node_index(to);
        if (next == previous) {
          // Bounced back (a slot handover applied to one node but not yet the other).
          asio::steady_timer pause(ex_, milliseconds(10));
          co_await pause.async_wait(use_tuple);
        }
        previous = target;
        target = next;
        slots_[slot] = target;
        if (!refreshing_) asio::co_spawn(ex_, refresh_detached(), asio::detached);
      } else if (redirect->error_is("ASK ") && parse_redirect(redirect->str, to)) {
        target = node_index(to);
        asking = true;
      } else {
        // TRYAGAIN (multi-key during migration) or CLUSTERDOWN: brief pause, retry.
        asio::steady_timer pause(ex_, milliseconds(25));
        co_await pause.async_wait(use_tuple);
      }
    }
    co_return last;
  }

  void close() override {
    if (closed_) return;
    closed_ = true;
    for (auto& n : nodes_) n.conn->close();
  }
  topology kind() const noexcept override { return topology::cluster; }

 private:
  struct node {
    host_port where;
    std::shared_ptr<connection> conn;
  };

  uint16_t node_index(const host_port& hp) {
    auto key = addr_key(hp);
    auto it = by_addr_.find(key);
    if (it != by_addr_.end()) return it->second;
    auto opts = base_options(cfg_);
    opts.database = 0;
    opts.resolve = fixed_endpoint(hp);
    nodes_.push_back({hp, connection::create(ex_, std::move(opts))});
    auto idx = static_cast<uint16_t>(nodes_.size() - 1);
    by_addr_.emplace(key, idx);
    return idx;
  }

  awaitable<void> refresh_detached() {
    auto self = shared_from_this();
    co_await refresh();
  }

  // Re-reads CLUSTER SLOTS from the first node that answers. Concurrent callers wait for
  // the refresh in progress instead of starting their own.
  awaitable<boost::system::error_code> refresh() {
    auto self = shared_from_this();
    if (refreshing_) {
      co_await refreshed_.async_wait(use_tuple);
      co_return boost::system::error_code{};
    }
    refreshing_ = true;
    refreshed_.expires_at(asio::steady_timer::time_point::max());
    boost::system::error_code ec = errc::cluster_down;
    // Seeds first, then every node we have heard of.
    for (std::size_t i = 0; i < nodes_.size() && !closed_; ++i) {
      // (a named command: GCC 12 miscompiles init-list temporaries in co_await)
      const command slots_cmd{"CLUSTER", "SLOTS"};
      auto conn = nodes_[i].conn;
      auto r = co_await conn->exec(slots_cmd);
      if (!r) {
        ec = r.error();
        continue;
      }
      if (!r->is_array() || r->elements.empty()) continue;
      apply_slots(*r, nodes_[i].where.host);
      ec = {};
      break;
    }
    if (ec) spdlog::warn("redis cluster: topology refresh failed: {}", ec.message());
    refreshing_ = false;
    refreshed_.cancel();
    co_return ec;
  }

  void apply_slots(const reply& r, const std::string& asked_host) {
    std::fill(slots_.begin(), slots_.end(), no_node);
    for (const auto& range : r.elements) {
      if (range.elements.size() < 3 || !range.elements[2].is_array() ||
          range.elements[2].elements.size() < 2) {
        continue;
      }
      const auto& master = range.elements[2].elements;
      host_port hp{master[0].str.empty() ? asked_host : master[0].str,
                   static_cast<uint16_t>(master[1].integer)};
      uint16_t idx = node_index(hp);
      int64_t lo = std::clamp<int64_t>(range.elements[0].integer, 0, 16383);
      int64_t hi = std::clamp<int64_t>(range.elements[1].integer, 0, 16383);
      for (int64_t s = lo; s <= hi; ++s) slots_[static_cast<std::size_t>(s)] = idx;
    }
    mapped_ = true;
  }

  executor ex_;
  redis_config cfg_;
  std::vector<node> nodes_;
  std::unordered_map<std::string, uint16_t> by_addr_;
  std::vector<uint16_t> slots_;
  asio::steady_timer refreshed_;
  bool refreshing_ = false;
  bool mapped_ = false;
  bool closed_ = false;
  uint64_t round_robin_ = 0;
  uint64_t moved_ = 0;
};

}  // namespace

std::shared_ptr<client> make_cluster_client(executor ex, const redis_config& cfg) {
  return std::make_shared<cluster_client>(std::move(ex), cfg);
}

}  // namespace gh::redis::detail
