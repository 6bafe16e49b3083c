#include "server/snapshot.h"

#include "plugin/registry.h"

#include <numeric>

namespace gh::server {

std::shared_ptr<const snapshot> build_snapshot(config::DeclarativeConfig cfg,
                                               std::string source_name, std::string source_text,
                                               std::shared_ptr<store::Store> store) {
  static std::atomic<uint64_t> next_version{1};
  auto s = std::make_shared<snapshot>();
  s->version = next_version.fetch_add(1);
  s->source_name = std::move(source_name);
  s->source_text = std::move(source_text);
  s->config = std::move(cfg);
  // Everything below points into s->config, which no longer moves.
  s->routes = router::route_table::build(s->config);
  plugin::BuildContext bctx{&s->config, std::move(store)};
  s->chain = plugin::Chain::build(s->config, plugin::builtin_registry(), bctx);
  for (const auto& c : s->config.consumers) s->consumers[c.id] = &c;

  std::unordered_map<std::string, const config::Upstream*> upstream_by_id;
  for (const auto& u : s->config.upstreams) {
    upstream_by_id[u.id] = &u;
    s->upstreams[u.name];
  }
  // Weighted round-robin: each target appears weight/gcd times.
  std::unordered_map<std::string, int> gcd_of;
  for (const auto& t : s->config.targets) {
    if (t.weight > 0) gcd_of[t.upstream_id] = std::gcd(gcd_of[t.upstream_id], t.weight);
  }
  for (const auto& t : s->config.targets) {
    auto u = upstream_by_id.find(t.upstream_id);
    if (u == upstream_by_id.end() || t.weight <= 0) continue;
    target_ring::target tg;
    auto colon = t.target.rfind(':');
    bool bracketed_v6 = !t.target.empty() && t.target.front() == '[';
    if (colon != std::string::npos && (bracketed_v6 ? t.target[colon - 1] == ']' : true)) {
      tg.host = t.target.substr(0, colon);
      tg.port = static_cast<uint16_t>(std::stoi(t.target.substr(colon + 1)));
    } else {
      tg.host = t.target;
    }
    int copies = std::min(t.weight / gcd_of[t.upstream_id], 1000);
    auto& ring = s->upstreams[u->second->name];
    for (int i = 0; i < copies; ++i) ring.slots.push_back(tg);
  }
  return s;
}

void snapshot_holder::publish(std::shared_ptr<const snapshot> s) {
  uint64_t v = s->version;
  {
    std::lock_guard lock(mutex_);
    current_ = std::move(s);
  }
  version_.store(v, std::memory_order_release);
}

std::shared_ptr<const snapshot> snapshot_holder::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

}  // namespace gh::server
