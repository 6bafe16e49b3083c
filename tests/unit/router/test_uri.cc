// Path normalization, upstream path composition (Kong's path_handling v0 table from
// spec/fixtures/router_path_handling_tests.lua), upstream Host and protocol checks.
#include "router/uri.h"

#include "router_fixture.h"

#include <gtest/gtest.h>

#include <random>

namespace gh::router {
namespace {

TEST(NormalizePath, DecodesUnreservedAndOtherEscapesButKeepsReservedOnesUpperCased) {
  EXPECT_EQ(normalize_path("/users/%6aohn%20doe"), "/users/john doe");
  EXPECT_EQ(normalize_path("/a%2fb%3F"), "/a%2Fb%3F");
  EXPECT_EQ(normalize_path("/%7Euser/%41"), "/~user/A");
  EXPECT_EQ(normalize_path("/bad%zz%4"), "/bad%zz%4");
}

TEST(NormalizePath, RemovesDotSegmentsAndMergesSlashes) {
  EXPECT_EQ(normalize_path("/"), "/");
  EXPECT_EQ(normalize_path(""), "");
  EXPECT_EQ(normalize_path("/a/./b"), "/a/b");
  EXPECT_EQ(normalize_path("/a/b/../c"), "/a/c");
  EXPECT_EQ(normalize_path("/a/b/.."), "/a/");
  EXPECT_EQ(normalize_path("/a/b/."), "/a/b/");
  EXPECT_EQ(normalize_path("/../../x"), "/x");
  EXPECT_EQ(normalize_path("//a///b//"), "/a/b/");
  EXPECT_EQ(normalize_path("/a/%2e%2E/b"), "/b");
  EXPECT_EQ(normalize_path("/route./req"), "/route./req");
  EXPECT_EQ(normalize_path("/.."), "/");
}

TEST(NormalizePath, RandomPathsNormalizeToAFixedPointWithoutDotSegmentsOrDoubleSlashes) {
  std::mt19937 rng(7);
  const std::string alphabet = "/./a%2eEF5";
  for (int i = 0; i < 20000; ++i) {
    std::string in = "/";
    std::size_t len = rng() % 24;
    for (std::size_t j = 0; j < len; ++j) in.push_back(alphabet[rng() % alphabet.size()]);
    std::string once = normalize_path(in);
    ASSERT_EQ(normalize_path(once), once) << in;
    ASSERT_EQ(once.find("//"), std::string::npos) << in;
    ASSERT_EQ(once.find("/./"), std::string::npos) << in;
    ASSERT_EQ(once.find("/../"), std::string::npos) << in;
    ASSERT_FALSE(once.ends_with("/.") || once.ends_with("/..")) << in;
  }
}

TEST(EscapePath, EncodesOnlyBytesOutsideKongsSafeSet) {
  EXPECT_EQ(escape_path("/a b/é"), "/a%20b/%C3%A9");
  EXPECT_EQ(escape_path("/ok-_.~!$&'()*+,;=:@[]%2F"), "/ok-_.~!$&'()*+,;=:@[]%2F");
  EXPECT_EQ(escape_path("/q\"<>"), "/q%22%3C%3E");
}

struct path_case {
  const char* service_path;  // nullptr: service without path
  const char* route_path;    // nullptr: route matched by host
  bool strip_path;
  const char* request;
  const char* expected;
};

// Kong's v0 rows (service_path, route_path, strip_path, request_path, expected_path).
const path_case v0_cases[] = {
    {"/", "/", false, "/", "/"},
    {"/", "/", true, "/", "/"},
    {"/", "/", true, "/route", "/route"},
    {"/", "/", false, "/route/", "/route/"},
    {"/", "/", true, "/routereq", "/routereq"},
    {"/", "/", true, "/route/req", "/route/req"},
    {"/", "/route", false, "/route", "/route"},
    {"/", "/route", false, "/route/", "/route/"},
    {"/", "/route", false, "/routereq", "/routereq"},
    {"/", "/route", true, "/route", "/"},
    {"/", "/route", true, "/route/", "/"},
    {"/", "/route", true, "/routereq", "/req"},
    {"/", "/route/", false, "/route/", "/route/"},
    {"/", "/route/", false, "/route/req", "/route/req"},
    {"/", "/route/", true, "/route/", "/"},
    {"/", "/route/", true, "/route/req", "/req"},
    {"/srv", "/rou", false, "/roureq", "/srv/roureq"},
    {"/srv", "/rou", true, "/roureq", "/srv/req"},
    {"/srv/", "/rou", false, "/rou", "/srv/rou"},
    {"/srv/", "/rou", true, "/rou", "/srv"},
    {"/service", "/", false, "/", "/service"},
    {"/service", "/", true, "/route", "/service/route"},
    {"/service", "/", false, "/route/", "/service/route/"},
    {"/service", "/", true, "/routereq", "/service/routereq"},
    {"/service", "/", false, "/route/req", "/service/route/req"},
    {"/service", "/route", false, "/route", "/service/route"},
    {"/service", "/route", false, "/route/", "/service/route/"},
    {"/service", "/route", false, "/routereq", "/service/routereq"},
    {"/service", "/route", true, "/route", "/service"},
    {"/service", "/route", true, "/route/", "/service/"},
    {"/service", "/route", true, "/routereq", "/service/req"},
    {"/service", "/route/", false, "/route/", "/service/route/"},
    {"/service", "/route/", false, "/route/req", "/service/route/req"},
    {"/service", "/route/", true, "/route/", "/service/"},
    {"/service", "/route/", true, "/route/req", "/service/req"},
    {"/service/", "/", true, "/route/", "/service/route/"},
    {"/service/", "/", false, "/", "/service/"},
    {"/service/", "/", true, "/route", "/service/route"},
    {"/service/", "/", false, "/routereq", "/service/routereq"},
    {"/service/", "/", true, "/route/req", "/service/route/req"},
    {"/service/", "/route", false, "/route", "/service/route"},
    {"/service/", "/route", false, "/route/", "/service/route/"},
    {"/service/", "/route", false, "/routereq", "/service/routereq"},
    {"/service/", "/route", true, "/route", "/service"},
    {"/service/", "/route", true, "/route/", "/service/"},
    {"/service/", "/route", true, "/routereq", "/service/req"},
    {"/service/", "/route/", false, "/route/", "/service/route/"},
    {"/service/", "/route/", false, "/route/req", "/service/route/req"},
    {"/service/", "/route/", true, "/route/", "/service/"},
    {"/service/", "/route/", true, "/route/req", "/service/req"},
    {"/", nullptr, true, "/", "/"},
    {"/", nullptr, false, "/route", "/route"},
    {"/", nullptr, true, "/route/", "/route/"},
    {"/service", nullptr, true, "/", "/service"},
    {"/service", nullptr, true, "/route", "/service/route"},
    {"/service", nullptr, false, "/route/", "/service/route/"},
    {"/service/", nullptr, false, "/", "/service/"},
    {"/service/", nullptr, true, "/route", "/service/route"},
    {"/service/", nullptr, true, "/route/", "/service/route/"},
    {"/service", "/route", true, "/route./req", "/service/req"},
    {"/service/", "/route", true, "/route./req", "/service/req"},
    {"/service", "/route", true, "/route%2E/req", "/service/req"},
    {"/service/", "/route", true, "/route%2e/req", "/service/req"},
    {"/service", "/route", true, "/route../req", "/service/req"},
    {"/service/", "/route", true, "/route%2E%2E/req", "/service/req"},
    {"/service", "/route", false, "/route./req", "/service/route./req"},
    {"/service/", "/route", false, "/route%2E/req", "/service/route./req"},
    {"/service", "/route", false, "/route../req", "/service/route../req"},
};

class PathHandlingV0 : public testing::router_test,
                       public ::testing::WithParamInterface<std::pair<path_case, bool>> {};

// Every row runs twice: the route path as a prefix, and as Kong's "~/[0]?route" regex.
TEST_P(PathHandlingV0, UpstreamPathFollowsKongTable) {
  const auto& [c, as_regex] = GetParam();
  cfg.services[0].path = c.service_path;
  auto& r = route(uid(1));
  r.strip_path = c.strip_path;
  if (c.route_path != nullptr) {
    std::string p = c.route_path;
    r.paths = {as_regex ? "~/[0]?" + p.substr(1) : p};
  } else {
    r.hosts = {"localbin.test"};
  }
  auto m = get("GET", c.request, "localbin.test");
  ASSERT_TRUE(m) << c.request;
  EXPECT_EQ(upstream_path(*m->route, m->service, m->path, m->matched_path), c.expected)
      << "service " << c.service_path << " route " << (c.route_path ? c.route_path : "-")
      << " strip " << c.strip_path << " request " << c.request;
}

std::vector<std::pair<path_case, bool>> all_cases() {
  std::vector<std::pair<path_case, bool>> out;
  for (const auto& c : v0_cases) {
    out.emplace_back(c, false);
    if (c.route_path != nullptr) out.emplace_back(c, true);  // host rows have no regex form
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(KongTable, PathHandlingV0, ::testing::ValuesIn(all_cases()));

TEST(UpstreamPath, ServicelessRouteUsesRootAsBase) {
  config::Route r;
  r.strip_path = true;
  EXPECT_EQ(upstream_path(r, nullptr, "/hello/world", "/hello"), "/world");
}

TEST(UpstreamPath, EscapesCharactersDecodedForMatching) {
  config::Route r;
  r.strip_path = false;
  EXPECT_EQ(upstream_path(r, nullptr, normalize_path("/users/%6aohn%20doe"), ""),
            "/users/john%20doe");
}

TEST(UpstreamHostHeader, PreserveHostForwardsClientHostWithPort) {
  config::Route r;
  r.preserve_host = true;
  config::Service s;
  s.host = "backend.internal";
  EXPECT_EQ(upstream_host_header(r, s, "example.com:8443"), "example.com:8443");
  EXPECT_EQ(upstream_host_header(r, s, ""), "backend.internal");
}

TEST(UpstreamHostHeader, ServiceHostCarriesPortOnlyWhenNotDefaultForScheme) {
  config::Route r;
  config::Service s;
  s.host = "backend.internal";
  s.protocol = "http";
  s.port = 80;
  EXPECT_EQ(upstream_host_header(r, s, "client.test"), "backend.internal");
  s.port = 8080;
  EXPECT_EQ(upstream_host_header(r, s, "client.test"), "backend.internal:8080");
  s.port = 443;
  EXPECT_EQ(upstream_host_header(r, s, "client.test"), "backend.internal:443");
  s.protocol = "https";
  EXPECT_EQ(upstream_host_header(r, s, "client.test"), "backend.internal");
  s.port = 80;
  EXPECT_EQ(upstream_host_header(r, s, "client.test"), "backend.internal:80");
}

TEST(CheckRouteProtocol, HttpsOnlyRouteRefusesPlainHttpButNotHttps) {
  config::Route r;
  r.protocols = {"https"};
  EXPECT_EQ(check_route_protocol(r, "http", "", false), protocol_verdict::https_required);
  EXPECT_EQ(check_route_protocol(r, "https", "", false), protocol_verdict::ok);
  r.protocols = {"http", "https"};
  EXPECT_EQ(check_route_protocol(r, "http", "", false), protocol_verdict::ok);
}

TEST(CheckRouteProtocol, GrpcRoutesRequireGrpcContentTypeHttp2AndTlsForGrpcs) {
  config::Route r;
  r.protocols = {"grpc", "grpcs"};
  EXPECT_EQ(check_route_protocol(r, "http", "text/plain", true), protocol_verdict::grpc_required);
  EXPECT_EQ(check_route_protocol(r, "http", "application/grpc", false),
            protocol_verdict::http2_required);
  EXPECT_EQ(check_route_protocol(r, "http", "application/grpc+proto", true), protocol_verdict::ok);
  r.protocols = {"grpcs"};
  EXPECT_EQ(check_route_protocol(r, "http", "application/grpc", true),
            protocol_verdict::grpcs_required);
  EXPECT_EQ(check_route_protocol(r, "https", "application/grpc", true), protocol_verdict::ok);
}

}  // namespace
}  // namespace gh::router
