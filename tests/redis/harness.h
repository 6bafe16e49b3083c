// Real redis-server processes for tests: standalone, Cluster and Sentinel topologies.
//
// Each process runs in its own temporary directory on a free port (cluster bus port + 10000
// free too), without persistence, and is SIGKILLed when the object goes away. start()
// returns once the server answers PING. Nothing here mocks Redis: tests talk to the real
// server over TCP (and TLS when Debian's build supports it).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gh::redis::testing {

// A port nobody listens on right now (and, when `with_bus`, port + 10000 too).
uint16_t free_port(bool with_bus = false);

// Runs a command line through the shell; returns its stdout.
std::string shell(const std::string& cmdline);

class redis_process {
 public:
  // `args` are appended to: --port N --save '' --appendonly no --dir <tmp> ...
  // A sentinel takes its configuration lines in `sentinel_conf` instead.
  static std::unique_ptr<redis_process> start(std::vector<std::string> args = {},
                                              bool cluster_bus = false);
  static std::unique_ptr<redis_process> start_sentinel(const std::string& sentinel_conf);
  ~redis_process();

  uint16_t port() const noexcept { return port_; }
  const std::string& dir() const noexcept { return dir_; }
  // SIGKILL and reap (a crash, not a shutdown).
  void kill();
  // Starts it again on the same port with the same arguments; waits for PING.
  bool restart();
  // SIGSTOP / SIGCONT: the server keeps its sockets but answers nothing.
  void pause();
  void resume();
  // redis-cli -p port <args> (args are shell words, quoted by the caller as needed).
  std::string cli(const std::string& args) const;

 private:
  bool spawn();
  bool wait_ready(std::chrono::milliseconds limit) const;

  uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::string dir_;
  std::vector<std::string> argv_;
};

// Three masters joined with `redis-cli --cluster create ... --cluster-replicas 0`.
struct cluster {
  std::vector<std::unique_ptr<redis_process>> nodes;
  static std::unique_ptr<cluster> start(int masters = 3);
  // Waits until every node reports cluster_state:ok.
  bool wait_ok(std::chrono::milliseconds limit) const;
};

// A master, one replica and three sentinels watching it as `master_name`.
struct sentinel_group {
  std::unique_ptr<redis_process> master;
  std::unique_ptr<redis_process> replica;
  std::vector<std::unique_ptr<redis_process>> sentinels;
  std::string master_name = "gh-master";
  static std::unique_ptr<sentinel_group> start();
  // The master port the first sentinel reports now.
  uint16_t reported_master_port() const;
};

}  // namespace gh::redis::testing
