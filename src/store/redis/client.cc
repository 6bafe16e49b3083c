#include "store/redis/client.h"

#include <openssl/sha.h>

#include <array>
#include <boost/asio/ssl/context.hpp>

namespace gh::redis {
namespace {

// Standalone: one connection to host:port.
class node_client final : public client {
 public:
  explicit node_client(std::shared_ptr<connection> conn, topology kind)
      : conn_(std::move(conn)), kind_(kind) {}
  ~node_client() override { conn_->close(); }

  awaitable<result<reply>> exec(std::string_view, const command& cmd,
                                milliseconds timeout) override {
    auto r = co_await conn_->exec(cmd, timeout);
    if (r && r->error_is("READONLY")) {
      // We are talking to a demoted master (failover): drop it, re-resolve, retry once.
      // The refused write was not executed, so the retry cannot double it.
      conn_->reset();
      r = co_await conn_->exec(cmd, timeout);
    }
    co_return r;
  }

  awaitable<result<std::vector<reply>>> exec_many(std::string_view, std::span<const command> cmds,
                                                  milliseconds timeout) override {
    auto r = co_await conn_->exec_many(cmds, timeout);
    if (r && !r->empty() && r->front().error_is("READONLY")) {
      conn_->reset();
      r = co_await conn_->exec_many(cmds, timeout);
    }
    co_return r;
  }

  void close() override { conn_->close(); }
  topology kind() const noexcept override { return kind_; }

 private:
  std::shared_ptr<connection> conn_;
  topology kind_;
};

constexpr std::array<uint16_t, 256> crc16_table = [] {
  std::array<uint16_t, 256> t{};
  for (int i = 0; i < 256; ++i) {
    uint16_t crc = static_cast<uint16_t>(i << 8);
    for (int b = 0; b < 8; ++b) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
    t[static_cast<std::size_t>(i)] = crc;
  }
  return t;
}();

}  // namespace

uint16_t key_slot(std::string_view key) noexcept {
  auto open = key.find('{');
  if (open != std::string_view::npos) {
    auto close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  uint16_t crc = 0;
  for (unsigned char c : key) {
    crc = static_cast<uint16_t>((crc << 8) ^ crc16_table[((crc >> 8) ^ c) & 0xff]);
  }
  return crc & 16383;
}

script::script(std::string src) : source(std::move(src)) {
  unsigned char md[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(source.data()), source.size(), md);
  static const char* hex = "0123456789abcdef";
  for (unsigned char b : md) {
    sha1 += hex[b >> 4];
    sha1 += hex[b & 15];
  }
}

awaitable<result<reply>> eval(client& c, const script& s, std::span<const std::string> keys,
                              std::span<const std::string> args) {
  auto build = [&](std::string_view verb, std::string_view body) {
    command cmd{verb, body};
    cmd.arg(static_cast<int64_t>(keys.size()));
    for (const auto& k : keys) cmd.arg(k);
    for (const auto& a : args) cmd.arg(a);
    return cmd;
  };
  std::string_view route = keys.empty() ? std::string_view() : std::string_view(keys.front());
  auto r = co_await c.exec(route, build("EVALSHA", s.sha1));
  if (r && r->error_is("NOSCRIPT")) {
    // EVAL runs it and caches it on that server, so the next EVALSHA there succeeds.
    r = co_await c.exec(route, build("EVAL", s.source));
  }
  co_return r;
}

namespace detail {

connection_options base_options(const redis_config& cfg) {
  connection_options o;
  o.username = cfg.username;
  o.password = cfg.password;
  o.database = cfg.database;
  o.timeout = cfg.timeout;
  o.tls = cfg.ssl;
  o.tls_verify = cfg.ssl_verify;
  o.server_name = cfg.server_name;
  if (cfg.ssl) {
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    // Honours SSL_CERT_FILE / SSL_CERT_DIR, so a private CA can be trusted.
    ctx->set_default_verify_paths();
    o.ssl_ctx = std::move(ctx);
  }
  return o;
}

endpoint_resolver fixed_endpoint(host_port where) {
  return [where]() -> awaitable<result<host_port>> { co_return where; };
}

}  // namespace detail

std::shared_ptr<client> make_client(executor ex, const redis_config& cfg) {
  switch (cfg.kind()) {
    case topology::cluster:
      return detail::make_cluster_client(std::move(ex), cfg);
    case topology::sentinel:
      return detail::make_sentinel_client(std::move(ex), cfg);
    case topology::standalone:
      break;
  }
  auto opts = detail::base_options(cfg);
  opts.resolve = detail::fixed_endpoint({cfg.host, cfg.port});
  return std::make_shared<node_client>(connection::create(std::move(ex), std::move(opts)),
                                       topology::standalone);
}

std::shared_ptr<client> detail::make_sentinel_client(executor ex, const redis_config& cfg) {
  auto opts = base_options(cfg);
  opts.resolve = sentinel_resolver(ex, cfg);
  auto conn = connection::create(ex, std::move(opts));
  // Follow +switch-master at once instead of waiting for the old master to fail us.
  std::weak_ptr<connection> weak = conn;
  std::string master = cfg.sentinel_master;
  redis_config sentinel_cfg = cfg;
  sentinel_cfg.username = cfg.sentinel_username;
  sentinel_cfg.password = cfg.sentinel_password;
  sentinel_cfg.database = 0;
  auto opts_watch = base_options(sentinel_cfg);
  auto next = std::make_shared<std::size_t>(0);
  auto nodes = cfg.sentinel_nodes;
  opts_watch.resolve = [nodes, next]() -> awaitable<result<host_port>> {
    co_return nodes[(*next)++ % nodes.size()];  // round robin: a dead sentinel is skipped
  };
  // +switch-master ends a failover; +promoted-slave comes earlier (the replica already
  // answers as master and Sentinel already reports it), so following it shortens the
  // window in which writes still reach the old master and are lost when it is demoted.
  // One channel per SUBSCRIBE: the handshake expects one reply per command.
  opts_watch.on_connect.push_back(command{"SUBSCRIBE", "+switch-master"});
  opts_watch.on_connect.push_back(command{"SUBSCRIBE", "+promoted-slave"});
  opts_watch.on_push = [weak, master](reply&& r) {
    if (!r.is_array() || r.elements.size() != 3 || r.elements[0].str != "message") return;
    std::string_view channel = r.elements[1].str;
    std::string_view payload = r.elements[2].str;
    std::string_view name;
    if (channel == "+switch-master") {
      name =
          payload.substr(0, payload.find(' '));  // "<name> <old ip> <old port> <new ip> <new port>"
    } else {
      // "slave <id> <ip> <port> @ <name> <master ip> <master port>"
      auto at = payload.find(" @ ");
      if (at == std::string_view::npos) return;
      name = payload.substr(at + 3);
      name = name.substr(0, name.find(' '));
    }
    if (name != master) return;
    if (auto c = weak.lock()) c->reset();
  };
  auto watcher = connection::create(ex, std::move(opts_watch));
  watcher->start();  // the SUBSCRIBE goes with every handshake

  class sentinel_client final : public client {
   public:
    sentinel_client(std::shared_ptr<connection> conn, std::shared_ptr<connection> watcher)
        : inner_(conn, topology::sentinel), watcher_(std::move(watcher)) {}
    ~sentinel_client() override { watcher_->close(); }
    awaitable<result<reply>> exec(std::string_view key, const command& cmd,
                                  milliseconds timeout) override {
      return inner_.exec(key, cmd, timeout);
    }
    awaitable<result<std::vector<reply>>> exec_many(std::string_view key,
                                                    std::span<const command> cmds,
                                                    milliseconds timeout) override {
      return inner_.exec_many(key, cmds, timeout);
    }
    void close() override {
      inner_.close();
      watcher_->close();
    }
    topology kind() const noexcept override { return topology::sentinel; }

   private:
    node_client inner_;
    std::shared_ptr<connection> watcher_;
  };
  return std::make_shared<sentinel_client>(std::move(conn), std::move(watcher));
}

std::shared_ptr<connection> make_subscriber(
    executor ex, const redis_config& cfg, std::vector<std::string> channels,
    std::function<void(std::string_view, std::string_view)> on_message) {
  auto opts = detail::base_options(cfg);
  opts.database = 0;  // Pub/Sub ignores databases
  if (cfg.kind() == topology::sentinel) {
    opts.resolve = detail::sentinel_resolver(ex, cfg);
  } else if (cfg.kind() == topology::cluster) {
    auto nodes = cfg.cluster_nodes;
    auto next = std::make_shared<std::size_t>(0);
    opts.resolve = [nodes, next]() -> awaitable<result<host_port>> {
      co_return nodes[(*next)++ % nodes.size()];
    };
  } else {
    opts.resolve = detail::fixed_endpoint({cfg.host, cfg.port});
  }
  for (auto& ch : channels) opts.on_connect.push_back(command{"SUBSCRIBE", ch});
  opts.on_push = [cb = std::move(on_message)](reply&& r) {
    if (r.is_array() && r.elements.size() == 3 && r.elements[0].str == "message") {
      cb(r.elements[1].str, r.elements[2].str);
    }
  };
  auto conn = connection::create(std::move(ex), std::move(opts));
  conn->start();
  return conn;
}

}  // namespace gh::redis
