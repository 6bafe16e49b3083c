#include "http/message_parser.h"

#include "http/wire.h"

#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstring>
#include <utility>

namespace gh::http {

namespace {

namespace bh = boost::beast::http;

constexpr std::size_t npos = std::string_view::npos;
// Longest chunk-size line (size and extensions) accepted; nginx and HAProxy bound it too.
constexpr std::size_t kMaxChunkLine = 4096;

// RFC 9110 5.6.2: tchar.
constexpr std::array<bool, 256> kToken = [] {
  std::array<bool, 256> t{};
  for (unsigned char c : std::string_view("!#$%&'*+-.^_`|~")) t[c] = true;
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = t[c - 'a' + 'A'] = true;
  return t;
}();
// RFC 9110 5.5: field-vchar, SP, HTAB and obs-text — no other control byte.
constexpr std::array<bool, 256> kValue = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) t[c] = c == '\t' || (c >= 0x20 && c != 0x7f);
  return t;
}();
// request-target: visible ASCII and obs-text; no space, no control byte.
constexpr std::array<bool, 256> kTarget = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) t[c] = c > 0x20 && c != 0x7f;
  return t;
}();

bool all_of(std::string_view s, const std::array<bool, 256>& table) noexcept {
  for (char c : s) {
    if (!table[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

// A field value's bytes: field-vchar, SP, HTAB and obs-text. Eight bytes at a time: a word
// with no byte below 0x20 and none equal to 0x7f is valid whole (bytes >= 0x80 are
// obs-text); only a word holding one is checked byte by byte (it may be a HTAB).
bool valid_value(std::string_view s) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t x;
    std::memcpy(&x, s.data() + i, 8);
    std::uint64_t below_space = (x - ones * 0x20) & ~x & highs;
    std::uint64_t y = x ^ (ones * 0x7f);
    std::uint64_t del = (y - ones) & ~y & highs;
    if ((below_space | del) != 0 && !all_of(s.substr(i, 8), kValue)) return false;
  }
  return all_of(s.substr(i), kValue);
}

bool parse_content_length(std::string_view v, uint64_t& out) {
  if (v.empty() || v.size() > 19) return false;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
  }
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && p == v.data() + v.size();
}

// "HTTP/1.x" -> 10 + x; anything else (another major version included) -> -1.
int parse_version(std::string_view v) noexcept {
  if (v.size() != 8 || v.substr(0, 7) != "HTTP/1." || v[7] < '0' || v[7] > '9') return -1;
  return 10 + (v[7] - '0');
}

// Splits off the next line of a head whose line endings were checked (every LF follows a
// CR, and the head ends with CRLF CRLF).
std::string_view next_line(std::string_view& rest) noexcept {
  const void* lf = std::memchr(rest.data(), '\n', rest.size());
  if (lf == nullptr) return std::exchange(rest, {});
  std::size_t end = static_cast<const char*>(lf) - rest.data();
  auto line = rest.substr(0, end - 1);
  rest.remove_prefix(end + 1);
  return line;
}

// A response head with its folded lines joined by one space (RFC 9112 5.2).
std::string unfold(std::string_view fields) {
  std::string out;
  out.reserve(fields.size());
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i] == '\r' && i + 2 < fields.size() && fields[i + 1] == '\n' && is_ows(fields[i + 2])) {
      while (!out.empty() && is_ows(out.back())) out.pop_back();
      out += ' ';
      for (i += 2; i + 1 < fields.size() && is_ows(fields[i + 1]); ++i) {
      }
      continue;
    }
    out += fields[i];
  }
  return out;
}

}  // namespace

bool has_obs_fold(std::string_view block) noexcept {
  for (std::size_t i = block.find('\n'); i != npos && i + 1 < block.size(); i = block.find('\n', i + 1)) {
    if (is_ows(block[i + 1])) return true;
  }
  return false;
}

template <bool R>
bool message_parser<R>::fail(error_code& ec, error_code code, parse_refusal r) {
  refuse(r);
  ec = code;
  return false;
}

template <bool R>
std::size_t message_parser<R>::put(boost::asio::const_buffer bytes, error_code& ec) {
  ec = {};
  std::string_view in(static_cast<const char*>(bytes.data()), bytes.size());
  return state_ == state::head ? put_head(in, ec) : put_body(in, ec);
}

// Waits for the blank line that ends the head, checking each line ending on the way (a
// bare LF is refused at once, not waited on). The caller presents the bytes it kept
// again, followed by more, so the scan resumes at the last incomplete line.
template <bool R>
std::size_t message_parser<R>::put_head(std::string_view in, error_code& ec) {
  std::size_t pos = head_scanned_;
  while (pos < in.size()) {
    const void* found = std::memchr(in.data() + pos, '\n', in.size() - pos);
    if (found == nullptr) break;
    std::size_t nl = static_cast<const char*>(found) - in.data();
    if (nl == 0 || in[nl - 1] != '\r') {
      fail(ec, bh::error::bad_line_ending);
      return 0;
    }
    if (nl + 1 > head_limit_) {
      ec = bh::error::header_limit;
      return 0;
    }
    if constexpr (R) {
      // The request line is read as soon as it is whole, so a head that then grows past
      // the limit is told apart (431) from a request line that does (414).
      if (pos == 0 && !start_line_done_) {
        if (!parse_start_line(in.substr(0, nl - 1), ec)) return 0;
        start_line_done_ = true;
      }
    }
    if (nl == pos + 1 && pos > 0) {  // the blank line
      std::size_t end = nl + 1;
      head_scanned_ = 0;
      if (!parse_head(in.substr(0, end), ec)) return 0;
      start_body(ec);
      return end;
    }
    if (nl + 1 == in.size()) break;  // the next line's first byte tells a fold: wait for it
    if (is_ows(in[nl + 1])) {
      // A line starting with whitespace folds the previous one (obs-fold), or hides a
      // field from a parser that trims it: refused in requests at once; in responses the
      // fold is replaced by a space (RFC 9112 5.2).
      if constexpr (R) {
        fail(ec, bh::error::bad_value);
        return 0;
      }
      folded_ = true;
    }
    pos = nl + 1;
  }
  head_scanned_ = pos;
  ec = in.size() >= head_limit_ ? bh::error::header_limit : bh::error::need_more;
  return 0;
}

template <bool R>
bool message_parser<R>::parse_head(std::string_view head, error_code& ec) {
  std::string_view rest = head;
  auto first = next_line(rest);
  if (!start_line_done_ && !parse_start_line(first, ec)) return false;
  start_line_done_ = true;
  std::string unfolded;
  if (folded_) rest = unfolded = unfold(rest);
  for (auto line = next_line(rest); !line.empty(); line = next_line(rest)) {
    if (is_ows(line.front())) return fail(ec, bh::error::bad_value);  // before the first field
    auto colon = line.find(':');
    if (colon == npos || colon == 0) return fail(ec, bh::error::bad_field);
    auto name = line.substr(0, colon);
    if (!all_of(name, kToken)) return fail(ec, bh::error::bad_field);
    auto value = trim_ows(line.substr(colon + 1));
    if (!valid_value(value)) return fail(ec, bh::error::bad_value);
    if (!on_field(name, value, ec)) return false;
  }
  return true;
}

template <bool R>
bool message_parser<R>::parse_start_line(std::string_view line, error_code& ec) {
  if constexpr (R) {
    auto sp1 = line.find(' ');
    if (sp1 == npos || sp1 == 0 || !all_of(line.substr(0, sp1), kToken))
      return fail(ec, bh::error::bad_method);
    auto after = line.substr(sp1 + 1);
    auto sp2 = after.find(' ');
    if (sp2 == npos || sp2 == 0 || !all_of(after.substr(0, sp2), kTarget))
      return fail(ec, bh::error::bad_target);
    int v = parse_version(after.substr(sp2 + 1));
    if (v < 0) return fail(ec, bh::error::bad_version);
    method.assign(line.substr(0, sp1));
    target.assign(after.substr(0, sp2));
    version = v;
  } else {
    int v = parse_version(line.substr(0, 8));
    if (v < 0 || line.size() < 12 || line[8] != ' ') return fail(ec, bh::error::bad_version);
    int code = 0;
    for (char c : line.substr(9, 3)) {
      if (c < '0' || c > '9') return fail(ec, bh::error::bad_status);
      code = code * 10 + (c - '0');
    }
    // nginx refuses a status below 100 too ("020" would be relayed as a two-digit
    // status line). Found by tests/fuzz.
    if (code < 100) return fail(ec, bh::error::bad_status);
    auto reason = line.substr(12);
    if (!reason.empty() && (reason.front() != ' ' || !all_of(reason, kValue)))
      return fail(ec, bh::error::bad_reason);
    status = code;
    version = v;
  }
  return true;
}

template <bool R>
bool message_parser<R>::on_field(std::string_view name, std::string_view value, error_code& ec) {
  if (headers.size() >= max_fields_) return fail(ec, bh::error::header_limit, parse_refusal::too_many_fields);
  switch (name.size()) {
    case 14:
      if (iequals(name, "content-length")) {
        ++content_length_fields_;
        uint64_t len = 0;
        // Transfer-Encoding and Content-Length together are refused in either order:
        // a response read both ways would leave bytes in a pooled upstream connection
        // to answer the next client (RFC 9112 6.3); nginx refuses it too.
        if (!parse_content_length(value, len) || content_length_fields_ > 1 || has_transfer_encoding)
          return fail(ec, bh::error::bad_content_length);
        content_length = len;
      }
      break;
    case 17:
      if (iequals(name, "transfer-encoding")) {
        if (content_length) return fail(ec, bh::error::bad_transfer_encoding);
        if constexpr (R) {
          // Requests: only one lone "chunked", and only in HTTP/1.1 (a chunked 1.0
          // request is a classic desync); anything else could be read two ways.
          if (has_transfer_encoding || version < 11 || !iequals(value, "chunked"))
            return fail(ec, bh::error::bad_transfer_encoding);
          chunked_ = true;
        } else {
          // Responses: chunked when it is the final coding, else read to the end.
          std::string_view last;
          for_each_list_item(value, [&](std::string_view t) { last = t; });
          chunked_ = iequals(last, "chunked");
        }
        has_transfer_encoding = true;
      }
      break;
    case 10:
      if (iequals(name, "connection")) {
        for_each_list_item(value, [&](std::string_view t) {
          if (iequals(t, "close")) connection_close = true;
          else if (iequals(t, "keep-alive")) connection_keep_alive = true;
          else if (iequals(t, "upgrade")) upgrade_requested = true;
        });
      }
      break;
    case 7:
      if (iequals(name, "upgrade")) has_upgrade_header_ = true;
      break;
  }
  headers.add(name, value);
  return true;
}

template <bool R>
void message_parser<R>::start_body(error_code& ec) {
  bool no_body;
  if constexpr (R) {
    no_body = !chunked_ && content_length.value_or(0) == 0;
  } else {
    no_body = skip_body_ || status_has_no_body(status) ||
              (!chunked_ && content_length == 0);
  }
  if (no_body) {
    state_ = state::done;
  } else if (chunked_) {
    state_ = state::chunk_size;
  } else if (content_length) {
    state_ = state::length;
    remaining_ = *content_length;
    if (remaining_ > body_limit_) ec = bh::error::body_limit;
  } else {
    state_ = state::until_eof;  // a response framed by the end of the connection
    until_eof_ = true;
  }
}

template <bool R>
bool message_parser<R>::take_body(std::string_view data, error_code& ec) {
  if (data.size() > body_limit_ - body_read_) {
    ec = bh::error::body_limit;
    return false;
  }
  body_read_ += data.size();
  body.append(data);
  return true;
}

template <bool R>
std::size_t message_parser<R>::pass_body(std::size_t avail) noexcept {
  if (state_ != state::length) return 0;
  // Within the body limit: start_body refused a Content-Length above it.
  auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, avail));
  body_read_ += n;
  remaining_ -= n;
  if (remaining_ == 0) state_ = state::done;
  return n;
}

template <bool R>
std::size_t message_parser<R>::put_body(std::string_view in, error_code& ec) {
  std::size_t used = 0;
  // The next CRLF-terminated line from `used`: its text, or nullopt (need_more, or a
  // refusal in ec) when it is not whole or not well ended.
  auto line = [&](std::size_t max) -> std::optional<std::string_view> {
    auto nl = in.find('\n', used);
    if (nl == npos) {
      ec = in.size() - used > max ? bh::error::bad_chunk : bh::error::need_more;
      return std::nullopt;
    }
    if (nl == used || in[nl - 1] != '\r') {
      ec = bh::error::bad_line_ending;
      return std::nullopt;
    }
    auto text = in.substr(used, nl - 1 - used);
    used = nl + 1;
    return text;
  };
  while (!ec) {
    std::size_t avail = in.size() - used;
    switch (state_) {
      case state::head:
      case state::done:
        return used;
      case state::until_eof:
        if (avail == 0 || !take_body(in.substr(used), ec)) return used;
        return in.size();
      case state::length:
      case state::chunk_data: {
        if (avail == 0) return used;
        auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, avail));
        if (!take_body(in.substr(used, n), ec)) return used;
        used += n;
        remaining_ -= n;
        if (remaining_ == 0) state_ = state_ == state::length ? state::done : state::chunk_crlf;
        break;
      }
      case state::chunk_crlf:
        if (avail < 2) {
          if (avail == 0) return used;
          ec = in[used] == '\r' ? bh::error::need_more : bh::error::bad_chunk;
          return used;
        }
        if (in[used] != '\r' || in[used + 1] != '\n') {
          ec = bh::error::bad_chunk;
          return used;
        }
        used += 2;
        state_ = state::chunk_size;
        break;
      case state::chunk_size: {
        if (avail == 0) return used;
        auto text = line(kMaxChunkLine);
        if (!text) return used;
        // chunk-size [ BWS ";" chunk-ext ] — hex digits only: no sign, no 0x, no overflow.
        std::size_t digits = 0;
        while (digits < text->size() && std::isxdigit(static_cast<unsigned char>((*text)[digits]))) ++digits;
        std::uint64_t size = 0;
        auto [p, perr] = std::from_chars(text->data(), text->data() + digits, size, 16);
        auto ext = trim_ows(text->substr(digits));
        if (digits == 0 || digits > 16 || perr != std::errc() || (!ext.empty() && ext.front() != ';') ||
            !all_of(ext, kValue)) {
          ec = bh::error::bad_chunk;
          return used;
        }
        if (size > body_limit_ - body_read_) {
          ec = bh::error::body_limit;
          return used;
        }
        remaining_ = size;
        state_ = size == 0 ? state::trailers : state::chunk_data;
        break;
      }
      case state::trailers: {
        if (avail == 0) return used;
        auto text = line(head_limit_);
        if (!text) return used;
        if (text->empty()) {
          state_ = state::done;
          return used;
        }
        // Trailer fields are checked as head fields are, bounded by the head limit, and
        // dropped: the proxy re-frames the body and sends none on.
        trailer_bytes_ += text->size() + 2;
        auto colon = text->find(':');
        if (trailer_bytes_ > head_limit_ || colon == npos || colon == 0 ||
            !all_of(text->substr(0, colon), kToken) || !all_of(text->substr(colon + 1), kValue)) {
          ec = bh::error::bad_field;
          return used;
        }
        break;
      }
    }
  }
  return used;
}

template <bool R>
void message_parser<R>::put_eof(error_code& ec) {
  ec = {};
  if (state_ == state::until_eof) state_ = state::done;
  if (state_ != state::done) ec = bh::error::partial_message;
}

template <bool R>
bool message_parser<R>::validate_head() {
  // Transfer-Encoding with Content-Length, and a chunked HTTP/1.0 request, were refused
  // at their field (on_field): a refusal recorded there ends here too.
  if (refusal_ != parse_refusal::none) return false;
  if constexpr (R) {
    // A 1.1 request without Host, or any request with two, is refused.
    auto hosts = headers.count("host");
    if ((version >= 11 && hosts != 1) || hosts > 1) {
      refuse(parse_refusal::bad_request);
      return false;
    }
  }
  upgrade_requested = upgrade_requested && has_upgrade_header_;
  return true;
}

template class message_parser<true>;
template class message_parser<false>;

}  // namespace gh::http
