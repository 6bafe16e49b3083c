#include "store/embedded/window_counting.h"

#include <algorithm>

namespace gh::store::embedded {

namespace {

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

window_check check_fixed(const entry* e, const window_spec& w, int64_t cost, int64_t now) {
  const int64_t len = std::max<int64_t>(1, w.window.count());
  const int64_t start = w.start_ms >= 0 ? w.start_ms : floor_div(now, len) * len;
  const int64_t end = start + len;
  int64_t current = 0;
  if (e != nullptr && e->kind == entry_kind::window && e->window_start == start) {
    current = e->count;
  }
  window_check c;
  c.room = current + cost <= w.limit;
  c.remaining_if_counted = std::max<int64_t>(0, w.limit - current - cost);
  c.remaining_if_not = c.room ? std::max<int64_t>(0, w.limit - current) : 0;
  c.reset_ms = std::max<int64_t>(0, end - now);
  c.window_start = start;
  c.count = current + cost;
  c.previous = 0;
  c.expires_at = std::max(end, now + 1);
  return c;
}

// Two buckets of length W: the estimate of hits in the last W ms is
//   previous * (W - elapsed) / W + current.
// Everything is compared multiplied by W, in 128-bit integers, so there is no rounding.
window_check check_sliding(const entry* e, const window_spec& w, int64_t cost, int64_t now) {
  const int64_t len = std::max<int64_t>(1, w.window.count());
  const int64_t start = floor_div(now, len) * len;
  const int64_t elapsed = now - start;
  int64_t current = 0;
  int64_t previous = 0;
  if (e != nullptr && e->kind == entry_kind::window) {
    if (e->window_start == start) {
      current = e->count;
      previous = e->previous;
    } else if (e->window_start == start - len) {
      previous = e->count;
    }
  }
  const __int128 W = len;
  const __int128 weighted_prev = static_cast<__int128>(previous) * (len - elapsed);
  const __int128 used = weighted_prev + static_cast<__int128>(current) * W;  // estimate * W
  const __int128 cap = static_cast<__int128>(w.limit) * W;
  const __int128 after = used + static_cast<__int128>(cost) * W;

  window_check c;
  c.room = after <= cap;
  c.remaining_if_counted = c.room ? static_cast<int64_t>((cap - after) / W) : 0;
  c.remaining_if_not = (c.room && cap >= used) ? static_cast<int64_t>((cap - used) / W) : 0;
  if (c.room) {
    c.reset_ms = len - elapsed;  // the current bucket rolls over
  } else if (current + cost <= w.limit && previous > 0) {
    // Room appears once enough of the previous bucket has slid out:
    //   previous * (W - t) <= (limit - current - cost) * W
    const __int128 spare = static_cast<__int128>(w.limit - current - cost) * W;
    const int64_t t = len - static_cast<int64_t>(spare / previous);
    c.reset_ms = std::max<int64_t>(1, t - elapsed);
  } else {
    // Not before the next bucket, where this bucket's hits become the previous ones:
    //   current * (W - t) + cost * W <= limit * W
    int64_t t = 0;
    if (current > 0 && w.limit - cost < current) {
      const __int128 spare = static_cast<__int128>(std::max<int64_t>(0, w.limit - cost)) * W;
      t = len - static_cast<int64_t>(spare / current);
      if (w.limit < cost) t = len;
    }
    c.reset_ms = (len - elapsed) + t;
  }
  c.window_start = start;
  c.count = current + cost;
  c.previous = previous;
  c.expires_at = start + 2 * len;
  return c;
}

}  // namespace

window_check check_window(const entry* e, const window_spec& w, int64_t cost,
                          window_algorithm algorithm, int64_t now_ms) {
  return algorithm == window_algorithm::sliding ? check_sliding(e, w, cost, now_ms)
                                                : check_fixed(e, w, cost, now_ms);
}

}  // namespace gh::store::embedded
