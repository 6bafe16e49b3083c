// Node settings: defaults, parsing of each value kind, file/env/flag precedence.
#include "config/node_settings.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>

namespace gh::config {
namespace {

struct temp_file {
  std::string path;
  explicit temp_file(const std::string& text) {
    char tmpl[] = "/tmp/gh_settings_XXXXXX";
    int fd = mkstemp(tmpl);
    path = tmpl;
    ::close(fd);
    std::ofstream(path) << text;
  }
  ~temp_file() { std::remove(path.c_str()); }
};

std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(NodeSettings, DefaultsFollowKong) {
  auto s = defaults();
  EXPECT_EQ(s.proxy_listen, (std::vector<listen_address>{{"0.0.0.0", 8000}}));
  EXPECT_EQ(s.admin_listen, (std::vector<listen_address>{{"127.0.0.1", 8001}}));
  EXPECT_EQ(s.workers, std::max(1u, std::thread::hardware_concurrency()));
  EXPECT_EQ(s.client_max_body_size, 0u);
  EXPECT_EQ(s.client_max_headers, 100u);
  EXPECT_EQ(s.upstream_keepalive_pool_size, 1024u);
  EXPECT_EQ(s.real_ip_header, "X-Forwarded-For");
  EXPECT_EQ(s.access_log, "off");
  EXPECT_EQ(s.drain_timeout_ms, 30000);
}

TEST(NodeSettings, ListenAddressParsesHostPortIpv6AndPortOnly) {
  EXPECT_EQ(listen_address::parse("127.0.0.1:9000"), (listen_address{"127.0.0.1", 9000}));
  EXPECT_EQ(listen_address::parse("[::1]:8443"), (listen_address{"::1", 8443}));
  EXPECT_EQ(listen_address::parse(":0"), (listen_address{"0.0.0.0", 0}));
  EXPECT_EQ(listen_address::parse("localhost:80").host, "localhost");
  EXPECT_EQ((listen_address{"::1", 80}).to_string(), "[::1]:80");
  for (const char* bad : {"", "host:", "host:99999", "::1:80", "[::1]", "[nothost]:80", "a:b"})
    EXPECT_THROW(listen_address::parse(bad), std::invalid_argument) << bad;
}

TEST(NodeSettings, ListsAreCommaSeparatedAndAdminCanBeOff) {
  auto s = defaults();
  apply_setting(s, "proxy-listen", "0.0.0.0:8000, [::]:8000");
  ASSERT_EQ(s.proxy_listen.size(), 2u);
  EXPECT_EQ(s.proxy_listen[1].host, "::");
  apply_setting(s, "admin_listen", "off");
  EXPECT_TRUE(s.admin_listen.empty());
  apply_setting(s, "trusted_ips", "10.0.0.0/8,::1");
  EXPECT_EQ(s.trusted_ips, (std::vector<std::string>{"10.0.0.0/8", "::1"}));
}

TEST(NodeSettings, DurationsAndSizesAcceptUnits) {
  auto s = defaults();
  apply_setting(s, "keepalive_timeout_ms", "75s");
  EXPECT_EQ(s.keepalive_timeout_ms, 75000);
  apply_setting(s, "drain_timeout_ms", "1500");
  EXPECT_EQ(s.drain_timeout_ms, 1500);
  apply_setting(s, "client_max_body_size", "8m");
  EXPECT_EQ(s.client_max_body_size, 8u * 1024 * 1024);
  apply_setting(s, "client_max_header_size", "64k");
  EXPECT_EQ(s.client_max_header_size, 64u * 1024);
}

TEST(NodeSettings, BadValuesNameTheKeyAndReason) {
  auto s = defaults();
  EXPECT_NE(message_of([&] { apply_setting(s, "workers", "many"); }).find("workers: expected a non-negative integer"),
            std::string::npos);
  EXPECT_NE(message_of([&] { apply_setting(s, "workers", "0"); }).find("workers: must be at least 1"),
            std::string::npos);
  EXPECT_NE(message_of([&] { apply_setting(s, "trusted_ips", "10.0.0.0/33"); })
                .find("trusted_ips: invalid ip or cidr range: '10.0.0.0/33'"),
            std::string::npos);
  EXPECT_NE(message_of([&] { apply_setting(s, "log_format", "xml"); }).find("log_format: expected one of"),
            std::string::npos);
  EXPECT_NE(message_of([&] { apply_setting(s, "bogus", "1"); }).find("unknown setting 'bogus'"),
            std::string::npos);
}

TEST(NodeSettings, HeadersTakeKongNamesAndGroupsOrOff) {
  namespace kh = gh::config::kong_header;
  auto s = defaults();
  EXPECT_EQ(s.headers, kh::server | kh::via | kh::proxy_latency | kh::upstream_latency |
                           kh::response_latency | kh::admin_latency | kh::request_id);
  EXPECT_EQ(s.headers & kh::upstream_status, 0u);  // Kong's default leaves it out
  apply_setting(s, "headers", "off");
  EXPECT_EQ(s.headers, 0u);
  apply_setting(s, "headers", "Via, x-kong-upstream-status");
  EXPECT_EQ(s.headers, kh::via | kh::upstream_status);
  apply_setting(s, "headers", "latency_tokens");
  EXPECT_EQ(s.headers,
            kh::proxy_latency | kh::upstream_latency | kh::response_latency | kh::admin_latency);
  apply_setting(s, "headers", "server_tokens,X-Kong-Request-Id");
  EXPECT_EQ(s.headers, kh::server | kh::via | kh::request_id);
  EXPECT_NE(message_of([&] { apply_setting(s, "headers", "off, via"); })
                .find("headers: 'off' cannot be combined"),
            std::string::npos);
  EXPECT_NE(message_of([&] { apply_setting(s, "headers", "via, X-Powered-By"); })
                .find("headers: unknown header 'X-Powered-By'"),
            std::string::npos);
  EXPECT_EQ(s.headers, kh::server | kh::via | kh::request_id);  // a refused value changes nothing

  temp_file f("headers:\n  - via\n  - latency_tokens\n");
  auto t = defaults();
  load_settings_file(t, f.path);
  EXPECT_EQ(t.headers, kh::via | kh::latency_tokens);
}

TEST(NodeSettings, FileSetsValuesAndListsAndRefusesUnknownKeys) {
  temp_file f("workers: 3\nproxy_listen:\n  - 127.0.0.1:7000\n  - 127.0.0.1:7001\nlog_format: json\n");
  auto s = defaults();
  load_settings_file(s, f.path);
  EXPECT_EQ(s.workers, 3u);
  EXPECT_EQ(s.proxy_listen.size(), 2u);
  EXPECT_EQ(s.log_format, "json");

  temp_file bad("workers: 2\nwrokers: 3\nlog_level: loud\n");
  auto msg = message_of([&] { load_settings_file(s, bad.path); });
  EXPECT_NE(msg.find(bad.path + ": unknown setting 'wrokers'"), std::string::npos) << msg;
  EXPECT_NE(msg.find(bad.path + ": log_level:"), std::string::npos) << msg;
}

TEST(NodeSettings, MissingFileIsAnErrorNamingIt) {
  auto s = defaults();
  auto msg = message_of([&] { load_settings_file(s, "/nonexistent/gatehouse.yml"); });
  EXPECT_NE(msg.find("/nonexistent/gatehouse.yml"), std::string::npos);
}

TEST(NodeSettings, EnvUsesGatehousePrefixAndIgnoresOtherNames) {
  std::string a = "GATEHOUSE_WORKERS=5", b = "GATEHOUSE_PROXY_LISTEN=127.0.0.1:9001",
              c = "GATEHOUSE_SHARED_DIR=/x", d = "WORKERS=9";
  char* env[] = {a.data(), b.data(), c.data(), d.data(), nullptr};
  auto s = defaults();
  load_settings_env(s, env);
  EXPECT_EQ(s.workers, 5u);
  EXPECT_EQ(s.proxy_listen, (std::vector<listen_address>{{"127.0.0.1", 9001}}));
  std::string e = "GATEHOUSE_WORKERS=lots";
  char* bad_env[] = {e.data(), nullptr};
  EXPECT_NE(message_of([&] { load_settings_env(s, bad_env); }).find("GATEHOUSE_WORKERS"),
            std::string::npos);
}

TEST(NodeSettings, PrecedenceIsFlagOverEnvOverFileOverDefault) {
  temp_file f("workers: 2\nlog_level: debug\nadmin_listen: 127.0.0.1:9100\ndrain_timeout_ms: 100\n");
  std::string w = "GATEHOUSE_WORKERS=4", l = "GATEHOUSE_LOG_LEVEL=warn";
  char* env[] = {w.data(), l.data(), nullptr};
  auto s = defaults();
  load_settings_file(s, f.path);
  load_settings_env(s, env);
  apply_setting(s, "workers", "6");  // a flag
  EXPECT_EQ(s.workers, 6u);                // flag beats env and file
  EXPECT_EQ(s.log_level, "warn");          // env beats file
  EXPECT_EQ(s.admin_listen[0].port, 9100); // file beats default
  EXPECT_EQ(s.drain_timeout_ms, 100);
  EXPECT_EQ(s.keepalive_timeout_ms, 60000);  // default stays
}

}  // namespace
}  // namespace gh::config
