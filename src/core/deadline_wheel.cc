#include "core/deadline_wheel.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace gh {

void deadline_wheel::entry::attach(deadline_wheel& wheel, boost::asio::ip::tcp::socket& socket) {
  detach();
  wheel_ = &wheel;
  socket_ = &socket;
  next_ = wheel.head_;
  if (next_) next_->prev_ = this;
  wheel.head_ = this;
}

void deadline_wheel::entry::detach() noexcept {
  if (!wheel_) return;
  if (prev_) prev_->next_ = next_;
  else wheel_->head_ = next_;
  if (next_) next_->prev_ = prev_;
  prev_ = next_ = nullptr;
  wheel_ = nullptr;
  socket_ = nullptr;
}

void deadline_wheel::sweep() {
  auto now = now_ = clock::now();
  for (entry* e = head_; e; e = e->next_) {
    if (e->deadline_ <= now) {
      e->expired_ = true;
      e->deadline_ = clock::time_point::max();
      boost::system::error_code ignored;
      e->socket_->cancel(ignored);
    }
  }
}

boost::asio::awaitable<void> deadline_wheel::run() {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  timer_ = &timer;
  while (!stopped_) {
    timer.expires_after(tick_);
    co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (stopped_) break;
    sweep();
  }
  timer_ = nullptr;
}

void deadline_wheel::cancel_idle() {
  for (entry* e = head_; e; e = e->next_) {
    if (!e->idle_) continue;
    boost::system::error_code ignored;
    e->socket_->cancel(ignored);
  }
}

void deadline_wheel::stop() {
  stopped_ = true;
  if (timer_) timer_->cancel();
}

}  // namespace gh
