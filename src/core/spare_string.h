// One spare std::string kept for reuse: a string given back keeps its capacity for the next
// take(), so a buffer rewritten for every request is allocated once. One larger than
// `max_kept` bytes is freed instead (it would pin its size for the owner's lifetime), and of
// two given back in a row the larger is kept. Single-threaded: one per worker (a worker
// member, or thread_local).
#pragma once

#include <cstddef>
#include <string>
#include <utility>

namespace gh {

class spare_string {
 public:
  explicit spare_string(std::size_t max_kept = std::size_t{1} << 20) noexcept
      : max_kept_(max_kept) {}

  // An empty string with the capacity of the last one kept (none: a new string).
  std::string take() noexcept {
    std::string s = std::exchange(spare_, std::string());
    s.clear();
    return s;
  }
  void give(std::string&& s) noexcept {
    if (s.capacity() <= max_kept_ && s.capacity() > spare_.capacity()) spare_ = std::move(s);
  }

 private:
  std::size_t max_kept_;
  std::string spare_;
};

}  // namespace gh
