// Matching rules of the route table, one condition at a time (cases after Kong's
// spec/01-unit/08-router_spec.lua, flavor traditional_compatible).
#include "router_fixture.h"

namespace gh::router::testing {
namespace {

using RouteTable = router_test;

TEST_F(RouteTable, MatchesAnyOfTheRouteHosts) {
  route(uid(1)).hosts = {"domain-1.org", "domain-2.org"};
  EXPECT_EQ(winner("GET", "/", "domain-1.org"), uid(1));
  EXPECT_EQ(winner("GET", "/", "domain-2.org"), uid(1));
  EXPECT_EQ(winner("GET", "/", "domain-3.org"), "none");
}

TEST_F(RouteTable, HostWithoutPortMatchesAnyPortAndHostWithPortOnlyThatPort) {
  route(uid(1)).hosts = {"domain-1.org", "domain-2.org"};
  route(uid(13)).hosts = {"domain-1.org:321", "domain-2.org"};
  route(uid(14)).hosts = {"domain-3.org:321"};
  EXPECT_EQ(winner("GET", "/", "domain-1.org", 80), uid(1));  // ignores the default port
  EXPECT_EQ(winner("GET", "/", "domain-1.org", 321), uid(13));
  EXPECT_EQ(winner("GET", "/", "domain-3.org", 321), uid(14));
  EXPECT_EQ(winner("GET", "/", "domain-3.org", 123), "none");
}

TEST_F(RouteTable, LeftmostWildcardHostMatchesSubdomainsOnly) {
  route(uid(1)).hosts = {"*.route.com"};
  EXPECT_EQ(winner("GET", "/", "foo.route.com"), uid(1));
  EXPECT_EQ(winner("GET", "/", "a.b.route.com"), uid(1));
  EXPECT_EQ(winner("GET", "/", "route.com"), "none");
  EXPECT_EQ(winner("GET", "/", "fooroute.com"), "none");
}

TEST_F(RouteTable, RightmostWildcardHostMatchesAnyEnding) {
  route(uid(1)).hosts = {"route.*"};
  EXPECT_EQ(winner("GET", "/", "route.org"), uid(1));
  EXPECT_EQ(winner("GET", "/", "route.co.uk"), uid(1));
  EXPECT_EQ(winner("GET", "/", "myroute.org"), "none");
}

TEST_F(RouteTable, WildcardHostWithPortPrefersThePortSpecificRoute) {
  route(uid(1)).hosts = {"route.*"};
  route(uid(2)).hosts = {"route.*:123"};
  route(uid(3)).hosts = {"route.*:80"};
  EXPECT_EQ(winner("GET", "/", "route.org", 123), uid(2));
  EXPECT_EQ(winner("GET", "/", "route.org", 80), uid(3));
  EXPECT_EQ(winner("GET", "/", "route.org", 8000), uid(1));
}

TEST_F(RouteTable, RouteWithHostsNeverMatchesARequestWithoutHost) {
  route(uid(1)).hosts = {"domain.org"};
  route(uid(3)).paths = {"/my-route"};
  EXPECT_EQ(winner("GET", "/my-route-uri", ""), uid(3));
  EXPECT_EQ(winner("GET", "/", ""), "none");
}

TEST_F(RouteTable, MethodMustBeOneOfTheRouteMethods) {
  auto& r = route(uid(1));
  r.hosts = {"*.domain.com", "example.com"};
  r.paths = {"/path"};
  r.methods = {"GET", "TRACE"};
  EXPECT_EQ(winner("POST", "/path", "foo.domain.com"), "none");
  EXPECT_EQ(winner("GET", "/path", "foo.domain.com"), uid(1));
  EXPECT_EQ(winner("TRACE", "/path", "example.com"), uid(1));
}

TEST_F(RouteTable, EveryConfiguredHeaderMustMatchOneOfItsValues) {
  route(uid(9)).headers = {{"location", {"my-location-1", "my-location-2"}}};
  route(uid(10)).headers = {{"location", {"my-location-1"}}, {"version", {"v1", "v2"}}};
  headers.add("location", "my-location-1");
  EXPECT_EQ(winner("GET", "/"), uid(9));
  headers.add("version", "v2");
  EXPECT_EQ(winner("GET", "/"), uid(10));
  headers.set("location", "my-location-3");
  EXPECT_EQ(winner("GET", "/"), "none");
}

TEST_F(RouteTable, HeaderNamesAndValuesCompareCaseInsensitively) {
  route(uid(1)).headers = {{"user_agent", {"foo", "bar"}}};
  route(uid(2)).headers = {{"x-version", {"V1"}}};
  headers.add("User-Agent", "FOO");
  EXPECT_EQ(winner("GET", "/"), uid(1));
  headers.clear();
  headers.add("X-VERSION", "v1");
  EXPECT_EQ(winner("GET", "/"), uid(2));
}

TEST_F(RouteTable, RepeatedRequestHeaderMatchesWhenAnyOccurrenceMatches) {
  route(uid(1)).headers = {{"location", {"east", "west"}}};
  headers.add("location", "north");
  EXPECT_EQ(winner("GET", "/"), "none");
  headers.add("location", "west");
  EXPECT_EQ(winner("GET", "/"), uid(1));
}

TEST_F(RouteTable, RegexHeaderValueSearchesTheLowerCasedValue) {
  route(uid(15)).headers = {
      {"user-agent", {R"(~*windows|linux|os\s+x\s*[\d\._]+|solaris|bsd)"}}};
  headers.add("user-agent", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)");
  EXPECT_EQ(winner("GET", "/"), uid(15));
  headers.set("user-agent", "curl/8.0 (Linux)");
  EXPECT_EQ(winner("GET", "/"), uid(15));
  headers.set("user-agent", "curl/8.0");
  EXPECT_EQ(winner("GET", "/"), "none");
}

TEST_F(RouteTable, PrefixPathMatchesOnlyAtTheStartOfThePath) {
  route(uid(1)).paths = {"/my-route"};
  EXPECT_EQ(winner("GET", "/my-route"), uid(1));
  EXPECT_EQ(winner("GET", "/my-route/hello"), uid(1));
  EXPECT_EQ(winner("GET", "/my-routeX"), uid(1));  // plain string prefix, as in Kong
  EXPECT_EQ(winner("GET", "/foo/my-route"), "none");
}

TEST_F(RouteTable, RegexPathIsAnchoredAtTheStart) {
  route(uid(1)).paths = {R"(~/users/\d+/profile)"};
  EXPECT_EQ(winner("GET", "/users/123/profile"), uid(1));
  EXPECT_EQ(winner("GET", "/users/123/profile/more"), uid(1));
  EXPECT_EQ(winner("GET", "/api/users/123/profile"), "none");
}

TEST_F(RouteTable, MatchesAgainstTheNormalizedPath) {
  route(uid(1)).paths = {"/plain/a.b"};
  route(uid(2)).paths = {R"(~/reg/\w+/b$)"};
  EXPECT_EQ(winner("GET", "/plain/a%2Eb"), uid(1));
  EXPECT_EQ(winner("GET", "/x/../plain//a.b"), uid(1));
  EXPECT_EQ(winner("GET", "/reg/%61/./b"), uid(2));
  auto m = get("GET", "/x/../plain/a.b/%7e");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->path, "/plain/a.b/~");
  EXPECT_EQ(m->matched_path, "/plain/a.b");
}

TEST_F(RouteTable, ReservedEscapesStayEncodedWhileOthersAreDecodedBeforeMatching) {
  route(uid(1)).paths = {"~/regex-reserved%2Fabc"};
  route(uid(2)).paths = {"/plain/a.b%58c"};  // configured escapes are not decoded
  EXPECT_EQ(winner("GET", "/regex-reserved%2fabc"), uid(1));
  EXPECT_EQ(winner("GET", "/regex-reserved/abc"), "none");
  EXPECT_EQ(winner("GET", "/plain/a.b%58c"), "none");  // becomes /plain/a.bXc
}

TEST_F(RouteTable, RegexCapturesAreNumberedAndNamed) {
  route(uid(1)).paths = {R"(~/users/(?P<user_id>\d+)/profile/?(?P<scope>[a-z]*))"};
  auto m = get("GET", "/users/1984/profile/email");
  ASSERT_TRUE(m);
  using kv = std::pair<std::string, std::string>;
  EXPECT_EQ(m->captures, (std::vector<kv>{{"0", "/users/1984/profile/email"},
                                          {"1", "1984"},
                                          {"2", "email"},
                                          {"user_id", "1984"},
                                          {"scope", "email"}}));
  EXPECT_EQ(m->matched_path, "/users/1984/profile/email");
}

TEST_F(RouteTable, RegexCapturesComeFromTheNormalizedPath) {
  route(uid(1)).paths = {R"(~/users/(?<fullname>[a-zA-Z\s\d%]+)/profile)"};
  auto m = get("GET", "/users/%6aohn%20doe/profile");
  ASSERT_TRUE(m);
  ASSERT_EQ(m->captures.size(), 3u);
  EXPECT_EQ(m->captures[1].second, "john doe");
  EXPECT_EQ(m->captures[2], (std::pair<std::string, std::string>{"fullname", "john doe"}));
}

TEST_F(RouteTable, OptionalGroupThatDidNotParticipateIsLeftOut) {
  route(uid(1)).paths = {R"(~/(users/)?1984/(?<subpath>profile)$)"};
  auto m = get("GET", "/1984/profile");
  ASSERT_TRUE(m);
  using kv = std::pair<std::string, std::string>;
  EXPECT_EQ(m->captures, (std::vector<kv>{{"0", "/1984/profile"}, {"2", "profile"},
                                          {"subpath", "profile"}}));
}

TEST_F(RouteTable, NoCapturesForPrefixMatchesOrRegexesWithoutGroups) {
  route(uid(1)).paths = {"/hello"};
  route(uid(2)).paths = {R"(~/users/\d+/profile)"};
  auto prefix = get("GET", "/hello/world");
  ASSERT_TRUE(prefix);
  EXPECT_TRUE(prefix->captures.empty());
  auto regex = get("GET", "/users/1/profile");
  ASSERT_TRUE(regex);
  EXPECT_TRUE(regex->captures.empty());
}

TEST_F(RouteTable, RoutesOfADisabledServiceAreNotRouted) {
  cfg.services[0].enabled = false;
  config::Service other;
  other.id = "other";
  other.host = "other.test";
  cfg.services.push_back(other);
  route(uid(1)).paths = {"/a"};
  auto& r = route(uid(2));
  r.paths = {"/"};
  r.service_id = "other";
  EXPECT_EQ(winner("GET", "/a"), uid(2));
  EXPECT_EQ(table->size(), 1u);
}

TEST_F(RouteTable, RouteWithoutServiceIsRoutedWithNullService) {
  auto& r = route(uid(8));
  r.paths = {"/serviceless", "~/other$"};
  r.service_id.clear();
  auto m = get("GET", "/serviceless");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->route->id, uid(8));
  EXPECT_EQ(m->service, nullptr);
  EXPECT_EQ(winner("GET", "/other"), uid(8));
}

TEST_F(RouteTable, HttpsOnlyRouteStillMatchesPlainHttpSoTheProxyCanAnswer426) {
  auto& r = route(uid(1));
  r.paths = {"/secure"};
  r.protocols = {"https"};
  auto m = get("GET", "/secure");
  ASSERT_TRUE(m);
  EXPECT_EQ(check_route_protocol(*m->route, "http", "", false),
            protocol_verdict::https_required);
}

TEST_F(RouteTable, StreamRoutesAndRoutesWithoutConditionsAreLeftOut) {
  auto& tcp = route(uid(1));
  tcp.protocols = {"tcp", "tls"};
  tcp.paths = {"/"};
  route(uid(2));  // no condition at all
  EXPECT_EQ(winner("GET", "/"), "none");
  EXPECT_EQ(table->size(), 0u);
}

TEST_F(RouteTable, InvalidRegexFailsTheBuildNamingTheRoute) {
  route(uid(1)).paths = {"~/broken(["};
  try {
    build();
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(uid(1)), std::string::npos) << e.what();
  }
  cfg.routes.clear();
  route(uid(2)).headers = {{"x", {"~*(("}}};
  EXPECT_THROW(build(), std::runtime_error);
}

TEST_F(RouteTable, RegexAnchorsDoNotMatchAtEmbeddedNewlines) {
  route(uid(1)).paths = {"~/a$"};
  route(uid(2)).paths = {"~/b.c"};
  EXPECT_EQ(winner("GET", "/a%0Ax"), "none");
  EXPECT_EQ(winner("GET", "/b%0Ac"), "none");
  EXPECT_EQ(winner("GET", "/a"), uid(1));
}

}  // namespace
}  // namespace gh::router::testing
