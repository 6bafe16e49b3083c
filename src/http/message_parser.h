// A strict HTTP/1.1 message parser for the proxy path (requests from clients, responses
// from upstreams).
//
// The head is parsed only once it is complete (up to the blank line) and in one pass, as
// picohttpparser, HAProxy and nginx do: fields land in a gh::Headers in order, and the
// checks a proxy needs so that a message can never mean two things to us and to the
// next hop are made on the way — exactly one Content-Length of digits only,
// Transfer-Encoding in requests only as a lone "chunked", CRLF line endings only, no
// obs-fold in requests (folds in responses are replaced by a space, RFC 9112 5.2), no
// whitespace before a colon, no control bytes in names or values, bounded head size and
// field count. The body (Content-Length, chunked, or up to the end of the connection for
// a response without either) is appended to `body`, which the caller drains after each
// put(); nothing else is buffered.
//
// Boost.Beast's basic_parser did this before: it cost ~850 instructions per field (a
// third of a proxied request's user-space work) and needed three workarounds found by
// fuzzing (an assertion on a split final chunk, limits and obs-fold checks that a head
// arriving in segments slipped past). See docs/architecture.md.
//
// Errors are Beast's codes (boost::beast::http::error), so callers can tell need_more,
// header_limit and body_limit from a refusal.
#pragma once

#include "core/headers.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gh::http {

// True when the header block (up to and including the blank line) folds a line (obs-fold).
bool has_obs_fold(std::string_view header_block) noexcept;

// Why a message was refused, mapped by the caller to a status code.
enum class parse_refusal { none, bad_request, header_too_large, too_many_fields, uri_too_long };

template <bool is_request>
class message_parser {
 public:
  explicit message_parser(std::size_t max_fields = 100) : max_fields_(max_fields) {
    headers.reserve(16);
  }

  // Head.
  std::string method;  // requests
  std::string target;  // requests
  int status = 0;      // responses
  int version = 11;
  Headers headers;
  std::optional<uint64_t> content_length;
  bool has_transfer_encoding = false;
  bool upgrade_requested = false;  // Connection: upgrade + Upgrade present
  bool connection_close = false;
  bool connection_keep_alive = false;

  // Body bytes decoded so far and not yet consumed by the caller.
  std::string body;

  parse_refusal refusal() const noexcept { return refusal_; }
  void refuse(parse_refusal r) noexcept {
    if (refusal_ == parse_refusal::none) refusal_ = r;
  }

  // Checks that need the whole head (called by the session after the header is parsed).
  // Returns false and records a refusal when the message must be rejected.
  bool validate_head();

  // Parses what it can of `bytes` and returns how many it used; the caller keeps the
  // rest and calls again with those bytes followed by more (a head still arriving is
  // scanned from where the last call stopped). A call that completes the head stops there, so the
  // caller can look at the head before any body byte is taken. `ec` is need_more when
  // more bytes are needed, another code when the message is refused.
  std::size_t put(boost::asio::const_buffer bytes, boost::beast::error_code& ec);
  // The connection ended: completes a response read to the end of the connection, or
  // reports partial_message.
  void put_eof(boost::beast::error_code& ec);

  // The limit on the whole head (start line and fields), however it arrives.
  void header_limit(std::uint32_t v) noexcept { head_limit_ = v; }
  // The limit on the decoded body (body_limit error past it).
  void body_limit(std::uint64_t v) noexcept { body_limit_ = v; }
  // Responses: the request was HEAD, so no body follows whatever the head announces.
  void skip(bool v) noexcept { skip_body_ = v; }

  // A Content-Length body may be relayed from the caller's own read buffer instead of
  // being copied into `body` (put() would copy it): while in_length_body(), pass_body()
  // says how many of `avail` buffered bytes belong to the body (at most what remains)
  // and counts them as read; the caller sends and consumes them itself.
  bool in_length_body() const noexcept { return state_ == state::length; }
  std::size_t pass_body(std::size_t avail) noexcept;
  // How many of `avail` buffered bytes pass_body(avail) would take, without taking them.
  std::size_t length_body_part(std::size_t avail) const noexcept {
    return state_ == state::length ? static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, avail))
                                   : 0;
  }

  bool is_header_done() const noexcept { return state_ != state::head; }
  bool is_done() const noexcept { return state_ == state::done; }
  bool chunked() const noexcept { return chunked_; }
  // A response framed by the end of the connection.
  bool need_eof() const noexcept { return state_ == state::until_eof; }
  // Whether the connection can carry another message after this one.
  bool keep_alive() const noexcept {
    if (until_eof_) return false;
    return version >= 11 ? !connection_close : connection_keep_alive && !connection_close;
  }

 private:
  using error_code = boost::beast::error_code;
  enum class state { head, length, chunk_size, chunk_data, chunk_crlf, trailers, until_eof, done };

  std::size_t put_head(std::string_view in, error_code& ec);
  bool parse_head(std::string_view head, error_code& ec);
  bool parse_start_line(std::string_view line, error_code& ec);
  bool on_field(std::string_view name, std::string_view value, error_code& ec);
  void start_body(error_code& ec);
  std::size_t put_body(std::string_view in, error_code& ec);
  bool take_body(std::string_view data, error_code& ec);
  bool fail(error_code& ec, error_code code, parse_refusal r = parse_refusal::bad_request);

  std::size_t max_fields_;
  std::size_t head_limit_ = 8192;
  std::uint64_t body_limit_ = is_request ? 1024 * 1024 : 8 * 1024 * 1024;  // as Beast
  std::uint64_t body_read_ = 0;
  std::uint64_t remaining_ = 0;  // Content-Length or current chunk bytes still to come
  std::size_t trailer_bytes_ = 0;
  std::size_t head_scanned_ = 0;  // head bytes already checked for line endings
  std::size_t content_length_fields_ = 0;
  state state_ = state::head;
  bool chunked_ = false;
  bool until_eof_ = false;
  bool skip_body_ = false;
  bool start_line_done_ = false;
  bool folded_ = false;  // a response head with obs-fold (joined before reading fields)
  bool has_upgrade_header_ = false;
  parse_refusal refusal_ = parse_refusal::none;
};

using request_parser = message_parser<true>;
using response_parser = message_parser<false>;

}  // namespace gh::http
