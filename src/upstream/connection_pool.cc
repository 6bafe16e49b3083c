#include "upstream/connection_pool.h"

namespace gh::upstream {

std::unique_ptr<connection> connection_pool::take(std::string_view key) {
  auto it = idle_.find(key);
  if (it == idle_.end()) return nullptr;
  auto& list = it->second;
  auto now = std::chrono::steady_clock::now();
  while (!list.empty()) {
    auto conn = std::move(list.back());
    list.pop_back();
    if (conn->socket.is_open() && now - conn->idle_since < idle_timeout_) return conn;
  }
  return nullptr;
}

void connection_pool::give_back(std::unique_ptr<connection> conn) {
  if (!conn->socket.is_open()) return;
  auto& list = idle_[conn->pool_key];
  if (list.size() >= max_idle_per_key_) return;
  conn->idle_since = std::chrono::steady_clock::now();
  conn->timer.clear();
  list.push_back(std::move(conn));
}

void connection_pool::sweep() {
  auto now = std::chrono::steady_clock::now();
  for (auto& [key, list] : idle_) {
    std::erase_if(list, [&](const std::unique_ptr<connection>& c) {
      return !c->socket.is_open() || now - c->idle_since >= idle_timeout_;
    });
  }
}

void connection_pool::close_all() { idle_.clear(); }

std::size_t connection_pool::idle_count() const {
  std::size_t n = 0;
  for (const auto& [key, list] : idle_) n += list.size();
  return n;
}

}  // namespace gh::upstream
