// A set of IPv4/IPv6 addresses and CIDR ranges with O(prefix lengths) matching.
//
// Built once per config snapshot by ip-restriction (Kong's resty.ipmatcher): entries are
// grouped by prefix length, each group a hash set of masked addresses, so a lookup costs
// one hash probe per distinct prefix length in the list, whatever the list's size.
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) match IPv4 entries.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace gh::plugins {

struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // IPv4 in the first 4 bytes
};

// Parses "1.2.3.4", "::1", "::ffff:1.2.3.4" (as IPv4), optionally in [brackets].
std::optional<IpAddress> parse_ip(std::string_view text);
// Kong's is_valid_ip_or_cidr: an address, or address/prefix with prefix in range.
bool is_valid_ip_or_cidr(std::string_view text);

class IpMatcher {
 public:
  // Adds an address or CIDR; false when `entry` is not valid.
  bool add(std::string_view entry);
  bool match(const IpAddress& ip) const;
  bool empty() const noexcept { return groups_.empty(); }

 private:
  struct Key {
    uint64_t hi = 0, lo = 0;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept { return k.hi * 0x9e3779b97f4a7c15ULL ^ k.lo; }
  };
  struct Group {
    bool v6;
    int prefix;
    std::unordered_set<Key, KeyHash> addresses;
  };
  static Key masked(const IpAddress& ip, int prefix);
  std::vector<Group> groups_;
};

}  // namespace gh::plugins
