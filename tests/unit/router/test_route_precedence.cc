// Which route wins when several match: Kong traditional_compatible priorities, split
// multi-path routes, the uuid tie-break; plus the index against a linear scan and
// concurrent lookups.
#include "router/matcher.h"
#include "router_fixture.h"

#include <random>
#include <thread>

namespace gh::router::testing {
namespace {

using RoutePrecedence = router_test;

TEST_F(RoutePrecedence, RoutesWithMoreMatchingAttributesBeatRoutesWithFewer) {
  route(uid(1)).hosts = {"domain-1.org", "domain-2.org"};
  route(uid(2)).methods = {"TRACE"};
  route(uid(3)).paths = {"/my-route"};
  {
    auto& r = route(uid(4));
    r.paths = {"/route-4"};
    r.hosts = {"domain-1.org", "domain-2.org"};
  }
  {
    auto& r = route(uid(7));
    r.hosts = {"domain-1.org"};
    r.methods = {"TRACE"};
    r.paths = {"/my-route"};
  }
  EXPECT_EQ(winner("TRACE", "/", "domain-2.org"), uid(1));  // plain host beats method
  EXPECT_EQ(winner("TRACE", "/my-route", "domain.org"), uid(3));
  EXPECT_EQ(winner("TRACE", "/route-4", "domain-1.org"), uid(4));
  EXPECT_EQ(winner("TRACE", "/my-route", "domain-1.org"), uid(7));
  // Same weight: a plain host outranks any prefix length.
  EXPECT_EQ(winner("GET", "/my-route", "domain-1.org"), uid(1));
}

TEST_F(RoutePrecedence, HalfMatchingRouteDoesNotSupersedeAFullMatch) {
  {
    auto& r = route(uid(1));
    r.hosts = {"host1.com"};
    r.paths = {"/v1/path"};
  }
  {
    auto& r = route(uid(2));
    r.hosts = {"host2.com"};
    r.paths = {"/"};
  }
  EXPECT_EQ(winner("GET", "/v1/path", "host1.com"), uid(1));
  EXPECT_EQ(winner("GET", "/v1/path", "host2.com"), uid(2));
}

TEST_F(RoutePrecedence, MethodOnlyRouteDoesNotSupersedePrefixOrWildcardHost) {
  route(uid(1)).methods = {"GET"};
  route(uid(2)).paths = {"/example"};
  route(uid(3)).hosts = {"domain.*"};
  EXPECT_EQ(winner("GET", "/example/status/200", "x.org"), uid(2));
  EXPECT_EQ(winner("GET", "/", "domain.com"), uid(3));
  EXPECT_EQ(winner("GET", "/", "nothing.com"), uid(1));
}

TEST_F(RoutePrecedence, PlainHostRouteBeatsWildcardHostRouteOfTheSameWeight) {
  route(uid(3)).hosts = {"plain.route.com"};
  route(uid(5)).hosts = {"*.route.com"};
  route(uid(6)).hosts = {"route.*"};
  route(uid(4)).hosts = {"route.com"};
  EXPECT_EQ(winner("GET", "/", "route.com"), uid(4));
  EXPECT_EQ(winner("GET", "/", "route.org"), uid(6));
  EXPECT_EQ(winner("GET", "/", "plain.route.com"), uid(3));
  EXPECT_EQ(winner("GET", "/", "foo.route.com"), uid(5));
}

TEST_F(RoutePrecedence, LongestPrefixWinsWithinACategory) {
  route(uid(1)).paths = {"/my-route"};
  route(uid(2)).paths = {"/my-route/hello"};
  route(uid(3)).paths = {"/"};
  EXPECT_EQ(winner("GET", "/my-route/hello/world"), uid(2));
  EXPECT_EQ(winner("GET", "/my-route/hell"), uid(1));
  EXPECT_EQ(winner("GET", "/foobar"), uid(3));  // root acts as catch-all
}

TEST_F(RoutePrecedence, LongerPrefixOnOneHostDoesNotStealAnotherHostsRequest) {
  {
    auto& r = route(uid(1));
    r.hosts = {"route.com"};
    r.paths = {"/my-route/hello"};
  }
  {
    auto& r = route(uid(2));
    r.hosts = {"other.com"};
    r.paths = {"/my-route"};
  }
  EXPECT_EQ(winner("GET", "/my-route/hello", "other.com"), uid(2));
}

TEST_F(RoutePrecedence, RegexPathBeatsPrefixPathEvenAnExactOne) {
  route(uid(1)).paths = {"/my-route/hello"};
  route(uid(2)).paths = {"~/my-route/[a-z]+"};
  EXPECT_EQ(winner("GET", "/my-route/hello"), uid(2));
  EXPECT_EQ(winner("GET", "/my-route/hello/x"), uid(2));
}

TEST_F(RoutePrecedence, RegexRoutesAreOrderedByRegexPriority) {
  {
    auto& r = route(uid(9));
    r.paths = {"~/api/.*"};
    r.regex_priority = 0;
  }
  {
    auto& r = route(uid(1));
    r.paths = {"~/api/v1/.*"};
    r.regex_priority = 5;
  }
  {
    auto& r = route(uid(2));
    r.paths = {"~/api/v1/old"};
    r.regex_priority = -1;
  }
  EXPECT_EQ(winner("GET", "/api/v1/old"), uid(1));
  EXPECT_EQ(winner("GET", "/api/v2"), uid(9));
}

TEST_F(RoutePrecedence, RegexPriorityIsIgnoredForPrefixPaths) {
  {
    auto& r = route(uid(2));
    r.paths = {"/"};
    r.hosts = {"domain-2.org"};
    r.regex_priority = 5;
  }
  {
    auto& r = route(uid(3));
    r.paths = {"/v1"};
    r.hosts = {"domain-2.org"};
  }
  EXPECT_EQ(winner("GET", "/v1", "domain-2.org"), uid(3));
}

TEST_F(RoutePrecedence, EqualPrioritiesAreTriedInDescendingUuidOrder) {
  for (int i = 1; i <= 5; ++i) {
    auto& r = route(uid(10 + i));
    r.hosts = {"domain.org"};
    r.paths = {"/my-uri"};
  }
  {
    auto& r = route(uid(21));
    r.hosts = {"domain.org"};
    r.paths = {"/my-target-uri"};
  }
  EXPECT_EQ(winner("GET", "/my-target-uri"), uid(21));
  EXPECT_EQ(winner("GET", "/my-uri"), uid(15));
}

TEST_F(RoutePrecedence, MoreHeadersBeatLongerPaths) {
  {
    auto& r = route(uid(1));
    r.headers = {{"version", {"v1"}}};
    r.paths = {"/my-route/hello"};
  }
  {
    auto& r = route(uid(2));
    r.headers = {{"version", {"v1"}}, {"location", {"us-east"}}};
    r.paths = {"/my-route"};
  }
  headers.add("version", "v1");
  headers.add("location", "us-east");
  EXPECT_EQ(winner("GET", "/my-route/hello"), uid(2));
  headers.remove("location");
  EXPECT_EQ(winner("GET", "/my-route/hello"), uid(1));
}

TEST_F(RoutePrecedence, RouteWithMoreHeaderNamesIsEvaluatedFirst) {
  route(uid(1)).headers = {{"version", {"v1", "v2"}}, {"user_agent", {"foo", "bar"}}};
  route(uid(2)).headers = {
      {"version", {"v1", "v2"}}, {"user_agent", {"foo", "bar"}}, {"location", {"east", "west"}}};
  headers.add("version", "v1");
  headers.add("user-agent", "foo");
  headers.add("location", "north");
  headers.add("location", "west");
  EXPECT_EQ(winner("GET", "/", ""), uid(2));
}

TEST_F(RoutePrecedence, MixedPathRouteGetsOnePriorityPerPathGroup) {
  {
    auto& r = route(uid(1));
    r.paths = {"~/some/thing/else", "/foo"};
    r.hosts = {"domain-1.org"};
  }
  {
    auto& r = route(uid(2));
    r.paths = {"/foo/bar"};
    r.hosts = {"domain-1.org"};
  }
  EXPECT_EQ(winner("GET", "/some/thing/else", "domain-1.org"), uid(1));
  EXPECT_EQ(winner("GET", "/foo/bar", "domain-1.org"), uid(2));
}

TEST_F(RoutePrecedence, OverlappingPrefixesOfOneRouteArePrioritisedSeparately) {
  {
    auto& r = route(uid(1));
    r.paths = {"/foo", "/foo/bar/baz"};
    r.hosts = {"domain-1.org"};
  }
  {
    auto& r = route(uid(2));
    r.paths = {"/foo/bar"};
    r.hosts = {"domain-1.org"};
  }
  EXPECT_EQ(winner("GET", "/foo", "domain-1.org"), uid(1));
  EXPECT_EQ(winner("GET", "/foo/bar", "domain-1.org"), uid(2));
  EXPECT_EQ(winner("GET", "/foo/bar/baz/1", "domain-1.org"), uid(1));
  auto m = get("GET", "/foo/bar/baz/1", "domain-1.org");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->matched_path, "/foo/bar/baz");
}

TEST(SplitRouteIds, FollowKongsUuidV5Scheme) {
  // Known uuid v5 vector (RFC 4122 DNS namespace, "www.example.com").
  std::array<std::uint8_t, 16> dns{}, expected{};
  ASSERT_TRUE(detail::parse_uuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8", dns));
  ASSERT_TRUE(detail::parse_uuid("2ed6657d-e927-568b-95e1-2665a8aea6a2", expected));
  EXPECT_EQ(detail::uuid_v5(dns, "www.example.com"), expected);
  std::array<std::uint8_t, 16> bad{};
  EXPECT_FALSE(detail::parse_uuid("not-a-uuid", bad));
}

// A random config: the indexed lookup must pick exactly what evaluating every matcher
// in priority order picks.
TEST(RouteIndex, IndexedLookupAgreesWithALinearScanOnRandomConfigs) {
  std::mt19937 rng(12345);
  const std::vector<std::string> hosts = {"a.test", "b.test", "*.a.test", "x.*", "x.a.test",
                                          "b.test:8080", "*.test"};
  // More than 8 distinct prefixes, so busy buckets use the per-length hash lookup and
  // quiet ones the direct comparison.
  const std::vector<std::string> paths = {"/", "/api", "/api/v1", "/apix", "~/api/v\\d+$",
                                          "~/a", "/static/", "~/(?<x>s)tatic", "/b", "/b/c",
                                          "/c", "/c/d/e", "/dd", "/e/f", "/static/a"};
  const std::vector<std::string> methods = {"GET", "POST"};
  auto pick = [&](const auto& v) { return v[rng() % v.size()]; };

  for (int round = 0; round < 20; ++round) {
    config::DeclarativeConfig cfg;
    config::Service svc;
    svc.id = "svc";
    cfg.services.push_back(svc);
    for (int i = 0; i < 80; ++i) {
      config::Route r;
      r.id = "route-" + std::to_string(round) + "-" + std::to_string(i);
      r.service_id = "svc";
      if (rng() % 2) r.hosts = {pick(hosts)};
      if (rng() % 3 == 0) r.hosts.push_back(pick(hosts));
      if (rng() % 2) r.paths = {pick(paths)};
      if (rng() % 3 == 0) r.paths.push_back(pick(paths));
      if (rng() % 4 == 0) r.methods = {pick(methods)};
      if (rng() % 5 == 0) r.headers = {{"x-v", {"1"}}};
      r.regex_priority = int(rng() % 3);
      if (r.hosts.empty() && r.paths.empty() && r.methods.empty()) r.paths = {"/"};
      cfg.routes.push_back(r);
    }
    auto table = route_table::build(cfg);
    std::size_t routable = 0;
    auto linear = detail::compile_matchers(cfg, routable);

    const std::vector<std::string> req_hosts = {"a.test", "b.test", "q.a.test", "x.a.test",
                                                "x.org", "", "c.test"};
    const std::vector<std::string> req_paths = {"/", "/api", "/api/v1/x", "/api/v2",
                                                "/apixy", "/static/a", "/a/../static/b", "/z",
                                                "/b/c/d", "/c/d/e", "/dd", "/e/f/g", "/b"};
    for (int q = 0; q < 200; ++q) {
      Headers h;
      if (rng() % 2) h.add("X-V", "1");
      std::string host = pick(req_hosts);
      std::string path = pick(req_paths);
      std::string method = pick(methods);
      int port = rng() % 2 ? 80 : 8080;
      match_input in{method, host, path, "http", h, port};
      auto got = table->match(in);

      std::string normalized = normalize_path(path);
      detail::request_view req{method, host, port, normalized, &h};
      detail::path_result res;
      const config::Route* want = nullptr;
      for (const auto& m : linear) {
        if (m.matches(req, res)) {
          want = m.route;
          break;
        }
      }
      ASSERT_EQ(got ? got->route : nullptr, want)
          << "round " << round << " " << method << " " << host << ":" << port << path;
    }
  }
}

TEST_F(RoutePrecedence, ConcurrentLookupsFromManyThreadsAgree) {
  route(uid(1)).paths = {R"(~/users/(?<id>\d+))"};
  route(uid(2)).hosts = {"*.example.com"};
  route(uid(3)).paths = {"/static"};
  build();
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Headers h;
      for (int i = 0; i < 2000; ++i) {
        std::string id = std::to_string(t * 10000 + i);
        std::string path = "/users/" + id;
        auto m = table->match(match_input{"GET", "x.org", path, "http", h, 80});
        if (!m || m->captures.size() != 3 || m->captures[1].second != id) ++wrong;
        auto w = table->match(match_input{"GET", "a.example.com", "/other", "http", h, 80});
        if (!w || w->route->id != uid(2)) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace gh::router::testing
