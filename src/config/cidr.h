// Sets of IP addresses and CIDR blocks (IPv4 and IPv6), for trusted_ips and ip-restriction.
//
// Built once at config time from strings ("10.0.0.0/8", "192.168.1.7", "2001:db8::/32");
// contains() is then a binary search over merged ranges with no allocation, so the proxy
// may call it per request from any worker (the set is immutable after building).
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) match the IPv4 entries.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gh::config {

class cidr_set {
 public:
  // Adds one address or CIDR block. On failure returns false and, if given, sets `error`
  // (e.g. "invalid ip or cidr range: '10.0.0.0/33'").
  bool add(std::string_view text, std::string* error = nullptr);
  // Builds a set from a list; std::nullopt and `error` naming the first bad entry.
  static std::optional<cidr_set> parse(const std::vector<std::string>& entries,
                                       std::string* error = nullptr);

  bool contains(const boost::asio::ip::address& address) const noexcept;
  bool contains(const boost::asio::ip::address_v4& address) const noexcept;
  bool contains(const boost::asio::ip::address_v6& address) const noexcept;
  bool empty() const noexcept { return v4_.empty() && v6_.empty(); }

 private:
  using u128 = unsigned __int128;
  struct v4_range {
    std::uint32_t low, high;
  };
  struct v6_range {
    u128 low, high;
  };
  std::vector<v4_range> v4_;  // sorted, merged
  std::vector<v6_range> v6_;  // sorted, merged
};

// True for a valid "address" or "address/prefix" (as Kong's ip_or_cidr type).
bool is_ip_or_cidr(std::string_view text);

}  // namespace gh::config
