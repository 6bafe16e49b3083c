#include "plugins/ip-restriction/ip_matcher.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <string>

namespace gh::plugins {

std::optional<IpAddress> parse_ip(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() > 64) return std::nullopt;
  std::string s(text);
  IpAddress ip;
  if (s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), ip.bytes.data()) != 1) return std::nullopt;
    return ip;
  }
  if (inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) != 1) return std::nullopt;
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(ip.bytes.data(), mapped, 12) == 0) {
    std::memmove(ip.bytes.data(), ip.bytes.data() + 12, 4);
    std::memset(ip.bytes.data() + 4, 0, 12);
    return ip;
  }
  ip.v6 = true;
  return ip;
}

namespace {

// Parses "addr" (full-length prefix) or "addr/prefix"; nullopt when invalid.
std::optional<std::pair<IpAddress, int>> parse_entry(std::string_view text) {
  auto slash = text.find('/');
  auto ip = parse_ip(text.substr(0, slash));
  if (!ip) return std::nullopt;
  int max = ip->v6 ? 128 : 32;
  // An IPv4-mapped IPv6 CIDR keeps its IPv6 prefix length in Kong; map it to IPv4.
  bool mapped = !ip->v6 && text.substr(0, slash).find(':') != std::string_view::npos;
  if (slash == std::string_view::npos) return std::make_pair(*ip, max);
  std::string_view p = text.substr(slash + 1);
  int prefix = -1;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
  if (p.empty() || ec != std::errc() || end != p.data() + p.size()) return std::nullopt;
  if (mapped) {
    if (prefix < 96 || prefix > 128) return std::nullopt;
    prefix -= 96;
  }
  if (prefix < 0 || prefix > max) return std::nullopt;
  return std::make_pair(*ip, prefix);
}

}  // namespace

bool is_valid_ip_or_cidr(std::string_view text) { return parse_entry(text).has_value(); }

IpMatcher::Key IpMatcher::masked(const IpAddress& ip, int prefix) {
  uint8_t b[16] = {};
  int len = ip.v6 ? 16 : 4;
  for (int i = 0; i < len; ++i) {
    int bits = prefix - i * 8;
    uint8_t mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : static_cast<uint8_t>(0xff << (8 - bits));
    b[i] = ip.bytes[i] & mask;
  }
  Key k;
  std::memcpy(&k.hi, b, 8);
  std::memcpy(&k.lo, b + 8, 8);
  return k;
}

bool IpMatcher::add(std::string_view entry) {
  auto parsed = parse_entry(entry);
  if (!parsed) return false;
  auto& [ip, prefix] = *parsed;
  for (auto& g : groups_) {
    if (g.v6 == ip.v6 && g.prefix == prefix) {
      g.addresses.insert(masked(ip, prefix));
      return true;
    }
  }
  groups_.push_back({ip.v6, prefix, {masked(ip, prefix)}});
  return true;
}

bool IpMatcher::match(const IpAddress& ip) const {
  for (const auto& g : groups_) {
    if (g.v6 == ip.v6 && g.addresses.count(masked(ip, g.prefix))) return true;
  }
  return false;
}

}  // namespace gh::plugins
