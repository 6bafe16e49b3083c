#include "store/redis/registry.h"

#include <boost/asio/execution/context.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/query.hpp>
#include <deque>
#include <mutex>
#include <unordered_map>

namespace gh::redis {
namespace {

struct interned {
  std::mutex mu;
  std::unordered_map<std::string, std::size_t> ids;
  std::deque<redis_config> configs;  // deque: references stay valid as it grows
};
interned& table() {
  static interned t;
  return t;
}

const redis_config& config_of(std::size_t id) {
  auto& t = table();
  std::lock_guard lock(t.mu);
  return t.configs.at(id);
}

// One per io_context: the clients of that worker.
class registry_service final : public asio::execution_context::service {
 public:
  using key_type = registry_service;
  static asio::execution_context::id id;
  explicit registry_service(asio::execution_context& ctx) : service(ctx) {}

  std::shared_ptr<client> get(const executor& ex, std::size_t config_id) {
    if (config_id < clients_.size() && clients_[config_id]) return clients_[config_id];
    if (clients_.size() <= config_id) clients_.resize(config_id + 1);
    clients_[config_id] = make_client(ex, config_of(config_id));
    return clients_[config_id];
  }

  std::shared_ptr<void> state(std::size_t config_id,
                              const std::function<std::shared_ptr<void>()>& make) {
    if (states_.size() <= config_id) states_.resize(config_id + 1);
    if (!states_[config_id]) states_[config_id] = make();
    return states_[config_id];
  }

 private:
  // Dropping the references is enough: in-flight coroutines keep what they use, and the
  // context destroys them (and so the sockets) right after.
  void shutdown() override {
    states_.clear();
    clients_.clear();
  }

  std::vector<std::shared_ptr<client>> clients_;
  std::vector<std::shared_ptr<void>> states_;
};
asio::execution_context::id registry_service::id;

}  // namespace

std::size_t intern_config(const redis_config& cfg) {
  auto& t = table();
  auto key = cfg.identity();
  std::lock_guard lock(t.mu);
  auto [it, inserted] = t.ids.emplace(std::move(key), t.configs.size());
  if (inserted) t.configs.push_back(cfg);
  return it->second;
}

std::shared_ptr<client> shared_client(const executor& ex, std::size_t config_id) {
  auto& ctx = asio::query(ex, asio::execution::context);
  return asio::use_service<registry_service>(ctx).get(ex, config_id);
}

std::shared_ptr<void> worker_state(const executor& ex, std::size_t config_id,
                                   const std::function<std::shared_ptr<void>()>& make) {
  auto& ctx = asio::query(ex, asio::execution::context);
  return asio::use_service<registry_service>(ctx).state(config_id, make);
}

}  // namespace gh::redis
