#include "http/wire.h"

#include <charconv>
#include <cstring>

namespace gh::http {

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
  }
}

std::string_view kong_default_message(int status) noexcept {
  switch (status) {
    case 400: return "Bad request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not found";
    case 405: return "Method not allowed";
    case 408: return "Request timeout";
    case 411: return "Length required";
    case 412: return "Precondition failed";
    case 413: return "Payload too large";
    case 414: return "URI too long";
    case 417: return "Expectation failed";
    case 431: return "Request header or cookie too large";
    case 500: return "An unexpected error occurred";
    case 501: return "Not implemented";
    case 502: return "An invalid response was received from the upstream server";
    case 503: return "The upstream server is currently unavailable";
    case 504: return "The upstream server is timing out";
    default: return "The request could not be processed";
  }
}

bool is_hop_by_hop(std::string_view n) noexcept {
  // Length first: almost every field is rejected without comparing a byte.
  switch (n.size()) {
    case 2: return iequals(n, "te");
    case 7: return iequals(n, "trailer") || iequals(n, "upgrade");
    case 10: return iequals(n, "connection") || iequals(n, "keep-alive");
    case 16: return iequals(n, "proxy-connection");
    case 17: return iequals(n, "transfer-encoding");
    default: return false;
  }
}

namespace {

// Tokens of Connection other than close/keep-alive/upgrade: fields to drop too.
void collect_connection_tokens(std::string_view v, std::vector<std::string>& named) {
  for_each_list_item(v, [&](std::string_view tok) {
    if (!iequals(tok, "close") && !iequals(tok, "keep-alive") && !iequals(tok, "upgrade"))
      named.emplace_back(tok);
  });
}

}  // namespace

void strip_hop_by_hop(Headers& headers) {
  std::vector<std::string> named;
  bool any = false;
  for (const auto& f : headers) {
    if (!is_hop_by_hop(f.name)) continue;
    any = true;
    if (iequals(f.name, "connection")) collect_connection_tokens(f.value, named);
  }
  if (!any) return;
  headers.remove_if([&](const HeaderField& f) {
    if (is_hop_by_hop(f.name)) return true;
    for (const auto& n : named) {
      if (iequals(f.name, n)) return true;
    }
    return false;
  });
}

void append_status_line(std::string& out, int status, int version) {
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  char buf[8];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, status);
  out.append(buf, p);
  out += ' ';
  out += reason_phrase(status);
  out += "\r\n";
}

void append_fields(std::string& out, const Headers& headers) {
  for (const auto& f : headers) append_field(out, f);
}

void append_chunk_size(std::string& out, std::size_t size) {
  char buf[20];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, size, 16);
  out.append(buf, p);
  out += "\r\n";
}

}  // namespace gh::http
