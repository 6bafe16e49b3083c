// Serialising HTTP/1.1 heads and framing bodies for the proxy.
//
// The proxy writes heads itself into a reusable string instead of going through a
// message object: one pass, no per-field allocation, and full control over which
// fields pass (hop-by-hop removal) and which are added.
#pragma once

#include "core/headers.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace gh::http {

// Calls f on each element of a comma-separated field value (Connection,
// Transfer-Encoding), trimmed; empty elements are skipped (RFC 9110 5.6.1).
template <class F>
void for_each_list_item(std::string_view v, F&& f) {
  while (!v.empty()) {
    auto comma = v.find(',');
    auto item = trim_ows(v.substr(0, comma));
    if (!item.empty()) f(item);
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
}

std::string_view reason_phrase(int status) noexcept;

// Kong's default message for a status the gateway itself produces (kong/tools/http.lua
// and Kong's error handler), e.g. 502 "An invalid response was received from the
// upstream server".
std::string_view kong_default_message(int status) noexcept;

// True for fields that describe one connection only (RFC 9110 7.6.1) and never pass a
// proxy: Connection, Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding,
// Upgrade. Fields named by Connection are dropped separately.
bool is_hop_by_hop(std::string_view name) noexcept;

// Removes hop-by-hop fields and those listed in Connection.
void strip_hop_by_hop(Headers& headers);

void append_status_line(std::string& out, int status, int version = 11);
void append_field(std::string& out, std::string_view name, std::string_view value);
void append_fields(std::string& out, const Headers& headers);
// "<hex size>\r\n" for one chunk of chunked encoding.
void append_chunk_size(std::string& out, std::size_t size);

// Statuses whose responses never have a body.
inline bool status_has_no_body(int status) noexcept {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

}  // namespace gh::http
