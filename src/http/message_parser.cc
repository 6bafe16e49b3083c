#include "http/message_parser.h"

#include <charconv>

namespace gh::http {

namespace {

// Splits a comma-separated header value into trimmed tokens and calls f on each.
template <class F>
void for_each_token(std::string_view v, F&& f) {
  while (!v.empty()) {
    auto comma = v.find(',');
    auto tok = v.substr(0, comma);
    while (!tok.empty() && (tok.front() == ' ' || tok.front() == '\t')) tok.remove_prefix(1);
    while (!tok.empty() && (tok.back() == ' ' || tok.back() == '\t')) tok.remove_suffix(1);
    if (!tok.empty()) f(tok);
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
}

bool parse_content_length(std::string_view v, uint64_t& out) {
  if (v.empty() || v.size() > 19) return false;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
  }
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && p == v.data() + v.size();
}

}  // namespace

bool has_obs_fold(std::string_view block) noexcept {
  for (std::size_t i = block.find('\n'); i != std::string_view::npos && i + 1 < block.size();
       i = block.find('\n', i + 1)) {
    char next = block[i + 1];
    if (next == ' ' || next == '\t') return true;
  }
  return false;
}

template <bool R>
void message_parser<R>::on_request_impl(boost::beast::http::verb, string_view method_str,
                                        string_view target_str, int version_num,
                                        error_code& ec) {
  method.assign(method_str.data(), method_str.size());
  target.assign(target_str.data(), target_str.size());
  version = version_num;
}

template <bool R>
void message_parser<R>::on_response_impl(int code, string_view, int version_num, error_code& ec) {
  // Beast takes any three digits; "020" would be relayed as a two-digit status line.
  // nginx refuses a status below 100 too. Found by tests/fuzz.
  if (code < 100) {
    refuse(parse_refusal::bad_request);
    ec = boost::beast::http::error::bad_status;
    return;
  }
  status = code;
  version = version_num;
}

template <bool R>
void message_parser<R>::on_field_impl(boost::beast::http::field f, string_view name,
                                      string_view value, error_code& ec) {
  using boost::beast::http::field;
  if (headers.size() >= max_fields_) {
    refuse(parse_refusal::too_many_fields);
    ec = boost::beast::http::error::header_limit;
    return;
  }
  std::string_view n(name.data(), name.size());
  std::string_view v(value.data(), value.size());
  // Beast already recognised the name: switch on its enum, not on strings.
  if (f == field::content_length) {
    ++content_length_fields_;
    uint64_t len = 0;
    // Transfer-Encoding then Content-Length: Beast refuses it only when the coding is
    // chunked, and would frame "gzip" + Content-Length by the length, where RFC 9112 6.3
    // reads a response to the end of the connection: the rest would stay in a pooled
    // upstream connection and answer the next client. Refused both ways, as nginx does.
    if (!parse_content_length(v, len) || content_length_fields_ > 1 || has_transfer_encoding) {
      refuse(parse_refusal::bad_request);
      ec = boost::beast::http::error::bad_content_length;
      return;
    }
    content_length = len;
  } else if (f == field::transfer_encoding) {
    // Requests: only a lone "chunked" is accepted (anything else could be read two ways).
    if (R && (has_transfer_encoding || !iequals(v, "chunked"))) bad_transfer_encoding_ = true;
    has_transfer_encoding = true;
  } else if (f == field::connection) {
    for_each_token(v, [&](std::string_view t) {
      if (iequals(t, "close")) connection_close = true;
      else if (iequals(t, "keep-alive")) connection_keep_alive = true;
      else if (iequals(t, "upgrade")) upgrade_requested = true;
    });
  } else if (f == field::upgrade) {
    has_upgrade_header_ = true;
  }
  headers.add(n, v);
}

template <bool R>
bool message_parser<R>::validate_head() {
  if (refusal_ != parse_refusal::none) return false;
  if (bad_transfer_encoding_ || (has_transfer_encoding && content_length)) {
    refuse(parse_refusal::bad_request);
    return false;
  }
  if constexpr (R) {
    // A chunked HTTP/1.0 request is a classic desync; so is a 1.1 request without Host.
    if (has_transfer_encoding && version < 11) {
      refuse(parse_refusal::bad_request);
      return false;
    }
    auto hosts = headers.count("host");
    if ((version >= 11 && hosts != 1) || hosts > 1) {
      refuse(parse_refusal::bad_request);
      return false;
    }
  }
  upgrade_requested = upgrade_requested && has_upgrade_header_;
  return true;
}

template <bool R>
std::size_t message_parser<R>::on_body_impl(string_view data, error_code&) {
  body.append(data.data(), data.size());
  return data.size();
}

template <bool R>
std::size_t message_parser<R>::on_chunk_body_impl(std::uint64_t, string_view data, error_code&) {
  body.append(data.data(), data.size());
  return data.size();
}

template class message_parser<true>;
template class message_parser<false>;

}  // namespace gh::http
