// `gatehouse events tail`: follows the events stream and prints each event.
//
// Reads with a consumer group (XREADGROUP), so several tails share the work and a tail
// started again with the same group and consumer resumes where it stopped: first the
// entries it had received but not acknowledged, then new ones; each printed entry is
// acknowledged (XACK). The group is created when absent (XGROUP CREATE … MKSTREAM), at the
// beginning of the stream (what MAXLEN kept) or, with new_only, at its end.
// Output: one human-readable line per event, or one JSON object per line.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

namespace gh::events {

struct tail_options {
  std::string redis;          // host:port; empty = from the settings (events) or 127.0.0.1:6379
  std::string connection;     // a named connection of the node settings file
  std::string settings_file;  // node settings (for --connection and the events block)
  std::string stream;         // empty = the settings' events.stream or gatehouse:events
  std::string group = "gatehouse-tail";
  std::string consumer;       // empty = the host name
  bool json = false;
  bool new_only = false;
  int64_t count = 0;          // exit after this many events (0 = follow until a signal)
};

// Runs until SIGINT/SIGTERM (or `count` events). Returns the process exit code; errors go
// to `err`.
int run_tail(const tail_options& opts, std::ostream& out, std::ostream& err);

}  // namespace gh::events
