#include "events/pipeline.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <stdexcept>
#include <thread>

#include "events/bounded_queue.h"
#include "metrics/proxy_metrics.h"
#include "store/redis/config.h"
#include "store/redis/connections.h"
#include "store/redis/redis_store.h"

namespace gh::events {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

[[noreturn]] void bad(std::string_view field, const std::string& why) {
  throw std::runtime_error("events." + std::string(field) + ": " + why);
}

int64_t int_field(const json::object& o, std::string_view k, int64_t def, int64_t lo, int64_t hi) {
  const auto* v = o.if_contains(k);
  if (v == nullptr || v->is_null()) return def;
  int64_t n = 0;
  if (v->is_int64()) n = v->get_int64();
  else if (v->is_uint64() && v->get_uint64() <= static_cast<uint64_t>(hi)) n = static_cast<int64_t>(v->get_uint64());
  else if (v->is_string()) {
    try {
      n = std::stoll(std::string(v->get_string()));
    } catch (...) {
      bad(k, "expected an integer");
    }
  } else bad(k, "expected an integer");
  if (n < lo || n > hi) bad(k, fmt::format("expected a value between {} and {}", lo, hi));
  return n;
}

// A cheap per-thread generator for sampling (quality is irrelevant, speed is not).
double uniform01() {
  thread_local uint64_t x = [] {
    uint64_t seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    seed ^= reinterpret_cast<uintptr_t>(&seed);
    return seed | 1;
  }();
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return static_cast<double>(x >> 11) * (1.0 / 9007199254740992.0);
}

struct counter_block {
  std::atomic<uint64_t> submitted{0}, sampled_out{0}, dropped{0}, written{0}, failed{0};
  std::atomic<int64_t> queued{0};
};

void render(const counter_block& c, std::string& out) {
  auto counter = [&](std::string_view name, std::string_view help, uint64_t v) {
    fmt::format_to(std::back_inserter(out), "# HELP {0} {1}\n# TYPE {0} counter\n{0} {2}\n", name,
                   help, v);
  };
  counter("gatehouse_events_submitted_total", "Events accepted into the events queue.",
          c.submitted.load(std::memory_order_relaxed));
  counter("gatehouse_events_sampled_out_total", "Events not kept because of sample_rate.",
          c.sampled_out.load(std::memory_order_relaxed));
  counter("gatehouse_events_dropped_total", "Events dropped because the events queue was full.",
          c.dropped.load(std::memory_order_relaxed));
  counter("gatehouse_events_written_total", "Events written to the events stream.",
          c.written.load(std::memory_order_relaxed));
  counter("gatehouse_events_failed_total", "Events lost because the store refused the batch.",
          c.failed.load(std::memory_order_relaxed));
  fmt::format_to(std::back_inserter(out),
                 "# HELP gatehouse_events_queued Events waiting in the events queue.\n"
                 "# TYPE gatehouse_events_queued gauge\ngatehouse_events_queued {}\n",
                 std::max<int64_t>(0, c.queued.load(std::memory_order_relaxed)));
}

struct queued_event {
  gh::store::Store::event_fields fields;  // type, ts, node first, then the producer's
};

std::atomic<pipeline*> g_current{nullptr};

}  // namespace

settings parse_settings(const json::object& o) {
  settings s;
  static constexpr std::string_view known[] = {"enabled",    "store",        "redis",
                                               "connection", "stream",       "batch_size",
                                               "flush_interval_ms", "sample_rate", "max_queue",
                                               "max_len"};
  for (const auto& kv : o) {
    if (std::find(std::begin(known), std::end(known), kv.key()) == std::end(known)) {
      bad(kv.key(), "unknown field");
    }
  }
  if (const auto* v = o.if_contains("enabled"); v != nullptr && !v->is_null()) {
    if (v->is_bool()) s.enabled = v->get_bool();
    else if (v->is_string() && (v->get_string() == "true" || v->get_string() == "on")) s.enabled = true;
    else if (v->is_string() && (v->get_string() == "false" || v->get_string() == "off")) s.enabled = false;
    else bad("enabled", "expected a boolean");
  }
  if (const auto* v = o.if_contains("store"); v != nullptr && !v->is_null()) {
    if (!v->is_string() || (v->get_string() != "embedded" && v->get_string() != "redis")) {
      bad("store", "expected one of: embedded, redis");
    }
    s.store = std::string(v->get_string());
  }
  if (const auto* v = o.if_contains("stream"); v != nullptr && !v->is_null()) {
    if (!v->is_string() || v->get_string().empty()) bad("stream", "expected a non-empty string");
    s.stream = std::string(v->get_string());
  }
  s.batch_size = static_cast<std::size_t>(int_field(o, "batch_size", 100, 1, 100000));
  s.flush_interval_ms = static_cast<int>(int_field(o, "flush_interval_ms", 1000, 1, 3600000));
  s.max_queue = static_cast<std::size_t>(int_field(o, "max_queue", 10000, 1, 10000000));
  s.max_len = static_cast<std::size_t>(int_field(o, "max_len", 100000, 0, 1000000000));
  if (const auto* v = o.if_contains("sample_rate"); v != nullptr && !v->is_null()) {
    if (!v->is_number()) bad("sample_rate", "expected a number between 0 and 1");
    s.sample_rate = v->to_number<double>();
    if (!(s.sample_rate >= 0 && s.sample_rate <= 1)) bad("sample_rate", "expected a number between 0 and 1");
  }
  const auto* redis = o.if_contains("redis");
  const auto* conn = o.if_contains("connection");
  if (conn != nullptr && !conn->is_null()) {
    if (!conn->is_string()) bad("connection", "expected a connection name");
    if (redis != nullptr && !redis->is_null()) bad("connection", "use either redis or connection");
    s.redis["connection"] = conn->get_string();
  } else if (redis != nullptr && !redis->is_null()) {
    if (!redis->is_object()) bad("redis", "expected a map of redis fields");
    s.redis = redis->as_object();
  }
  if (s.store == "redis") {
    if (s.redis.empty()) bad("store", "store redis needs a redis block or a connection");
    if (!s.redis.contains("connection")) {
      json::object copy = s.redis;
      std::vector<gh::plugin::SchemaError> errors;
      gh::redis::validate_redis_config(copy, errors, "events.redis");
      if (!errors.empty()) throw std::runtime_error(errors.front().field + ": " + errors.front().message);
    }
  }
  return s;
}

struct pipeline::impl {
  impl(const settings& s, std::shared_ptr<gh::store::Store> st, std::string node)
      : cfg(s), store(std::move(st)), node_id(std::move(node)), queue(s.max_queue),
        counters(std::make_shared<counter_block>()), timer(io) {}

  asio::awaitable<void> flusher();
  asio::awaitable<void> flush_batch(std::size_t max);

  void wake() {
    if (wake_pending.exchange(true, std::memory_order_acq_rel)) return;
    asio::post(io, [this] {
      wake_pending.store(false, std::memory_order_release);
      timer.cancel();
    });
  }

  settings cfg;
  std::shared_ptr<gh::store::Store> store;
  std::string node_id;
  bounded_queue<queued_event> queue;
  std::shared_ptr<counter_block> counters;
  asio::io_context io{1};
  asio::steady_timer timer;
  std::atomic<bool> wake_pending{false};
  std::atomic<bool> stopping{false};
  std::chrono::steady_clock::time_point stop_deadline{};
  int64_t last_error_log_ms = 0;
  std::thread thread;
};

asio::awaitable<void> pipeline::impl::flush_batch(std::size_t max) {
  std::vector<gh::store::Store::event_fields> batch;
  batch.reserve(std::min(max, cfg.batch_size));
  while (batch.size() < max) {
    auto ev = queue.try_pop();
    if (!ev) break;
    counters->queued.fetch_sub(1, std::memory_order_relaxed);
    batch.push_back(std::move(ev->fields));
  }
  if (batch.empty()) co_return;
  auto r = co_await store->append_events(cfg.stream, batch, cfg.max_len);
  if (r) {
    counters->written.fetch_add(batch.size(), std::memory_order_relaxed);
    co_return;
  }
  counters->failed.fetch_add(batch.size(), std::memory_order_relaxed);
  // Once per 10 s; never the events themselves.
  const int64_t now = wall_ms();
  if (now - last_error_log_ms >= 10'000) {
    last_error_log_ms = now;
    spdlog::error("events: a batch of {} events to stream '{}' was lost: {} (logged at most "
                  "every 10 s; see gatehouse_events_failed_total)",
                  batch.size(), cfg.stream, r.error().message());
  }
}

asio::awaitable<void> pipeline::impl::flusher() {
  for (;;) {
    if (!stopping.load(std::memory_order_acquire) && queue.size() < cfg.batch_size) {
      timer.expires_after(std::chrono::milliseconds(cfg.flush_interval_ms));
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    // Full batches first, then whatever the interval collected.
    do {
      co_await flush_batch(cfg.batch_size);
    } while (queue.size() >= cfg.batch_size &&
             !(stopping.load(std::memory_order_acquire) &&
               std::chrono::steady_clock::now() > stop_deadline));
    if (stopping.load(std::memory_order_acquire)) {
      if (queue.size() == 0 || std::chrono::steady_clock::now() > stop_deadline) break;
    }
  }
  // What could not be written in time is lost, and counted.
  while (auto ev = queue.try_pop()) {
    counters->queued.fetch_sub(1, std::memory_order_relaxed);
    counters->failed.fetch_add(1, std::memory_order_relaxed);
  }
}

pipeline::pipeline(settings s, std::shared_ptr<gh::store::Store> store, std::string node_id)
    : settings_(std::move(s)), impl_(std::make_unique<impl>(settings_, std::move(store), std::move(node_id))) {
  // When the flusher is done, so is the thread: the store's connections would otherwise
  // keep the io_context running. They are closed when the io_context is destroyed.
  asio::co_spawn(impl_->io, impl_->flusher(), [this](std::exception_ptr e) {
    if (e) spdlog::error("events: the flusher stopped on an unexpected error");
    impl_->io.stop();
  });
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

pipeline::~pipeline() { stop(); }

void pipeline::stop() {
  if (!impl_->thread.joinable()) return;
  const auto store_timeout = std::chrono::milliseconds(2500);
  impl_->stop_deadline = std::chrono::steady_clock::now() + store_timeout;
  asio::post(impl_->io, [this] {
    impl_->stopping.store(true, std::memory_order_release);
    impl_->timer.cancel();
  });
  impl_->thread.join();
}

bool pipeline::submit(std::string_view type, fields f) {
  auto& c = *impl_->counters;
  if (settings_.sample_rate < 1.0 && uniform01() >= settings_.sample_rate) {
    c.sampled_out.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  // The logical bound is exact: reserve a place first.
  if (c.queued.fetch_add(1, std::memory_order_relaxed) >= static_cast<int64_t>(settings_.max_queue)) {
    c.queued.fetch_sub(1, std::memory_order_relaxed);
    c.dropped.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  queued_event ev;
  ev.fields.reserve(f.size() + 3);
  ev.fields.emplace_back("type", std::string(type));
  ev.fields.emplace_back("ts", std::to_string(wall_ms()));
  ev.fields.emplace_back("node", impl_->node_id);
  for (auto& kv : f) ev.fields.push_back(std::move(kv));
  if (!impl_->queue.try_push(ev)) {  // cannot happen (capacity >= max_queue); count it anyway
    c.queued.fetch_sub(1, std::memory_order_relaxed);
    c.dropped.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  c.submitted.fetch_add(1, std::memory_order_relaxed);
  if (impl_->queue.size() >= settings_.batch_size) impl_->wake();
  return true;
}

stats pipeline::totals() const {
  const auto& c = *impl_->counters;
  return {c.submitted.load(), c.sampled_out.load(), c.dropped.load(), c.written.load(),
          c.failed.load()};
}

std::size_t pipeline::queued() const {
  return static_cast<std::size_t>(std::max<int64_t>(0, impl_->counters->queued.load()));
}

void pipeline::render_metrics(std::string& out) const { render(*impl_->counters, out); }

void submit(std::string_view type, fields f) {
  if (pipeline* p = g_current.load(std::memory_order_acquire)) p->submit(type, std::move(f));
}

bool enabled() noexcept { return g_current.load(std::memory_order_acquire) != nullptr; }

running::running(std::shared_ptr<pipeline> p) : pipeline_(std::move(p)) {
  g_current.store(pipeline_.get(), std::memory_order_release);
}

running::~running() {
  g_current.store(nullptr, std::memory_order_release);
  pipeline_->stop();
}

std::unique_ptr<running> start(const json::object& events,
                               std::shared_ptr<gh::store::Store> embedded,
                               const std::string& node_id, gh::metrics::proxy_metrics* metrics) {
  settings s = parse_settings(events);
  if (!s.enabled) return nullptr;
  std::shared_ptr<gh::store::Store> store = std::move(embedded);
  if (s.store == "redis") {
    try {
      store = gh::redis::make_redis_store(gh::redis::resolve_installed(s.redis));
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string("events.redis: ") + e.what());
    }
  }
  if (!store) throw std::runtime_error("events.store: no store available");
  const std::string where = s.store;
  const std::string stream = s.stream;
  auto p = std::make_shared<pipeline>(std::move(s), std::move(store), node_id);
  if (metrics != nullptr) {
    // The renderer may outlive the pipeline: it holds what it reads.
    std::weak_ptr<pipeline> weak = p;
    metrics->add_renderer([weak](std::string& out) {
      if (auto live = weak.lock()) live->render_metrics(out);
    });
  }
  spdlog::info("events: writing to stream '{}' on the {} store", stream, where);
  return std::make_unique<running>(std::move(p));
}

}  // namespace gh::events
