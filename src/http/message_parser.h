// A strict HTTP/1.1 message parser on top of Beast's basic_parser.
//
// Beast does the tokenising, chunked decoding and limits; this class keeps the head in a
// gh::Headers (no Beast fields container) and adds the checks a proxy needs so that a
// request can never mean two different things to us and to the upstream: exactly one
// Content-Length, Transfer-Encoding only as a lone "chunked", no obs-fold, no chunked
// HTTP/1.0 request, a bounded number of fields. Body bytes are appended to `body`,
// which the caller drains after each read; nothing else is buffered.
//
// Used by the proxy session (requests from clients, responses from upstreams).
#pragma once

#include "core/headers.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gh::http {

// True when the header block (up to and including the blank line) folds a line (obs-fold),
// which RFC 9112 lets a proxy reject and which we always reject in requests.
bool has_obs_fold(std::string_view header_block) noexcept;

// Why a message was refused, mapped by the caller to a status code.
enum class parse_refusal { none, bad_request, header_too_large, too_many_fields, uri_too_long };

template <bool is_request>
class message_parser : public boost::beast::http::basic_parser<is_request> {
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
  void refuse(parse_refusal r) noexcept { if (refusal_ == parse_refusal::none) refusal_ = r; }

  // Checks that need the whole head (called by the session after the header is parsed).
  // Returns false and records a refusal when the message must be rejected.
  bool validate_head();

  // basic_parser::put, refusing a request head that folds a line (obs-fold). Beast
  // accepts folds (it joins the lines) and consumes every complete field line of a head
  // that is still arriving, so a check on the whole head after the fact can miss a fold
  // that came in an earlier segment. Beast consumes a field line only after seeing the
  // byte that follows it, so checking each put() sees every fold. Found by tests/fuzz.
  //
  // It also holds back fewer than 5 bytes of a chunked body: Boost 1.81's parser asserts
  // (and the build keeps assertions: abort) when a final chunk's "0\r\n" came in one
  // call and the next brings fewer than 5 bytes (boostorg/beast#2861, fixed in 1.86). The
  // rest of a valid chunked body is never shorter than "0\r\n\r\n", so waiting for 5
  // bytes never stalls one. Found by tests/fuzz.
  //
  // And it counts the head across calls: Boost 1.81 applies header_limit to each call
  // from where the previous one stopped, so a head sent in segments could grow past it.
  template <class ConstBufferSequence>
  std::size_t put(const ConstBufferSequence& buffers, boost::beast::error_code& ec) {
    using base = boost::beast::http::basic_parser<is_request>;
    if (this->is_header_done()) {
      if (this->chunked() && !this->is_done() && boost::asio::buffer_size(buffers) < 5) {
        ec = boost::beast::http::error::need_more;
        return 0;
      }
      return base::put(buffers, ec);
    }
    if constexpr (is_request) {
      if (head_folds(buffers)) {
        refuse(parse_refusal::bad_request);
        ec = boost::beast::http::error::bad_value;
        return 0;
      }
    }
    if (head_read_ >= head_limit_) {
      ec = boost::beast::http::error::header_limit;
      return 0;
    }
    base::header_limit(static_cast<std::uint32_t>(head_limit_ - head_read_));
    auto used = base::put(buffers, ec);
    head_read_ += used;
    return used;
  }

  // The limit on the whole head (start line and fields), however it arrives.
  void header_limit(std::uint32_t v) {
    head_limit_ = v;
    boost::beast::http::basic_parser<is_request>::header_limit(v);
  }

 private:
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;
  void on_request_impl(boost::beast::http::verb, string_view method_str, string_view target_str,
                       int version_num, error_code& ec) override;
  void on_response_impl(int code, string_view reason, int version_num, error_code& ec) override;
  void on_field_impl(boost::beast::http::field f, string_view name, string_view value,
                     error_code& ec) override;
  void on_header_impl(error_code& ec) override {}
  void on_body_init_impl(boost::optional<std::uint64_t> const&, error_code&) override {}
  std::size_t on_body_impl(string_view data, error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view data, error_code& ec) override;
  void on_finish_impl(error_code&) override {}

  // Whether the head bytes in `buffers` (up to the blank line, if there) fold a line.
  template <class ConstBufferSequence>
  static bool head_folds(const ConstBufferSequence& buffers) {
    std::string joined;
    std::string_view bytes;
    auto it = boost::asio::buffer_sequence_begin(buffers);
    auto end = boost::asio::buffer_sequence_end(buffers);
    if (it != end && std::next(it) == end) {
      bytes = std::string_view(static_cast<const char*>(it->data()), it->size());
    } else {
      for (; it != end; ++it) joined.append(static_cast<const char*>(it->data()), it->size());
      bytes = joined;
    }
    // Beast consumes whole lines, so the bytes start at a line; the head ends at the
    // first empty line, which may be the very first one.
    auto blank = bytes.starts_with("\r\n") ? 0 : bytes.find("\r\n\r\n");
    return has_obs_fold(blank == std::string_view::npos ? bytes : bytes.substr(0, blank + 2));
  }

  std::size_t max_fields_;
  std::size_t head_limit_ = 8192;  // Beast's default
  std::size_t head_read_ = 0;      // head bytes consumed by earlier calls
  std::size_t content_length_fields_ = 0;
  bool bad_transfer_encoding_ = false;
  bool has_upgrade_header_ = false;
  parse_refusal refusal_ = parse_refusal::none;
};

using request_parser = message_parser<true>;
using response_parser = message_parser<false>;


}  // namespace gh::http
