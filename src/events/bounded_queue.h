// A bounded multi-producer queue that never blocks: Dmitry Vyukov's array queue.
//
// Worker threads push events (try_push fails when full: the caller counts a drop); the
// events flusher pops. Each slot carries a sequence number that tells producers and the
// consumer whose turn it is, so a push or a pop is one CAS on a shared index plus a store,
// with no lock and no allocation beyond the element's own. Capacity is rounded up to a
// power of two. Safe for any number of producers and consumers.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>

namespace gh::events {

template <class T>
class bounded_queue {
 public:
  explicit bounded_queue(std::size_t capacity) {
    std::size_t n = 2;
    while (n < capacity) n <<= 1;
    mask_ = n - 1;
    slots_ = std::make_unique<slot[]>(n);
    for (std::size_t i = 0; i < n; ++i) slots_[i].seq.store(i, std::memory_order_relaxed);
  }

  // False when full (the value is left untouched).
  bool try_push(T& value) {
    std::size_t pos = tail_.load(std::memory_order_relaxed);
    for (;;) {
      slot& s = slots_[pos & mask_];
      const std::size_t seq = s.seq.load(std::memory_order_acquire);
      const auto diff = static_cast<std::ptrdiff_t>(seq) - static_cast<std::ptrdiff_t>(pos);
      if (diff == 0) {
        if (tail_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          s.value = std::move(value);
          s.seq.store(pos + 1, std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        return false;
      } else {
        pos = tail_.load(std::memory_order_relaxed);
      }
    }
  }

  std::optional<T> try_pop() {
    std::size_t pos = head_.load(std::memory_order_relaxed);
    for (;;) {
      slot& s = slots_[pos & mask_];
      const std::size_t seq = s.seq.load(std::memory_order_acquire);
      const auto diff = static_cast<std::ptrdiff_t>(seq) - static_cast<std::ptrdiff_t>(pos + 1);
      if (diff == 0) {
        if (head_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          std::optional<T> out(std::move(s.value));
          s.value = T{};
          s.seq.store(pos + mask_ + 1, std::memory_order_release);
          return out;
        }
      } else if (diff < 0) {
        return std::nullopt;
      } else {
        pos = head_.load(std::memory_order_relaxed);
      }
    }
  }

  // Approximate (exact when quiescent).
  std::size_t size() const noexcept {
    const std::size_t t = tail_.load(std::memory_order_relaxed);
    const std::size_t h = head_.load(std::memory_order_relaxed);
    return t >= h ? t - h : 0;
  }
  std::size_t capacity() const noexcept { return mask_ + 1; }

 private:
  struct slot {
    std::atomic<std::size_t> seq{0};
    T value{};
  };
  std::unique_ptr<slot[]> slots_;
  std::size_t mask_ = 0;
  alignas(64) std::atomic<std::size_t> tail_{0};
  alignas(64) std::atomic<std::size_t> head_{0};
};

}  // namespace gh::events
