// Fixed- and sliding-window arithmetic of the embedded store's limit(), kept apart from
// locking so that it can be read (and tested) on its own.
//
// check_window() looks at a window's stored entry (or none) and says whether `cost` more
// hits fit, what the entry would hold if they were counted, and what to tell the client.
// It never mutates anything; embedded_store applies the result under the shard locks.
#pragma once

#include "store/embedded/memory_shard.h"
#include "store/store.h"

#include <cstdint>

namespace gh::store::embedded {

struct window_check {
  bool room = false;
  int64_t remaining_if_counted = 0;
  int64_t remaining_if_not = 0;
  int64_t reset_ms = 0;
  // What the entry holds once the hits are counted.
  int64_t window_start = 0;
  int64_t count = 0;
  int64_t previous = 0;
  int64_t expires_at = 0;
};

// `e` is the live entry of the window's key, or nullptr.
window_check check_window(const entry* e, const window_spec& w, int64_t cost,
                          window_algorithm algorithm, int64_t now_ms);

}  // namespace gh::store::embedded
