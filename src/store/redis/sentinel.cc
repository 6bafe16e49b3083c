// Sentinel master discovery: the endpoint resolver of a Sentinel-backed connection.
#include <spdlog/spdlog.h>

#include "store/redis/client.h"

namespace gh::redis::detail {
namespace {

struct sentinel_set {
  std::string master;
  std::string role;
  std::vector<std::shared_ptr<connection>> nodes;
  std::size_t preferred = 0;  // the sentinel that answered last

  awaitable<result<host_port>> ask() {
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      std::size_t at = (preferred + i) % nodes.size();
      auto addr = co_await ask_one(*nodes[at]);
      if (addr) {
        preferred = at;
        co_return addr;
      }
    }
    spdlog::warn("redis sentinel: no sentinel knows a {} for '{}'", role, master);
    co_return errc::no_master;
  }

  awaitable<result<host_port>> ask_one(connection& s) {
    if (role == "slave") {
      const command cmd{"SENTINEL", "replicas", master};
      auto r = co_await s.exec(cmd);
      if (r && r->is_array()) {
        for (const auto& replica : r->elements) {
          std::string ip, port, flags;
          for (std::size_t i = 0; i + 1 < replica.elements.size(); i += 2) {
            const auto& k = replica.elements[i].str;
            if (k == "ip") ip = replica.elements[i + 1].str;
            if (k == "port") port = replica.elements[i + 1].str;
            if (k == "flags") flags = replica.elements[i + 1].str;
          }
          if (ip.empty() || flags.find("down") != std::string::npos ||
              flags.find("disconnected") != std::string::npos) {
            continue;
          }
          co_return host_port{ip, static_cast<uint16_t>(std::atoi(port.c_str()))};
        }
      }
      // No healthy replica: the master can serve reads too.
    }
    const command cmd{"SENTINEL", "get-master-addr-by-name", master};
    auto r = co_await s.exec(cmd);
    if (!r) co_return r.error();
    if (!r->is_array() || r->elements.size() != 2) co_return errc::no_master;
    co_return host_port{r->elements[0].str,
                        static_cast<uint16_t>(std::atoi(r->elements[1].str.c_str()))};
  }
};

}  // namespace

endpoint_resolver sentinel_resolver(executor ex, const redis_config& cfg) {
  auto set = std::make_shared<sentinel_set>();
  set->master = cfg.sentinel_master;
  set->role = cfg.sentinel_role;
  redis_config scfg = cfg;
  scfg.username = cfg.sentinel_username;
  scfg.password = cfg.sentinel_password;
  scfg.database = 0;
  for (const auto& node : cfg.sentinel_nodes) {
    auto opts = base_options(scfg);
    opts.resolve = fixed_endpoint(node);
    set->nodes.push_back(connection::create(ex, std::move(opts)));
  }
  // The resolver owns the sentinel connections; they close when the last user goes.
  struct closer {
    std::shared_ptr<sentinel_set> set;
    ~closer() {
      for (auto& n : set->nodes) n->close();
    }
  };
  auto owner = std::shared_ptr<closer>(new closer{set});
  return [owner]() -> awaitable<result<host_port>> { return owner->set->ask(); };
}

}  // namespace gh::redis::detail
