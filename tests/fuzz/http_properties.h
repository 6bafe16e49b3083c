// Properties shared by the two HTTP targets: what the proxy accepted can be read only one
// way, and what it writes back out (append_fields) is read back the same.
#pragma once

#include "fuzz_check.h"
#include "http/wire.h"
#include "http_stream_model.h"

#include <boost/asio/buffer.hpp>

namespace gh::fuzz {

inline bool has_line_break(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// A field list written with append_fields and parsed again gives back the same fields:
// no value can smuggle a line of its own into the head the proxy writes.
template <bool R>
void check_fields_round_trip(const Headers& fields) {
  std::string head = R ? "GET / HTTP/1.1\r\n" : "HTTP/1.1 200 OK\r\n";
  http::append_fields(head, fields);
  head += "\r\n";
  http::message_parser<R> p(fields.size() + 1);
  p.header_limit(std::numeric_limits<std::uint32_t>::max());
  p.body_limit(std::numeric_limits<std::uint64_t>::max());
  boost::beast::error_code ec;
  p.put(boost::asio::buffer(head), ec);
  FUZZ_REQUIRE(!ec && p.is_header_done(), "a written head parses again");
  FUZZ_REQUIRE(p.headers.size() == fields.size(), "a written head keeps its field count");
  auto a = fields.begin();
  for (const auto& f : p.headers) {
    FUZZ_REQUIRE(f.name == a->name && f.value == a->value, "a written field reads back the same");
    ++a;
  }
}

// What holds for every message the proxy read whole, request or response.
inline void check_message(const message_outcome& o) {
  FUZZ_REQUIRE(!(o.content_length && o.has_transfer_encoding),
               "never both Content-Length and Transfer-Encoding");
  FUZZ_REQUIRE(o.headers.count("content-length") <= 1, "at most one Content-Length field");
  for (const auto& f : o.headers) {
    FUZZ_REQUIRE(!f.name.empty() && !has_line_break(f.name), "field names are tokens");
    FUZZ_REQUIRE(!has_line_break(f.value), "field values hold no line break");
  }
}

// A message with a body (not a HEAD, 1xx, 204 or 304 response) holds what it announced.
inline void check_body_length(const message_outcome& o) {
  if (o.content_length && o.complete)
    FUZZ_REQUIRE(o.body.size() == *o.content_length, "the body is Content-Length long");
}

// Where the bytes are refused or simply end may depend on the segmentation (a refusal can
// come before the head is complete); what was accepted may not.
inline bool same_message(const message_outcome& a, const message_outcome& b) {
  if (a.head_accepted != b.head_accepted || a.complete != b.complete) return false;
  if (!a.head_accepted) return true;
  if (a.complete && (a.body != b.body || a.keep_alive != b.keep_alive)) return false;
  if (a.method != b.method || a.target != b.target || a.status != b.status ||
      a.version != b.version || a.content_length != b.content_length ||
      a.chunked != b.chunked || a.headers.size() != b.headers.size())
    return false;
  auto f = b.headers.begin();
  for (const auto& e : a.headers) {
    if (e.name != f->name || e.value != f->value) return false;
    ++f;
  }
  return true;
}

// The same bytes read in one piece and in segments mean the same messages.
inline void check_same_reading(const std::vector<message_outcome>& whole,
                               const std::vector<message_outcome>& segmented) {
  FUZZ_REQUIRE(whole.size() == segmented.size(), "segmenting does not change the message count");
  for (std::size_t i = 0; i < whole.size(); ++i)
    FUZZ_REQUIRE(same_message(whole[i], segmented[i]), "segmenting does not change a message");
}

}  // namespace gh::fuzz
