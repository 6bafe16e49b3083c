#include "router/uri.h"

#include <algorithm>
#include <cstring>

namespace gh::router {
namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char upper_hex(char c) noexcept { return (c >= 'a' && c <= 'f') ? char(c - 'a' + 'A') : c; }

bool is_reserved(unsigned char c) noexcept {
  static constexpr std::string_view reserved = "!*'();:@&=+$,/?%#[]";
  return reserved.find(char(c)) != std::string_view::npos;
}

// Characters escape_path leaves alone (Kong's ESCAPE_PATTERN negated, case-insensitive).
bool is_escape_safe(unsigned char c) noexcept {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  static constexpr std::string_view safe = "!#$&'()*+,/:;=?@[]\\-_.~%";
  // Kong's class is [...[\\]...]: '[', '\' and ']' are all members.
  return safe.find(char(c)) != std::string_view::npos;
}

void percent_decode_unreserved(std::string_view in, std::string& out) {
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%' && i + 2 < in.size()) {
      int hi = hex_value(in[i + 1]);
      int lo = hex_value(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        auto decoded = static_cast<unsigned char>(hi * 16 + lo);
        if (is_reserved(decoded)) {
          out.push_back('%');
          out.push_back(upper_hex(in[i + 1]));
          out.push_back(upper_hex(in[i + 2]));
        } else {
          out.push_back(static_cast<char>(decoded));
        }
        i += 2;
        continue;
      }
    }
    out.push_back(c);
  }
}

std::string_view sanitize_uri_postfix(std::string_view postfix) noexcept {
  if (postfix == "." || postfix == "..") return {};
  if (postfix.starts_with("./")) return postfix.substr(2);
  if (postfix.starts_with("../")) return postfix.substr(3);
  return postfix;
}

std::string compose_v0(bool strip_path, std::string_view base, std::string_view postfix,
                       std::string_view req_uri) {
  std::string out;
  out.reserve(base.size() + req_uri.size() + 1);
  if (base.ends_with('/')) {
    if (!strip_path) {
      // Keep the incoming path, prefixed by the upstream path without a double slash.
      out.append(base).append(req_uri.empty() ? req_uri : req_uri.substr(1));
      return out;
    }
    if (postfix.empty()) {
      if (base == "/") return "/";
      if (req_uri.ends_with('/')) return std::string(base);
      return std::string(base.substr(0, base.size() - 1));
    }
    if (postfix.front() == '/') {
      out.append(base.substr(0, base.size() - 1)).append(postfix);
      return out;
    }
    out.append(base).append(postfix);
    return out;
  }
  if (strip_path) {
    if (postfix.empty()) {
      out.append(base);
      if (req_uri.size() > 1 && req_uri.ends_with('/')) out.push_back('/');
      return out;
    }
    out.append(base);
    if (postfix.front() != '/') out.push_back('/');
    out.append(postfix);
    return out;
  }
  if (req_uri == "/") return std::string(base);
  out.append(base).append(req_uri);
  return out;
}

bool has_protocol(const config::Route& route, std::string_view p) {
  return std::find(route.protocols.begin(), route.protocols.end(), p) != route.protocols.end();
}

}  // namespace

void normalize_path_into(std::string_view path, std::string& out) {
  out.clear();
  // Fast path (most requests): nothing to decode, no dot, no "//" -> copy as is.
  bool clean = true;
  for (std::size_t i = 0; i < path.size() && clean; ++i) {
    char c = path[i];
    clean = c != '%' && c != '.' && !(c == '/' && i + 1 < path.size() && path[i + 1] == '/');
  }
  if (clean) {
    out.append(path);
    return;
  }
  if (path.find('%') != std::string_view::npos) {
    percent_decode_unreserved(path, out);
  } else {
    out.assign(path);
  }
  if (out.find('.') == std::string::npos && out.find("//") == std::string::npos) return;

  // RFC 3986 remove_dot_segments plus slash merging, in place: the write cursor never
  // passes the read cursor. Every output segment but the first starts with '/', so
  // dropping the last segment means cutting at the last '/'.
  char* buf = out.data();
  const std::size_t n = out.size();
  std::size_t r = 0;
  std::size_t w = 0;
  auto pop_segment = [&] {
    std::size_t p = w;
    while (p > 0 && buf[p - 1] != '/') --p;
    w = p > 0 ? p - 1 : 0;
  };
  while (r < n) {
    std::string_view u(buf + r, n - r);
    if (u == "/.") {
      buf[w++] = '/';
      break;
    }
    if (u == "/..") {
      pop_segment();
      buf[w++] = '/';
      break;
    }
    if (u == "." || u == "..") break;
    if (u.starts_with("../")) {
      r += 3;
    } else if (u.starts_with("./")) {
      r += 2;
    } else if (u.starts_with("/./")) {
      r += 2;
    } else if (u.starts_with("/../")) {
      r += 3;
      pop_segment();
    } else if (u.starts_with("//")) {
      r += 1;
    } else {
      std::size_t next = u.find('/', 1);
      std::size_t len = next == std::string_view::npos ? u.size() : next;
      std::memmove(buf + w, buf + r, len);
      w += len;
      r += len;
    }
  }
  out.resize(w);
}

std::string normalize_path(std::string_view path) {
  std::string out;
  normalize_path_into(path, out);
  return out;
}

std::string escape_path(std::string_view path) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(path.size());
  for (char ch : path) {
    auto c = static_cast<unsigned char>(ch);
    if (is_escape_safe(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 0xF]);
    }
  }
  return out;
}

std::string upstream_path(const config::Route& route, const config::Service* service,
                          std::string_view request_path, std::string_view matched_path) {
  // Kong: prefix = strip_path and matched_path or "/"; postfix = path after the prefix.
  std::string_view prefix =
      (route.strip_path && !matched_path.empty()) ? matched_path : std::string_view("/");
  std::string_view rest =
      request_path.substr(std::min(prefix.size(), request_path.size()));
  std::string_view postfix = sanitize_uri_postfix(rest);
  std::string_view base =
      (service != nullptr && !service->path.empty()) ? std::string_view(service->path) : "/";
  return escape_path(compose_v0(route.strip_path, base, postfix, request_path));
}

std::string upstream_host_header(const config::Route& route, const config::Service& service,
                                 std::string_view client_host_header) {
  if (route.preserve_host && !client_host_header.empty()) {
    return std::string(client_host_header);
  }
  const std::string& scheme = service.protocol;
  const int port = service.port;
  bool default_port = (port == 80 && (scheme == "http" || scheme == "grpc")) ||
                      (port == 443 && (scheme == "https" || scheme == "grpcs"));
  std::string out = service.host;
  if (!default_port) {
    out.push_back(':');
    out.append(std::to_string(port));
  }
  return out;
}

protocol_verdict check_route_protocol(const config::Route& route,
                                      std::string_view forwarded_proto,
                                      std::string_view content_type, bool http2) {
  if (has_protocol(route, "https") && !has_protocol(route, "http") &&
      forwarded_proto != "https") {
    return protocol_verdict::https_required;
  }
  bool grpc = has_protocol(route, "grpc");
  if (grpc || has_protocol(route, "grpcs")) {
    if (!content_type.starts_with("application/grpc")) return protocol_verdict::grpc_required;
    if (!http2) return protocol_verdict::http2_required;
    if (!grpc && forwarded_proto != "https") return protocol_verdict::grpcs_required;
  }
  return protocol_verdict::ok;
}

}  // namespace gh::router
