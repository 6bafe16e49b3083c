#include "config/route_rules.h"

#include <boost/asio/ip/address.hpp>
#include <boost/regex.hpp>

#include <algorithm>
#include <charconv>

namespace gh::config::detail {
namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool valid_ip(std::string_view text) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(std::string(text), ec);
  return !ec;
}

bool valid_hostname(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  std::size_t label = 0;
  for (char c : host) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    if (!(is_alnum(c) || c == '-' || c == '_')) return false;
    if (++label > 63) return false;
  }
  return true;
}

}  // namespace

bool valid_host(std::string_view host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    return valid_ip(host.substr(1, host.size() - 2));
  return valid_ip(host) || valid_hostname(host);
}

std::string check_host_with_port(std::string_view host) {
  std::string_view name = host;
  std::string_view port;
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    if (close == std::string_view::npos) return "invalid value: " + std::string(host);
    name = host.substr(0, close + 1);
    if (close + 1 < host.size()) {
      if (host[close + 1] != ':') return "invalid value: " + std::string(host);
      port = host.substr(close + 2);
    }
  } else if (std::count(host.begin(), host.end(), ':') == 1) {
    auto colon = host.find(':');
    name = host.substr(0, colon);
    port = host.substr(colon + 1);
    if (port.empty()) return "invalid value: " + std::string(host);
  }
  if (!port.empty()) {
    int p = -1;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || ptr != port.data() + port.size() || p < 0 || p > 65535)
      return "invalid port number";
  }
  if (!valid_host(name)) return "invalid value: " + std::string(host);
  return {};
}

std::string check_route_host(std::string_view host) {
  auto stars = std::count(host.begin(), host.end(), '*');
  if (stars > 1) return "invalid wildcard: must have at most one wildcard";
  if (stars == 0) return check_host_with_port(host);
  std::string_view name = host;
  if (auto colon = host.rfind(':'); colon != std::string_view::npos && host.front() != '[')
    name = host.substr(0, colon);
  bool leftmost = name.size() > 2 && name.substr(0, 2) == "*.";
  bool rightmost = name.size() > 2 && name.substr(name.size() - 2) == ".*";
  if (!leftmost && !rightmost)
    return "invalid wildcard: must be placed at leftmost or rightmost label";
  std::string replaced(host);
  replaced.replace(replaced.find('*'), 1, "abc");
  if (!check_host_with_port(replaced).empty()) return "invalid value: " + std::string(host);
  return {};
}

std::string check_regex(std::string_view regex) {
  try {
    boost::regex re(regex.begin(), regex.end(), boost::regex::perl);
  } catch (const std::exception& e) {
    return "invalid regex: '" + std::string(regex) + "' (PCRE returned: " + e.what() + ")";
  }
  return {};
}

std::string check_route_path(std::string_view path) {
  bool regex = !path.empty() && path.front() == '~';
  if (!(path.substr(0, 1) == "/" || path.substr(0, 2) == "~/"))
    return "should start with: / (fixed path) or ~/ (regex path)";
  if (path.find("//") != std::string_view::npos) return "must not have empty segments";
  if (regex) return check_regex(path.substr(1));
  static constexpr std::string_view allowed = "-._~:/?#[]@!$&'()*+,;=%";
  for (std::size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (!is_alnum(c) && allowed.find(c) == std::string_view::npos)
      return "invalid path: '" + std::string(path) +
             "' (characters outside of the reserved list of RFC 3986 found)";
    if (c == '%' && !(i + 2 < path.size() && is_hex(path[i + 1]) && is_hex(path[i + 2])))
      return "invalid url-encoded value: '" + std::string(path.substr(i, 3)) + "'";
  }
  return {};
}

std::string upgrade_path_to_3_0(std::string_view path) {
  bool plain = std::all_of(path.begin(), path.end(), [](char c) {
    return is_alnum(c) || c == '.' || c == '-' || c == '_' || c == '~' || c == '/' || c == '%';
  });
  if (plain) return std::string(path);
  // Percent-decoding as Kong's normalize_regex does: reserved characters stay encoded
  // (upper-cased), regex metacharacters are decoded escaped, the rest decoded.
  static constexpr std::string_view reserved = "!#$%&'()*+,/:;=?@[]";
  static constexpr std::string_view meta = ".^-{}\\|";
  std::string out = "~";
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '%' && i + 2 < path.size() && is_hex(path[i + 1]) && is_hex(path[i + 2])) {
      int v = 0;
      std::from_chars(path.data() + i + 1, path.data() + i + 3, v, 16);
      char c = static_cast<char>(v);
      if (reserved.find(c) != std::string_view::npos) {
        out += '%';
        out += static_cast<char>(std::toupper(static_cast<unsigned char>(path[i + 1])));
        out += static_cast<char>(std::toupper(static_cast<unsigned char>(path[i + 2])));
      } else if (meta.find(c) != std::string_view::npos) {
        out += '\\';
        out += c;
      } else {
        out += c;
      }
      i += 2;
      continue;
    }
    out += path[i];
  }
  return out;
}

}  // namespace gh::config::detail
