// Read buffers lent for one use instead of owned by every connection.
//
// HAProxy and nginx give a connection a buffer only while bytes are in flight: an idle
// keep-alive connection, or a request waiting for its upstream, holds none. A worker with
// a thousand connections then touches a handful of buffers, hot in cache, instead of a
// thousand (and a buffer can be large enough to take a whole 64 KB response in one read).
// The pool keeps up to `max_kept` returned buffers, capacity intact, and lends the most
// recently returned first. Single-threaded: one pool per worker; a lease must end on the
// worker's thread before the pool goes.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>

#include <cstddef>
#include <memory>
#include <vector>

namespace gh {

class buffer_pool {
 public:
  // Gives a lent buffer back (emptied) when the lease ends.
  struct returner {
    buffer_pool* pool = nullptr;
    void operator()(boost::beast::flat_buffer* b) const noexcept { pool->give_back(b); }
  };
  using lease = std::unique_ptr<boost::beast::flat_buffer, returner>;

  explicit buffer_pool(std::size_t max_kept = 64) : max_kept_(max_kept) { free_.reserve(max_kept); }
  buffer_pool(const buffer_pool&) = delete;
  buffer_pool& operator=(const buffer_pool&) = delete;

  // An empty buffer, with the capacity it had when it was last given back.
  lease take();
  std::size_t kept() const noexcept { return free_.size(); }

 private:
  void give_back(boost::beast::flat_buffer* b) noexcept;

  std::size_t max_kept_;
  std::vector<std::unique_ptr<boost::beast::flat_buffer>> free_;
};

}  // namespace gh
