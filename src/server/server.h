// The gateway process: workers, listeners, the admin API, signals, reload and drain.
//
// run() starts one worker thread per configured worker, each with its own SO_REUSEPORT
// listener per proxy address (the kernel spreads connections), and runs the admin
// listener and signal handling on the calling thread. Reloads (SIGHUP, POST /config)
// build a new snapshot off the workers and publish it atomically; a bad config is
// refused with its errors and the old snapshot keeps serving. SIGTERM/SIGINT stop
// accepting, close idle keep-alive connections and wait for in-flight requests up to
// the drain timeout.
#pragma once

#include "config/declarative_loader.h"
#include "config/node_settings.h"
#include "server/snapshot.h"
#include "server/worker.h"

#include <boost/json/object.hpp>

#include <memory>
#include <string>
#include <vector>

namespace gh::metrics {
class proxy_metrics;
}

namespace gh::server {

struct reload_result {
  bool ok = false;
  std::string errors_text;       // one line per error
  boost::json::object errors_json;  // Kong's POST /config error body
  std::size_t services = 0, routes = 0, plugins = 0, consumers = 0;
};

class server {
 public:
  explicit server(config::node_settings settings);
  ~server();

  // Loads the declarative config named in the settings (or an empty one). False with
  // the errors printed to `err` when it is invalid.
  bool load_initial(std::ostream& err);
  // Runs until a stop signal; returns the process exit code.
  int run();

  // Validates `text`, builds a snapshot and publishes it (thread-safe).
  reload_result reload_from_text(const std::string& text, const std::string& source_name);
  reload_result reload_from_file();

  const config::node_settings& settings() const { return settings_; }
  std::shared_ptr<const snapshot> current_snapshot() const { return snapshots_.current(); }
  metrics::proxy_metrics& metrics() { return *metrics_; }
  std::shared_ptr<store::Store> default_store() const { return store_; }
  // Summed connection counters of all workers.
  struct totals {
    uint64_t accepted = 0, handled = 0, requests = 0;
    int64_t active = 0, reading = 0, writing = 0;
  };
  totals counters() const;
  std::chrono::system_clock::time_point started_at() const { return started_at_; }

 private:
  void start_workers();
  void begin_drain();

  config::node_settings settings_;
  proxy_settings proxy_;
  snapshot_holder snapshots_;
  std::unique_ptr<metrics::proxy_metrics> metrics_;
  std::shared_ptr<store::Store> store_;
  std::vector<std::unique_ptr<worker>> workers_;
  std::chrono::system_clock::time_point started_at_;
  std::mutex reload_mutex_;
};

}  // namespace gh::server
