#pragma once
// Read readiness tracked as nginx tracks it, for Asio's epoll reactor.
//
// Asio tries every read on a socket first ("speculatively") and only waits for epoll when
// that read meets EAGAIN. For a proxy that is one wasted recvfrom per request and side:
// the read of the upstream's answer right after the request was sent, and the read of the
// client's next request right after the response was sent, nearly always find nothing.
// nginx avoids it by remembering readiness: with edge-triggered epoll, a read that returns
// fewer bytes than it asked for has emptied the receive queue, and any byte arriving later
// raises a new epoll event. note_short_read() records that in the reactor's per-socket
// state, so the next async_read_some waits for epoll instead of trying first; the reactor
// itself sets the flag back when epoll reports the socket readable.
#include <boost/asio/ip/tcp.hpp>

#include <cstddef>

namespace gh {

// Call on the socket's own thread after a plain-TCP read returned `got` bytes into a
// buffer of `asked` bytes. Does nothing when got == asked (more may be waiting) or when
// Asio is not built on the epoll reactor.
void note_read(boost::asio::ip::tcp::socket& socket, std::size_t got, std::size_t asked) noexcept;

}  // namespace gh
