#include "server/server.h"

#include "admin/admin_api.h"
#include "metrics/proxy_metrics.h"
#include "plugin/registry.h"
#include "server/proxy_session.h"
#include "server/request_log.h"
#include "store/embedded/embedded_store.h"
#include "events/pipeline.h"            // redis/events block (see load_initial, run)
#include "store/redis/connections.h"  // redis/events block (see load_initial, run)

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <array>
#include <random>
#include <thread>

namespace gh::server {

namespace asio = boost::asio;
using asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

proxy_settings to_proxy_settings(const config::node_settings& s) {
  proxy_settings p;
  p.client_header_timeout = std::chrono::milliseconds(s.client_header_timeout_ms);
  p.client_body_timeout = std::chrono::milliseconds(s.client_body_timeout_ms);
  p.keepalive_timeout = std::chrono::milliseconds(s.keepalive_timeout_ms);
  p.send_timeout = std::chrono::milliseconds(s.client_body_timeout_ms);
  p.max_header_size = s.client_max_header_size;
  p.max_headers = s.client_max_headers;
  p.max_body_size = s.client_max_body_size;
  p.upstream_pool_size = s.upstream_keepalive_pool_size;
  p.upstream_max_requests = static_cast<uint64_t>(std::max(1, s.upstream_keepalive_max_requests));
  p.upstream_idle_timeout = std::chrono::milliseconds(s.upstream_keepalive_idle_timeout_ms);
  std::string error;
  if (auto set = config::cidr_set::parse(s.trusted_ips, &error)) p.trusted_ips = std::move(*set);
  else throw std::invalid_argument("trusted_ips: " + error);
  p.real_ip_header = to_lower(s.real_ip_header);
  p.real_ip_recursive = s.real_ip_recursive;
  p.kong_headers = s.headers;
  return p;
}

void log_exception(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("connection ended by an unexpected error: {}", ex.what());
  } catch (...) {
    spdlog::error("connection ended by an unexpected error");
  }
}

asio::awaitable<void> accept_loop(worker& w, tcp::acceptor& acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      // Out of descriptors and the like: back off instead of spinning.
      asio::steady_timer pause(w.io(), std::chrono::milliseconds(50));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    w.counters().accepted.fetch_add(1, std::memory_order_relaxed);
    w.counters().handled.fetch_add(1, std::memory_order_relaxed);
    asio::co_spawn(w.io(), serve_proxy_connection(w, std::move(socket)), log_exception);
  }
}

tcp::endpoint make_endpoint(const config::listen_address& a) {
  std::string host = a.host.empty() ? std::string("0.0.0.0") : a.host;
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  return tcp::endpoint(asio::ip::make_address(host), a.port);
}

std::string endpoint_text(const tcp::endpoint& e) {
  auto addr = e.address();
  std::string host = addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string();
  return host + ":" + std::to_string(e.port());
}

std::string random_node_id() {
  std::random_device rd;
  std::array<uint8_t, 16> b;
  for (auto& x : b) x = static_cast<uint8_t>(rd());
  b[6] = (b[6] & 0x0F) | 0x40;
  b[8] = (b[8] & 0x3F) | 0x80;
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += hex[b[i] >> 4];
    out += hex[b[i] & 0xF];
  }
  return out;
}

}  // namespace

server::server(config::node_settings settings)
    : settings_(std::move(settings)),
      proxy_(to_proxy_settings(settings_)),
      metrics_(std::make_unique<metrics::proxy_metrics>(std::max(1u, settings_.workers))),
      store_(std::make_shared<store::embedded_store>()),
      started_at_(std::chrono::system_clock::now()) {
  if (settings_.node_id.empty()) settings_.node_id = random_node_id();
  metrics_->set_node_info(settings_.node_id, GATEHOUSE_VERSION);
  // Plugins (prometheus, aws-masker, events) find the node's metrics through this.
  metrics::set_process_metrics(metrics_.get());
}

server::~server() = default;

bool server::load_initial(std::ostream& err) {
  // ---- begin redis/events block (owner: src/store/redis, src/events) ----
  // Named Redis connections and the maker behind policy: redis, before any snapshot.
  try {
    gh::redis::install(settings_.redis_connections);
    (void)gh::events::parse_settings(settings_.events);  // started in run()
  } catch (const std::exception& e) {
    err << "gatehouse: " << e.what() << "\n";
    return false;
  }
  // ---- end redis/events block ----
  if (settings_.declarative_config.empty()) {
    auto r = reload_from_text("_format_version: \"3.0\"\n", "(empty)");
    return r.ok;
  }
  auto r = reload_from_file();
  if (!r.ok) err << r.errors_text;
  return r.ok;
}

reload_result server::reload_from_file() {
  std::ifstream in(settings_.declarative_config, std::ios::binary);
  if (!in) {
    reload_result r;
    r.errors_text = settings_.declarative_config + ": cannot be read\n";
    r.errors_json["message"] = r.errors_text;
    return r;
  }
  std::stringstream text;
  text << in.rdbuf();
  return reload_from_text(text.str(), settings_.declarative_config);
}

reload_result server::reload_from_text(const std::string& text, const std::string& source_name) {
  std::lock_guard lock(reload_mutex_);
  reload_result r;
  auto loaded = config::load_declarative(text, source_name, plugin::builtin_registry());
  if (!loaded.ok()) {
    r.errors_text = config::format_errors(loaded, source_name);
    r.errors_json = config::kong_error_json(loaded);
    return r;
  }
  r.services = loaded.config.services.size();
  r.routes = loaded.config.routes.size();
  r.plugins = loaded.config.plugins.size();
  r.consumers = loaded.config.consumers.size();
  try {
    auto snap = build_snapshot(std::move(loaded.config), source_name, text, store_);
    snapshots_.publish(std::move(snap));
  } catch (const std::exception& e) {
    r.errors_text = source_name + ": " + e.what() + "\n";
    r.errors_json["code"] = 14;
    r.errors_json["name"] = "invalid declarative configuration";
    r.errors_json["message"] = std::string("declarative config is invalid: ") + e.what();
    return r;
  }
  r.ok = true;
  spdlog::info("configuration loaded from {}: {} services, {} routes, {} plugins", source_name,
               r.services, r.routes, r.plugins);
  return r;
}

server::totals server::counters() const {
  totals t;
  for (const auto& w : workers_) {
    const auto& c = w->counters();
    t.accepted += c.accepted.load(std::memory_order_relaxed);
    t.handled += c.handled.load(std::memory_order_relaxed);
    t.requests += c.requests.load(std::memory_order_relaxed);
    t.active += c.active.load(std::memory_order_relaxed);
    t.reading += c.reading.load(std::memory_order_relaxed);
    t.writing += c.writing.load(std::memory_order_relaxed);
  }
  return t;
}

// Every client and every upstream connection is a descriptor; Debian's default soft limit
// (1024) runs out at a few hundred busy clients. Raise it to the hard limit, as HAProxy
// does by itself and nginx does with worker_rlimit_nofile.
static void raise_descriptor_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= lim.rlim_max) return;
  const rlim_t before = lim.rlim_cur;
  lim.rlim_cur = lim.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &lim) == 0) {
    spdlog::info("descriptor limit raised from {} to {}", before, lim.rlim_cur);
  } else {
    spdlog::warn("descriptor limit stays at {}: {}", before, std::strerror(errno));
  }
}

int server::run() {
  raise_descriptor_limit();
  unsigned n = std::max(1u, settings_.workers);
  for (unsigned i = 0; i < n; ++i) {
    workers_.push_back(std::make_unique<worker>(i, proxy_, snapshots_, metrics_.get(), store_));
  }
  open_access_log(settings_.access_log);

  // Listeners: worker 0 binds first (port 0 picks a port), the others share it.
  std::vector<std::vector<std::unique_ptr<tcp::acceptor>>> acceptors(n);
  for (const auto& addr : settings_.proxy_listen) {
    tcp::endpoint ep;
    try {
      ep = make_endpoint(addr);
    } catch (const std::exception& e) {
      std::cerr << "gatehouse: invalid proxy_listen address " << addr.host << ":" << addr.port << "\n";
      return 1;
    }
    for (unsigned i = 0; i < n; ++i) {
      auto a = std::make_unique<tcp::acceptor>(workers_[i]->io());
      boost::system::error_code ec;
      a->open(ep.protocol(), ec);
      if (!ec) a->set_option(tcp::acceptor::reuse_address(true), ec);
      int one = 1;
      if (!ec) ::setsockopt(a->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
      if (!ec) a->bind(ep, ec);
      if (!ec) a->listen(asio::socket_base::max_listen_connections, ec);
      if (ec) {
        std::cerr << "gatehouse: cannot listen on " << endpoint_text(ep) << ": " << ec.message() << "\n";
        return 1;
      }
      if (i == 0) ep = a->local_endpoint();
      acceptors[i].push_back(std::move(a));
    }
    std::cout << "gatehouse: proxy listening on " << endpoint_text(ep) << std::endl;
  }

  asio::io_context control(1);
  admin::admin_api admin(control, *this);
  for (const auto& addr : settings_.admin_listen) {
    try {
      auto admin_ep = admin.listen(make_endpoint(addr));
      std::cout << "gatehouse: admin listening on " << endpoint_text(admin_ep) << std::endl;
    } catch (const std::exception& e) {
      std::cerr << "gatehouse: cannot listen on admin address " << addr.to_string() << ": " << e.what() << "\n";
      return 1;
    }
  }

  // ---- begin redis/events block (owner: src/events) ----
  // The events pipeline; declared before the worker threads so that it is stopped (and
  // flushed) after they have been joined.
  std::unique_ptr<gh::events::running> events_pipeline;
  try {
    events_pipeline = gh::events::start(settings_.events, store_, settings_.node_id, metrics_.get());
  } catch (const std::exception& e) {
    std::cerr << "gatehouse: " << e.what() << "\n";
    return 1;
  }
  // ---- end redis/events block ----
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < n; ++i) {
    auto& w = *workers_[i];
    for (auto& a : acceptors[i]) asio::co_spawn(w.io(), accept_loop(w, *a), log_exception);
    asio::co_spawn(w.io(), w.wheel().run(), log_exception);
    threads.emplace_back([&w] {
      for (;;) {
        try {
          w.io().run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("worker {}: unexpected error: {}", w.index(), e.what());
        }
      }
    });
  }

  bool stopping = false;
  asio::signal_set signals(control, SIGTERM, SIGINT, SIGHUP);
  std::function<void(boost::system::error_code, int)> on_signal;
  on_signal = [&](boost::system::error_code ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      auto r = reload_from_file();
      if (!r.ok) spdlog::error("reload refused, old configuration kept:\n{}", r.errors_text);
      signals.async_wait(on_signal);
      return;
    }
    if (stopping) return;
    stopping = true;
    spdlog::info("stopping: draining in-flight requests (up to {} ms)", settings_.drain_timeout_ms);
    admin.close();
    for (unsigned i = 0; i < n; ++i) {
      asio::post(workers_[i]->io(), [this, i, &acceptors] {
        workers_[i]->start_draining();
        for (auto& a : acceptors[i]) {
          boost::system::error_code ignored;
          a->close(ignored);
        }
        workers_[i]->wheel().cancel_idle();
      });
    }
    asio::co_spawn(
        control,
        [this, &control]() -> asio::awaitable<void> {
          auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(settings_.drain_timeout_ms);
          asio::steady_timer t(control);
          while (counters().active > 0 && std::chrono::steady_clock::now() < deadline) {
            t.expires_after(std::chrono::milliseconds(20));
            co_await t.async_wait(use_tuple);
          }
          for (auto& w : workers_) w->io().stop();
          control.stop();
        },
        asio::detached);
  };
  signals.async_wait(on_signal);
  std::cout << "gatehouse: ready" << std::endl;
  control.run();
  for (auto& t : threads) t.join();
  spdlog::info("stopped");
  return 0;
}

}  // namespace gh::server
