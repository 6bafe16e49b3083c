// The events pipeline: plugin events (masking, rate limiting, ...) to a stream, off the
// request path.
//
// Any worker thread calls gh::events::submit(type, fields). The call never blocks and never
// waits for I/O: after sampling (`sample_rate`) the event goes into a bounded lock-free
// queue (`max_queue`); when the queue is full the event is dropped and counted. One flusher
// thread takes events in batches — `batch_size` events or `flush_interval_ms`, whichever
// comes first — and writes each batch with one Store::append_events call (Redis: pipelined
// `XADD stream MAXLEN ~ max_len`) to the store chosen in the node settings (`events:`
// block, docs/events.md): the node's embedded store or Redis (a `redis` block or a named
// connection). Counters are exported on /metrics (gatehouse_events_*_total).
// Privacy: the producer decides the fields and must never put originals or secrets in
// them; the pipeline adds type, time and node id, and never logs field values.
// The server starts the pipeline (start()) and stops it after the workers have stopped;
// submit() without a running pipeline is a no-op (counted nowhere).
#pragma once

#include <boost/json/object.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/store.h"

namespace gh::metrics {
class proxy_metrics;
}

namespace gh::events {

using fields = std::vector<std::pair<std::string, std::string>>;

struct settings {
  bool enabled = false;
  std::string store = "embedded";  // embedded | redis
  boost::json::object redis;       // the `redis` block (may be {connection: name})
  std::string stream = "gatehouse:events";
  std::size_t batch_size = 100;
  int flush_interval_ms = 1000;
  double sample_rate = 1.0;  // 0..1: fraction of submitted events kept
  std::size_t max_queue = 10000;
  std::size_t max_len = 100000;  // stream cap (XADD MAXLEN ~)
};

// Reads the node settings' `events` map. Throws std::runtime_error naming the field
// ("events.batch_size: ...") on a bad value (config time).
settings parse_settings(const boost::json::object& events);

// Totals since start (monotonic).
struct stats {
  uint64_t submitted = 0;    // accepted into the queue
  uint64_t sampled_out = 0;  // not kept by sample_rate
  uint64_t dropped = 0;      // queue full
  uint64_t written = 0;      // acknowledged by the store
  uint64_t failed = 0;       // lost: the store refused or was unreachable
};

class pipeline {
 public:
  // Starts the flusher thread. `store` is where batches go.
  pipeline(settings s, std::shared_ptr<gh::store::Store> store, std::string node_id);
  ~pipeline();  // stop()
  pipeline(const pipeline&) = delete;
  pipeline& operator=(const pipeline&) = delete;

  // Never blocks. False when the event was sampled out or dropped.
  bool submit(std::string_view type, fields f);
  // Flushes what is queued (for up to about the store's timeout) and joins the flusher.
  void stop();

  stats totals() const;
  std::size_t queued() const;
  const settings& config() const { return settings_; }
  // Appends the gatehouse_events_* series (Prometheus text) to `out`.
  void render_metrics(std::string& out) const;

 private:
  struct impl;
  settings settings_;
  std::unique_ptr<impl> impl_;
};

// ---- process-wide ------------------------------------------------------------------------

// Submits to the running pipeline, if any. Usable from any thread, never blocks.
void submit(std::string_view type, fields f);
// True when a pipeline is running (producers may skip building fields otherwise).
bool enabled() noexcept;

// What start() returns: the running pipeline, stopped (flushed) when destroyed.
class running {
 public:
  explicit running(std::shared_ptr<pipeline> p);
  ~running();
  running(const running&) = delete;
  running& operator=(const running&) = delete;
  pipeline& get() { return *pipeline_; }

 private:
  std::shared_ptr<pipeline> pipeline_;
};

// Reads the node settings' `events` map and starts the pipeline when enabled (nullptr
// otherwise). `embedded` is the node's store (for store: embedded); Redis blocks are
// resolved against the named connections installed by gh::redis::install(). Registers the
// counters on `metrics` (when not null). Throws std::runtime_error on bad settings.
std::unique_ptr<running> start(const boost::json::object& events,
                               std::shared_ptr<gh::store::Store> embedded,
                               const std::string& node_id, gh::metrics::proxy_metrics* metrics);

}  // namespace gh::events
