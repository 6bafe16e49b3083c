// A Redis client over one topology (standalone, Sentinel or Cluster), for one executor.
//
// `client::exec(key, cmd)` runs a command on the node that owns `key`: the only node for
// standalone, the current master for Sentinel (following +switch-master and READONLY
// replies), the slot's master for Cluster (CRC16 slots, MOVED/ASK redirections, topology
// refresh). Each client holds one pipelined connection per node (see connection.h), so
// one client per worker thread is the whole pool: get it from shared_client()
// (registry.h) rather than building one per plugin. Scripts go through eval(), which uses
// EVALSHA and falls back to EVAL on NOSCRIPT (which also loads the script).
// Thread safety: none; use a client on its executor's thread only.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/redis/config.h"
#include "store/redis/connection.h"
#include "store/redis/reply.h"

namespace gh::redis {

class client {
 public:
  virtual ~client() = default;
  // Runs `cmd` where `key` lives (any node when `key` is empty).
  virtual awaitable<result<reply>> exec(std::string_view key, const command& cmd,
                                        milliseconds timeout = milliseconds{0}) = 0;
  // Several commands in one round trip on the node owning `key`; on Cluster all of them
  // must touch `key`'s slot only.
  virtual awaitable<result<std::vector<reply>>> exec_many(std::string_view key,
                                                          std::span<const command> cmds,
                                                          milliseconds timeout = milliseconds{
                                                              0}) = 0;
  virtual void close() = 0;
  virtual topology kind() const noexcept = 0;
};

// A new client (not shared). Prefer shared_client() from registry.h; a private client is
// right for blocking commands (XREADGROUP BLOCK) that would stall a shared pipeline.
std::shared_ptr<client> make_client(executor ex, const redis_config& cfg);

// A Pub/Sub connection subscribed to `channels` (resubscribed on every reconnect) on the
// master (standalone/Sentinel) or any node (Cluster). `on_message(channel, payload)`.
std::shared_ptr<connection> make_subscriber(
    executor ex, const redis_config& cfg, std::vector<std::string> channels,
    std::function<void(std::string_view channel, std::string_view payload)> on_message);

// A Lua script with its SHA1, computed once.
struct script {
  explicit script(std::string source);
  std::string source;
  std::string sha1;
};

// EVALSHA, or EVAL when the server does not know the script yet. Routed by keys[0].
awaitable<result<reply>> eval(client& c, const script& s, std::span<const std::string> keys,
                              std::span<const std::string> args);

// Cluster hash slot of a key (CRC16/XMODEM of the key or of its {hash tag}, mod 16384).
uint16_t key_slot(std::string_view key) noexcept;

// Shared by the topologies (client.cc, sentinel.cc, cluster.cc).
namespace detail {
connection_options base_options(const redis_config& cfg);
endpoint_resolver fixed_endpoint(host_port where);
std::shared_ptr<client> make_sentinel_client(executor ex, const redis_config& cfg);
std::shared_ptr<client> make_cluster_client(executor ex, const redis_config& cfg);
// Resolver that asks cfg's sentinels for the current master (or a replica).
endpoint_resolver sentinel_resolver(executor ex, const redis_config& cfg);
}  // namespace detail

}  // namespace gh::redis
