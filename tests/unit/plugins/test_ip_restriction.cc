#include "plugins/ip-restriction/ip_matcher.h"
#include "plugins/ip-restriction/ip_restriction.h"
#include "tests/unit/plugins/plugin_test_util.h"

using namespace gh;
using namespace gh::plugins::test;
using gh::plugin::Context;
using gh::plugin::Flow;

namespace {

class IpRestriction : public ::testing::Test {
 protected:
  Flow run(std::string_view config, std::string ip) {
    auto p = build(*factory, config);
    request(ctx, "GET", "/");
    ctx.req.client_ip = std::move(ip);
    return p->access(ctx);
  }
  std::unique_ptr<plugin::Factory> factory = plugins::make_ip_restriction_factory();
  Context ctx;
};

}  // namespace

TEST_F(IpRestriction, FactoryHasKongNameAndPriority) {
  EXPECT_EQ(factory->name(), "ip-restriction");
  EXPECT_EQ(factory->priority(), 990);
}

TEST_F(IpRestriction, InvalidEntryIsRefusedWithKongMessage) {
  auto errors = validate(*factory, R"({"allow":["10.0.0.0/33"]})");
  EXPECT_EQ(error_for(errors, "allow"), "invalid ip or cidr range: '10.0.0.0/33'");
  errors = validate(*factory, R"({"deny":["example.com"]})");
  EXPECT_EQ(error_for(errors, "deny"), "invalid ip or cidr range: 'example.com'");
}

TEST_F(IpRestriction, NeitherAllowNorDenyIsRefused) {
  EXPECT_EQ(error_for(validate(*factory, "{}"), "@entity"),
            "at least one of these fields must be non-empty: 'config.allow', 'config.deny'");
}

TEST_F(IpRestriction, DeniedAddressAnswers403WithDefaultMessageNamingIp) {
  EXPECT_EQ(run(R"({"deny":["1.2.3.4"]})", "1.2.3.4"), Flow::respond);
  EXPECT_EQ(ctx.exit_status(), 403);
  EXPECT_EQ(exit_message(ctx), "IP address not allowed: 1.2.3.4");
}

TEST_F(IpRestriction, AddressOutsideDenyListPasses) {
  EXPECT_EQ(run(R"({"deny":["1.2.3.4"]})", "1.2.3.5"), Flow::next);
}

TEST_F(IpRestriction, AllowCidrAdmitsInsideAndRefusesOutside) {
  EXPECT_EQ(run(R"({"allow":["10.0.0.0/8"]})", "10.200.1.1"), Flow::next);
  Context other;
  request(other, "GET", "/");
  other.req.client_ip = "11.0.0.1";
  EXPECT_EQ(build(*factory, R"({"allow":["10.0.0.0/8"]})")->access(other), Flow::respond);
}

TEST_F(IpRestriction, DenyIsCheckedBeforeAllow) {
  EXPECT_EQ(run(R"({"allow":["10.0.0.0/8"],"deny":["10.0.0.5"]})", "10.0.0.5"), Flow::respond);
}

TEST_F(IpRestriction, CustomStatusAndMessage) {
  EXPECT_EQ(run(R"({"deny":["0.0.0.0/0"],"status":401,"message":"go away"})", "8.8.8.8"), Flow::respond);
  EXPECT_EQ(ctx.exit_status(), 401);
  EXPECT_EQ(exit_message(ctx), "go away");
}

TEST_F(IpRestriction, Ipv6AddressesAndCidrs) {
  EXPECT_EQ(run(R"({"deny":["2001:db8::/32"]})", "2001:db8::1"), Flow::respond);
  Context other;
  request(other, "GET", "/");
  other.req.client_ip = "2001:db9::1";
  EXPECT_EQ(build(*factory, R"({"deny":["2001:db8::/32"]})")->access(other), Flow::next);
}

TEST_F(IpRestriction, Ipv4MappedIpv6ClientMatchesIpv4Entries) {
  EXPECT_EQ(run(R"({"deny":["192.168.0.0/16"]})", "::ffff:192.168.3.4"), Flow::respond);
}

TEST_F(IpRestriction, UnparsableClientAddressIsRefused) {
  EXPECT_EQ(run(R"({"allow":["0.0.0.0/0"]})", ""), Flow::respond);
  EXPECT_EQ(ctx.exit_status(), 403);
}

TEST(IpMatcher, MatchesManyPrefixLengths) {
  plugins::IpMatcher m;
  ASSERT_TRUE(m.add("10.1.0.0/16"));
  ASSERT_TRUE(m.add("172.16.5.7"));
  ASSERT_TRUE(m.add("::1"));
  ASSERT_TRUE(m.add("fe80::/10"));
  EXPECT_FALSE(m.add("300.1.1.1"));
  EXPECT_FALSE(m.add("::1/129"));
  EXPECT_TRUE(m.match(*plugins::parse_ip("10.1.255.255")));
  EXPECT_FALSE(m.match(*plugins::parse_ip("10.2.0.0")));
  EXPECT_TRUE(m.match(*plugins::parse_ip("172.16.5.7")));
  EXPECT_FALSE(m.match(*plugins::parse_ip("172.16.5.8")));
  EXPECT_TRUE(m.match(*plugins::parse_ip("::1")));
  EXPECT_TRUE(m.match(*plugins::parse_ip("febf::1")));
  EXPECT_FALSE(m.match(*plugins::parse_ip("fec0::1")));
}

// Found by fuzzing: a status no HTTP response can carry is a config error, not a cast.
TEST_F(IpRestriction, StatusOutsideHttpRangeIsRefused) {
  auto huge = validate(*factory, R"({"deny":["10.0.0.1"],"status":80222222222222222222222})");
  EXPECT_EQ(error_for(huge, "status"), "value should be between 100 and 599");
  EXPECT_EQ(error_for(validate(*factory, R"({"deny":["10.0.0.1"],"status":42})"), "status"),
            "value should be between 100 and 599");
  EXPECT_TRUE(validate(*factory, R"({"deny":["10.0.0.1"],"status":451})").empty());
}
