// Serialising HTTP/1.1 heads and framing bodies for the proxy.
//
// The proxy writes heads itself into a reusable string instead of going through a
// message object: one pass, no per-field allocation, and full control over which
// fields pass (hop-by-hop removal) and which are added.
#pragma once

#include "core/headers.h"

#include <cstdint>
#include <cstring>
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
// "name: value\r\n". Inline: the proxy writes ~10 fields per head, most with constant
// names whose copies then compile to a few moves, and the call itself was a fifth of
// the cost. One resize and three copies instead of four appends with their checks.
inline void append_field(std::string& out, std::string_view name, std::string_view value) {
  std::size_t at = out.size();
  out.resize(at + name.size() + value.size() + 4);
  char* p = out.data() + at;
  std::memcpy(p, name.data(), name.size());
  p += name.size();
  *p++ = ':';
  *p++ = ' ';
  std::memcpy(p, value.data(), value.size());
  p += value.size();
  *p++ = '\r';
  *p = '\n';
}
// The same for a stored field. Text kept inline in the field (names up to 32 bytes,
// values up to 48: nearly all) is copied as whole fixed-size buffers, a few vector moves
// instead of two memcpy calls, into room made beforehand; the string is then cut back.
inline void append_field(std::string& out, const HeaderField& f) {
  constexpr std::size_t name_room = decltype(f.name)::inline_size;
  constexpr std::size_t value_room = decltype(f.value)::inline_size;
  if (!f.name.is_inline() || !f.value.is_inline()) [[unlikely]]
    return append_field(out, f.name.view(), f.value.view());
  std::size_t at = out.size();
  out.resize(at + name_room + value_room + 4);
  char* p = out.data() + at;
  std::memcpy(p, f.name.data(), name_room);
  p += f.name.size();
  *p++ = ':';
  *p++ = ' ';
  std::memcpy(p, f.value.data(), value_room);
  p += f.value.size();
  *p++ = '\r';
  *p++ = '\n';
  out.resize(std::size_t(p - out.data()));
}
void append_fields(std::string& out, const Headers& headers);
// "<hex size>\r\n" for one chunk of chunked encoding.
void append_chunk_size(std::string& out, std::size_t size);

// Statuses whose responses never have a body.
inline bool status_has_no_body(int status) noexcept {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

}  // namespace gh::http
