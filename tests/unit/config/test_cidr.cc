// CIDR sets for trusted_ips and ip-restriction.
#include "config/cidr.h"

#include <gtest/gtest.h>

namespace gh::config {
namespace {

boost::asio::ip::address ip(const char* text) { return boost::asio::ip::make_address(text); }

TEST(CidrSet, MatchesIpv4BlocksAndSingleAddresses) {
  auto set = cidr_set::parse({"10.0.0.0/8", "192.168.1.7", "172.16.0.0/12"});
  ASSERT_TRUE(set);
  EXPECT_TRUE(set->contains(ip("10.255.1.2")));
  EXPECT_TRUE(set->contains(ip("192.168.1.7")));
  EXPECT_FALSE(set->contains(ip("192.168.1.8")));
  EXPECT_TRUE(set->contains(ip("172.31.255.255")));
  EXPECT_FALSE(set->contains(ip("172.32.0.0")));
  EXPECT_FALSE(set->contains(ip("11.0.0.0")));
}

TEST(CidrSet, MatchesIpv6BlocksAndMappedIpv4) {
  auto set = cidr_set::parse({"2001:db8::/32", "::1", "127.0.0.0/8"});
  ASSERT_TRUE(set);
  EXPECT_TRUE(set->contains(ip("2001:db8:ffff::1")));
  EXPECT_FALSE(set->contains(ip("2001:db9::1")));
  EXPECT_TRUE(set->contains(ip("::1")));
  EXPECT_TRUE(set->contains(ip("::ffff:127.0.0.1")));
  EXPECT_FALSE(set->contains(ip("::2")));
}

TEST(CidrSet, ZeroPrefixMatchesEverythingOfItsFamily) {
  auto set = cidr_set::parse({"0.0.0.0/0"});
  ASSERT_TRUE(set);
  EXPECT_TRUE(set->contains(ip("1.2.3.4")));
  EXPECT_TRUE(set->contains(ip("255.255.255.255")));
  EXPECT_FALSE(set->contains(ip("::1")));
}

TEST(CidrSet, OverlappingAndAdjacentBlocksMerge) {
  auto set = cidr_set::parse({"10.0.0.0/25", "10.0.0.128/25", "10.0.0.64/26", "10.0.2.0/24"});
  ASSERT_TRUE(set);
  EXPECT_TRUE(set->contains(ip("10.0.0.200")));
  EXPECT_FALSE(set->contains(ip("10.0.1.0")));
  EXPECT_TRUE(set->contains(ip("10.0.2.9")));
}

TEST(CidrSet, HostBitsAreMaskedOff) {
  auto set = cidr_set::parse({"10.1.2.3/16"});
  ASSERT_TRUE(set);
  EXPECT_TRUE(set->contains(ip("10.1.200.1")));
}

TEST(CidrSet, InvalidEntriesAreNamed) {
  for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0/8", "abc", "1.2.3.4/-1", ""}) {
    std::string error;
    EXPECT_FALSE(cidr_set::parse({bad}, &error)) << bad;
    EXPECT_EQ(error, std::string("invalid ip or cidr range: '") + bad + "'");
  }
  EXPECT_TRUE(is_ip_or_cidr("fe80::/10"));
}

TEST(CidrSet, EmptySetContainsNothing) {
  cidr_set set;
  EXPECT_TRUE(set.empty());
  EXPECT_FALSE(set.contains(ip("1.1.1.1")));
}

}  // namespace
}  // namespace gh::config
