#include "tests/redis/harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <thread>

namespace gh::redis::testing {
namespace {

bool port_free(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// A raw PING over a blocking socket: any RESP answer (PONG, NOAUTH...) means "up".
bool answers_ping(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{0, 300000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    const char ping[] = "*1\r\n$4\r\nPING\r\n";
    if (::write(fd, ping, sizeof ping - 1) == static_cast<ssize_t>(sizeof ping - 1)) {
      char buf[64];
      ssize_t n = ::read(fd, buf, sizeof buf);
      ok = n > 0 && (buf[0] == '+' || buf[0] == '-') &&
           std::string_view(buf, static_cast<std::size_t>(n)).find("LOADING") ==
               std::string_view::npos;
    }
  }
  ::close(fd);
  return ok;
}

std::string make_dir() {
  char tmpl[] = "/tmp/gh-redis-XXXXXX";
  const char* d = ::mkdtemp(tmpl);
  return d != nullptr ? d : "/tmp";
}

}  // namespace

uint16_t free_port(bool with_bus) {
  static std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> dist(20000, 50000);
  for (int i = 0; i < 1000; ++i) {
    auto p = static_cast<uint16_t>(dist(rng));
    if (port_free(p) && (!with_bus || port_free(static_cast<uint16_t>(p + 10000)))) return p;
  }
  return 0;
}

std::string shell(const std::string& cmdline) {
  std::string out;
  FILE* f = ::popen(cmdline.c_str(), "r");
  if (f == nullptr) return out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  ::pclose(f);
  return out;
}

std::unique_ptr<redis_process> redis_process::start(std::vector<std::string> args,
                                                    bool cluster_bus) {
  auto p = std::unique_ptr<redis_process>(new redis_process());
  p->dir_ = make_dir();
  p->port_ = free_port(cluster_bus);
  p->argv_ = {"redis-server", "--port",    std::to_string(p->port_), "--bind",      "127.0.0.1",
              "--save",       "",          "--appendonly",           "no",          "--dir",
              p->dir_,        "--logfile", p->dir_ + "/redis.log",   "--daemonize", "no"};
  for (auto& a : args) p->argv_.push_back(std::move(a));
  if (!p->spawn() || !p->wait_ready(std::chrono::seconds(5))) return nullptr;
  return p;
}

std::unique_ptr<redis_process> redis_process::start_sentinel(const std::string& sentinel_conf) {
  auto p = std::unique_ptr<redis_process>(new redis_process());
  p->dir_ = make_dir();
  p->port_ = free_port();
  std::string conf = p->dir_ + "/sentinel.conf";
  std::ofstream(conf) << "port " << p->port_ << "\nbind 127.0.0.1\ndir " << p->dir_ << "\nlogfile "
                      << p->dir_ << "/sentinel.log\n"
                      << sentinel_conf;
  p->argv_ = {"redis-server", conf, "--sentinel"};
  if (!p->spawn() || !p->wait_ready(std::chrono::seconds(5))) return nullptr;
  return p;
}

bool redis_process::spawn() {
  pid_ = ::fork();
  if (pid_ < 0) return false;
  if (pid_ == 0) {
    std::vector<char*> argv;
    for (auto& a : argv_) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp("redis-server", argv.data());
    ::_exit(127);
  }
  return true;
}

bool redis_process::wait_ready(std::chrono::milliseconds limit) const {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (answers_ping(port_)) return true;
    // Polling is the only way to learn a separate process is listening.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

void redis_process::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGCONT);
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

bool redis_process::restart() {
  kill();
  return spawn() && wait_ready(std::chrono::seconds(5));
}

void redis_process::pause() {
  if (pid_ > 0) ::kill(pid_, SIGSTOP);
}
void redis_process::resume() {
  if (pid_ > 0) ::kill(pid_, SIGCONT);
}

redis_process::~redis_process() {
  kill();
  if (dir_.rfind("/tmp/gh-redis-", 0) == 0) shell("rm -rf '" + dir_ + "'");
}

std::string redis_process::cli(const std::string& args) const {
  return shell("redis-cli -p " + std::to_string(port_) + " " + args + " 2>&1");
}

std::unique_ptr<cluster> cluster::start(int masters) {
  auto c = std::make_unique<cluster>();
  std::string hosts;
  for (int i = 0; i < masters; ++i) {
    auto n = redis_process::start({"--cluster-enabled", "yes", "--cluster-config-file",
                                   "nodes.conf", "--cluster-node-timeout", "2000"},
                                  true);
    if (!n) return nullptr;
    hosts += " 127.0.0.1:" + std::to_string(n->port());
    c->nodes.push_back(std::move(n));
  }
  shell("redis-cli --cluster create" + hosts +
        " --cluster-replicas 0 --cluster-yes >/dev/null 2>&1");
  if (!c->wait_ok(std::chrono::seconds(10))) return nullptr;
  return c;
}

bool cluster::wait_ok(std::chrono::milliseconds limit) const {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    bool ok = true;
    for (const auto& n : nodes) {
      if (n->cli("CLUSTER INFO").find("cluster_state:ok") == std::string::npos) ok = false;
    }
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::unique_ptr<sentinel_group> sentinel_group::start() {
  auto g = std::make_unique<sentinel_group>();
  g->master = redis_process::start();
  if (!g->master) return nullptr;
  g->replica =
      redis_process::start({"--replicaof", "127.0.0.1", std::to_string(g->master->port())});
  if (!g->replica) return nullptr;
  std::string conf = "sentinel monitor " + g->master_name + " 127.0.0.1 " +
                     std::to_string(g->master->port()) + " 2\n" +
                     "sentinel down-after-milliseconds " + g->master_name + " 1000\n" +
                     "sentinel failover-timeout " + g->master_name + " 5000\n" +
                     "sentinel parallel-syncs " + g->master_name + " 1\n";
  for (int i = 0; i < 3; ++i) {
    auto s = redis_process::start_sentinel(conf);
    if (!s) return nullptr;
    g->sentinels.push_back(std::move(s));
  }
  return g;
}

uint16_t sentinel_group::reported_master_port() const {
  auto out = sentinels.front()->cli("SENTINEL get-master-addr-by-name " + master_name);
  auto nl = out.find('\n');
  if (nl == std::string::npos) return 0;
  return static_cast<uint16_t>(std::atoi(out.c_str() + nl + 1));
}

}  // namespace gh::redis::testing
