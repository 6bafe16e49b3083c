// Counters and masking events of aws-masker, for /metrics and the store's event stream.
//
// Counters are per plugin instance (atomics, no lock on the request path) and survive a
// config reload: a retiring instance folds its counts into process-wide totals.
// render_metrics() (called by the admin API at scrape time) sums both into Prometheus
// lines. A masking_event carries counts, sizes and timing only — never an original value
// or a token-to-original pair. Events go to the event_sink installed with
// set_event_sink() when there is one (tests, embedders), else to the process-wide events
// pipeline (src/events: batched, sampled, bounded, to Store::append_events) as type
// "aws-masker"; publishing never blocks the request.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "store/store.h"

namespace gh::aws_masker {

class instance_counters {
 public:
  explicit instance_counters(std::vector<std::string> type_names);
  ~instance_counters();  // folds into the process totals
  instance_counters(const instance_counters&) = delete;
  instance_counters& operator=(const instance_counters&) = delete;

  void add_type(std::size_t type, uint64_t n) noexcept;
  std::atomic<uint64_t> requests_masked{0};
  std::atomic<uint64_t> requests_refused{0};
  std::atomic<uint64_t> bytes_masked{0};
  std::atomic<uint64_t> store_errors{0};
  std::atomic<uint64_t> tokens_restored_responses{0};
  std::atomic<uint64_t> mask_nanos{0};  // time spent masking requests (access phase)

  const std::vector<std::string>& type_names() const noexcept { return names_; }
  uint64_t type_count(std::size_t type) const noexcept;

 private:
  std::vector<std::string> names_;
  std::unique_ptr<std::atomic<uint64_t>[]> per_type_;
};

// Prometheus text for every aws-masker instance, past and present.
std::string render_metrics();
// Adds render_metrics() to the process metrics (gh::metrics::process_metrics()) once per
// process; a no-op until the server has set them, so callers may call it repeatedly
// (the factory's build() and the log phase do).
void register_process_metrics() noexcept;
bool process_metrics_registered() noexcept;

struct masking_event {
  std::string request_id;
  std::string scope;                                     // request | consumer | global
  std::vector<std::pair<std::string, uint32_t>> counts;  // type -> identifiers masked
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t micros = 0;
  std::string outcome;  // masked | refused
};

// The fields of `e` as one Store::append_events entry.
store::Store::event_fields to_fields(const masking_event& e);

class event_sink {
 public:
  virtual ~event_sink() = default;
  // Called on the worker thread in the log phase; must not block.
  virtual void submit(const std::string& stream, std::size_t max_len, masking_event e) = 0;
};
void set_event_sink(std::shared_ptr<event_sink> sink);
std::shared_ptr<event_sink> current_event_sink();
// Routes `e` to the installed sink, else to the events pipeline when it runs. False when
// neither takes it.
bool publish_event(const std::string& stream, std::size_t max_len, masking_event e);

}  // namespace gh::aws_masker
