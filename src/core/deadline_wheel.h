// Per-worker I/O timeouts without a timer per operation.
//
// Every socket that needs timeouts owns a deadline_wheel::entry and stores a deadline in
// it before each operation (a plain store, no system call). One ticker per worker walks
// the entries every `tick` and cancels the sockets whose deadline has passed; the
// waiting coroutine then sees operation_aborted and entry.expired. This is how nginx
// keeps timers cheap: the cost is paid per tick, not per read or write.
// Single-threaded: an entry and its wheel belong to one worker.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>

namespace gh {

class deadline_wheel {
 public:
  using clock = std::chrono::steady_clock;

  class entry {
   public:
    entry() = default;
    entry(const entry&) = delete;
    entry& operator=(const entry&) = delete;
    ~entry() { detach(); }

    void attach(deadline_wheel& wheel, boost::asio::ip::tcp::socket& socket);
    void detach() noexcept;
    // Uses the wheel's clock, refreshed every tick: deadlines are as precise as the
    // tick, and setting one costs no clock read.
    void expires_after(std::chrono::milliseconds d) {
      deadline_ = wheel_->now_ + d;
      expired_ = false;
    }
    void clear() noexcept { deadline_ = clock::time_point::max(); }
    // An idle keep-alive connection (waiting for its next request) may be closed by a
    // drain without losing anything.
    void set_idle(bool idle) noexcept { idle_ = idle; }
    bool expired() const noexcept { return expired_; }

   private:
    friend class deadline_wheel;
    deadline_wheel* wheel_ = nullptr;
    boost::asio::ip::tcp::socket* socket_ = nullptr;
    clock::time_point deadline_ = clock::time_point::max();
    bool expired_ = false;
    bool idle_ = false;
    entry* prev_ = nullptr;
    entry* next_ = nullptr;
  };

  explicit deadline_wheel(std::chrono::milliseconds tick = std::chrono::milliseconds(50))
      : tick_(tick) {}
  // Runs until stop(); co_spawn it on the worker's executor.
  boost::asio::awaitable<void> run();
  void stop();
  // Cancels the sockets of idle entries (used when draining).
  void cancel_idle();

 private:
  void sweep();
  std::chrono::milliseconds tick_;
  clock::time_point now_ = clock::now();
  entry* head_ = nullptr;
  boost::asio::steady_timer* timer_ = nullptr;
  bool stopped_ = false;
};

}  // namespace gh
