// The proxy's reading of one connection, replayed on bytes from the fuzzer.
//
// read_messages() does what src/server/proxy_session.cc (read_head), body_pump.cc (feed:
// chunked bodies) and upstream_exchange.cc (the in-place relay of Content-Length bodies)
// do with a client connection, and what upstream_exchange.cc (read_response_head, then
// relay_response) does with an upstream one: header and body limits, head validation, then the body,
// message after message while the connection stays alive. The bytes arrive in segments
// of the fuzzer's choosing, as TCP delivers them. The result lists what the proxy would
// have made of each message, so a target can check the smuggling rules on it and compare
// two segmentations.
#pragma once

#include "http/message_parser.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace gh::fuzz {

struct stream_limits {
  std::size_t max_header_size = 8192;  // requests; responses use the proxy's fixed 64 KiB
  uint64_t max_body_size = 0;          // 0: no limit
  std::size_t max_fields = 100;
  bool head_only = false;  // responses to HEAD
};

// One message as the proxy read it. When the bytes end mid-head or a head is refused,
// head_accepted is false; a refusal may come early (Beast reports a bad field line before
// the head is complete) or never (the bytes end first), depending on the segmentation.
struct message_outcome {
  bool head_accepted = false;
  bool complete = false;  // the body was read to its end
  int refused = 0;        // the status the proxy answers (502: a bad upstream response)
  std::string method, target;
  int status = 0, version = 0;
  Headers headers;
  std::optional<uint64_t> content_length;
  std::string raw_head;  // requests: the head's bytes as the parser consumed them
  bool has_transfer_encoding = false, chunked = false, keep_alive = false;
  std::string body;
};

// Hands out `wire` in segments of `segment` bytes (the first one `first` bytes long).
class segmented_socket {
 public:
  segmented_socket(std::string_view wire, std::size_t first, std::size_t segment)
      : wire_(wire), next_(first == 0 ? segment : first), segment_(segment == 0 ? 1 : segment) {}
  bool read_into(std::string& buf) {
    if (wire_.empty()) return false;
    auto n = std::min(next_ == 0 ? segment_ : next_, wire_.size());
    buf.append(wire_.substr(0, n));
    wire_.remove_prefix(n);
    next_ = segment_;
    return true;
  }

 private:
  std::string_view wire_;
  std::size_t next_, segment_;
};

namespace detail {

template <bool R>
void record_head(http::message_parser<R>& p, message_outcome& o) {
  o.head_accepted = true;
  o.method = p.method;
  o.target = p.target;
  o.status = p.status;
  o.version = p.version;
  o.headers = p.headers;
  o.content_length = p.content_length;
  o.has_transfer_encoding = p.has_transfer_encoding;
  o.chunked = p.chunked();
}

// body_pump::feed: false when the parser refused the body.
template <bool R>
bool feed_body(http::message_parser<R>& p, std::string& buf, boost::beast::error_code& ec) {
  while (!buf.empty() && !p.is_done()) {
    ec = {};
    auto used = p.put(boost::asio::buffer(buf), ec);
    buf.erase(0, used);
    if (ec == boost::beast::http::error::need_more) return true;
    if (ec) return false;
    if (used == 0) return true;
  }
  return true;
}

// Reads a body to its end; false when the message ended badly.
template <bool R>
bool read_body(http::message_parser<R>& p, std::string& buf, segmented_socket& sock,
               message_outcome& o) {
  boost::beast::error_code ec;
  for (;;) {
    if (!feed_body(p, buf, ec)) {
      o.refused = ec == boost::beast::http::error::body_limit ? 413 : 400;
      return false;
    }
    if (p.is_done()) break;
    if (!sock.read_into(buf)) {
      if (p.need_eof()) {
        boost::beast::error_code eof_ec;
        p.put_eof(eof_ec);
        if (!eof_ec) break;
      }
      return false;  // the bytes ended mid-body
    }
  }
  o.complete = true;
  o.body = p.body;
  o.keep_alive = p.keep_alive();
  return true;
}

// upstream_exchange: a Content-Length body that no plugin filters is relayed from the
// read buffer (message_parser::pass_body), not through put(): responses to the client
// (relay_response), requests to the upstream (send_request, stream_request_body).
template <bool R>
bool pass_length_body(http::message_parser<R>& p, std::string& buf, segmented_socket& sock,
                      message_outcome& o) {
  while (!p.is_done()) {
    auto n = p.pass_body(buf.size());
    o.body.append(buf, 0, n);
    buf.erase(0, n);
    if (!p.is_done() && !sock.read_into(buf)) return false;  // the bytes ended mid-body
  }
  o.complete = true;
  o.keep_alive = p.keep_alive();
  return true;
}

}  // namespace detail

// Client side: proxy_session::read_head, validate_head, then the request body.
inline std::vector<message_outcome> read_requests(segmented_socket sock, const stream_limits& lim) {
  namespace bh = boost::beast::http;
  std::vector<message_outcome> out;
  std::string buf;
  for (;;) {
    http::request_parser p(lim.max_fields);
    p.header_limit(static_cast<std::uint32_t>(lim.max_header_size));
    p.body_limit(lim.max_body_size ? lim.max_body_size : std::numeric_limits<uint64_t>::max());
    message_outcome o;
    int refused = -1;  // -1: reading
    while (refused < 0) {
      if (!buf.empty()) {
        boost::beast::error_code ec;
        auto used = p.put(boost::asio::buffer(buf), ec);
        o.raw_head.append(buf, 0, used);
        buf.erase(0, used);
        if (!ec && p.is_header_done()) break;
        if (ec && ec != bh::error::need_more) {
          if (p.refusal() == http::parse_refusal::too_many_fields) refused = 431;
          else if (ec == bh::error::header_limit) refused = p.method.empty() ? 414 : 431;
          else if (ec == bh::error::body_limit) refused = 413;
          else refused = 400;
          break;
        }
        if (buf.size() > lim.max_header_size) {
          refused = p.method.empty() ? 414 : 431;
          break;
        }
      }
      if (!sock.read_into(buf)) {  // the client went away mid-head
        out.push_back(std::move(o));
        return out;
      }
    }
    if (refused < 0 && !p.validate_head())
      refused = p.refusal() == http::parse_refusal::too_many_fields ? 431 : 400;
    if (refused > 0) {
      o.refused = refused;
      out.push_back(std::move(o));
      return out;  // refusals close the connection
    }
    detail::record_head(p, o);
    bool whole = p.content_length && p.in_length_body()
                     ? detail::pass_length_body(p, buf, sock, o)
                     : detail::read_body(p, buf, sock, o);
    out.push_back(std::move(o));
    if (!whole || !out.back().keep_alive) return out;
  }
}

// Upstream side: upstream_exchange::read_response_head (1xx skipped), then the body.
inline std::vector<message_outcome> read_responses(segmented_socket sock, const stream_limits& lim) {
  namespace bh = boost::beast::http;
  std::vector<message_outcome> out;
  std::string buf;
  for (;;) {
    message_outcome o;
    std::optional<http::response_parser> rp;
    bool head = false;
    while (!head) {
      rp.emplace(200);
      rp->header_limit(64 * 1024);
      rp->body_limit(std::numeric_limits<uint64_t>::max());
      if (lim.head_only) rp->skip(true);
      while (!rp->is_header_done()) {
        if (!buf.empty()) {
          boost::beast::error_code ec;
          auto used = rp->put(boost::asio::buffer(buf), ec);
          buf.erase(0, used);
          if (ec && ec != bh::error::need_more) {
            o.refused = 502;
            out.push_back(std::move(o));
            return out;
          }
          if (rp->is_header_done()) break;
        }
        if (!sock.read_into(buf)) {
          out.push_back(std::move(o));
          return out;
        }
      }
      head = !(rp->status >= 100 && rp->status < 200 && rp->status != 101);
    }
    detail::record_head(*rp, o);
    if (rp->status == 101) {  // the connection becomes a tunnel
      out.push_back(std::move(o));
      return out;
    }
    bool whole = rp->in_length_body() ? detail::pass_length_body(*rp, buf, sock, o)
                                      : detail::read_body(*rp, buf, sock, o);
    out.push_back(std::move(o));
    if (!whole || !out.back().keep_alive) return out;
  }
}

}  // namespace gh::fuzz
