#include "core/read_readiness.h"

#include <boost/version.hpp>

// The reactor's per-socket flag is private to Asio. It is reached the one way C++ allows
// (access is not checked in an explicit instantiation), pinned to the Boost release whose
// reactor was read: epoll_reactor::start_op skips the speculative read while
// try_speculative_[read_op] is false, and descriptor_state::perform_io sets it back to
// true on every epoll event for the socket. Everything runs on the socket's one thread
// (thread per core), the thread that also runs the reactor, so no lock is needed.
#if defined(BOOST_ASIO_HAS_EPOLL) && !defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT)
static_assert(BOOST_VERSION == 108100,
              "read_readiness.cc reaches into Asio's epoll reactor: re-check it for this Boost");
#define GH_TRACK_READINESS 1
#endif

namespace gh {

#ifdef GH_TRACK_READINESS
namespace {

namespace detail = boost::asio::detail;
using tcp = boost::asio::ip::tcp;
using socket_base = boost::asio::basic_socket<tcp, boost::asio::any_io_executor>;
using reactor = detail::epoll_reactor;

// One tag per private member: the type of a pointer to it.
struct socket_impl {
  using type = detail::io_object_impl<detail::reactive_socket_service<tcp>,
                                      boost::asio::any_io_executor> socket_base::*;
  friend type member(socket_impl);
};
struct try_speculative {
  using type = bool (reactor::descriptor_state::*)[reactor::max_ops];
  friend type member(try_speculative);
};

template <typename Tag, typename Tag::type Member>
struct expose {
  friend typename Tag::type member(Tag) { return Member; }
};
template struct expose<socket_impl, &socket_base::impl_>;
template struct expose<try_speculative, &reactor::descriptor_state::try_speculative_>;

}  // namespace

void note_read(tcp::socket& socket, std::size_t got, std::size_t asked) noexcept {
  if (got == 0 || got >= asked) return;
  socket_base& base = socket;
  reactor::per_descriptor_data state = (base.*member(socket_impl{})).get_implementation().reactor_data_;
  if (state != nullptr) (state->*member(try_speculative{}))[reactor::read_op] = false;
}

#else

void note_read(boost::asio::ip::tcp::socket&, std::size_t, std::size_t) noexcept {}

#endif

}  // namespace gh
