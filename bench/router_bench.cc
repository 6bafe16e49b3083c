// Route lookup cost: one route versus Kong's 236-service fixture
// (spec/fixtures/burst.yml, ../shared/compat/kong-examples/09-spec-fixtures-burst-large.yml),
// and the indexed table versus evaluating every matcher in priority order.
//
// The fixture is read with yaml-cpp here (services[].routes[] fields the router uses);
// the real declarative loader lives in src/config/.
#include "router/matcher.h"
#include "router/route_table.h"

#include <benchmark/benchmark.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <string>
#include <vector>

namespace {

using namespace gh;

std::vector<std::string> strings(const YAML::Node& n) {
  std::vector<std::string> out;
  if (n && n.IsSequence()) {
    for (const auto& v : n) out.push_back(v.as<std::string>());
  }
  return out;
}

// Format 1.1 paths become "~regex" unless they only hold plain path characters, as
// Kong's migrate_path_280_300 does.
std::string migrate_path(const std::string& p) {
  for (char c : p) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '-' || c == '_' || c == '~' || c == '/' || c == '%';
    if (!plain) return "~" + p;
  }
  return p;
}

config::DeclarativeConfig load_burst() {
  config::DeclarativeConfig cfg;
  const std::string file =
      std::string(GATEHOUSE_SHARED_DIR) + "/compat/kong-examples/09-spec-fixtures-burst-large.yml";
  YAML::Node root = YAML::LoadFile(file);
  int n = 0;
  for (const auto& s : root["services"]) {
    config::Service svc;
    svc.name = s["name"].as<std::string>();
    svc.id = "svc-" + std::to_string(n++);
    svc.host = s["host"].as<std::string>();
    if (s["path"]) svc.path = s["path"].as<std::string>();
    for (const auto& r : s["routes"]) {
      config::Route route;
      route.name = r["name"].as<std::string>();
      char id[40];
      std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012zu", cfg.routes.size());
      route.id = id;
      route.service_id = svc.id;
      route.hosts = strings(r["hosts"]);
      route.methods = strings(r["methods"]);
      for (const auto& p : strings(r["paths"])) route.paths.push_back(migrate_path(p));
      if (r["protocols"]) route.protocols = strings(r["protocols"]);
      if (r["strip_path"]) route.strip_path = r["strip_path"].as<bool>();
      if (r["regex_priority"]) route.regex_priority = r["regex_priority"].as<int>();
      cfg.routes.push_back(std::move(route));
    }
    cfg.services.push_back(std::move(svc));
  }
  return cfg;
}

config::DeclarativeConfig one_route() {
  config::DeclarativeConfig cfg;
  config::Service svc;
  svc.id = "svc";
  svc.host = "upstream.test";
  cfg.services.push_back(svc);
  config::Route r;
  r.id = "00000000-0000-4000-8000-000000000001";
  r.service_id = "svc";
  r.hosts = {"4test-any.example.test"};
  r.paths = {"/4test/api"};
  r.methods = {"GET"};
  cfg.routes.push_back(r);
  return cfg;
}

struct request {
  std::string method, host, path;
};

// One request per route of the config (its first host, method and path + "/x").
std::vector<request> requests_for(const config::DeclarativeConfig& cfg) {
  std::vector<request> out;
  for (const auto& r : cfg.routes) {
    request q;
    q.method = r.methods.empty() ? "GET" : r.methods.front();
    q.host = r.hosts.empty() ? "any.test" : r.hosts.front();
    q.path = (r.paths.empty() || r.paths.front().starts_with('~')) ? "/" : r.paths.front() + "/x";
    out.push_back(q);
  }
  return out;
}

const config::DeclarativeConfig& burst() {
  static const config::DeclarativeConfig cfg = load_burst();
  return cfg;
}

void run_table(benchmark::State& state, const config::DeclarativeConfig& cfg) {
  auto table = router::route_table::build(cfg);
  auto reqs = requests_for(cfg);
  Headers headers;
  std::size_t i = 0, hits = 0;
  for (auto _ : state) {
    const request& q = reqs[i++ % reqs.size()];
    auto m = table->match(router::match_input{q.method, q.host, q.path, "http", headers, 80});
    hits += m.has_value();
    benchmark::DoNotOptimize(m);
  }
  state.counters["routes"] = double(table->size());
  state.counters["hit_ratio"] = double(hits) / double(state.iterations());
}

void BM_lookup_one_route(benchmark::State& state) {
  static const config::DeclarativeConfig cfg = one_route();
  run_table(state, cfg);
}
BENCHMARK(BM_lookup_one_route);

void BM_lookup_burst_236_services(benchmark::State& state) { run_table(state, burst()); }
BENCHMARK(BM_lookup_burst_236_services);

// Same request every iteration, like BM_lookup_one_route: isolates table size from
// cache effects of cycling through many requests.
void BM_lookup_burst_same_request(benchmark::State& state) {
  auto table = router::route_table::build(burst());
  Headers headers;
  for (auto _ : state) {
    auto m = table->match(router::match_input{"GET", "4test-any.example.test", "/4test/api/x",
                                              "http", headers, 80});
    benchmark::DoNotOptimize(m);
  }
}
BENCHMARK(BM_lookup_burst_same_request);

void BM_lookup_burst_miss(benchmark::State& state) {
  auto table = router::route_table::build(burst());
  Headers headers;
  for (auto _ : state) {
    auto m = table->match(
        router::match_input{"GET", "unknown.example.test", "/nothing/here", "http", headers, 80});
    benchmark::DoNotOptimize(m);
  }
}
BENCHMARK(BM_lookup_burst_miss);

// Baseline: what a linear scan over every matcher in priority order would cost.
void BM_linear_scan_burst_236_services(benchmark::State& state) {
  std::size_t routable = 0;
  auto matchers = router::detail::compile_matchers(burst(), routable);
  auto reqs = requests_for(burst());
  Headers headers;
  router::detail::path_result res;
  std::string normalized;
  std::size_t i = 0;
  for (auto _ : state) {
    const request& q = reqs[i++ % reqs.size()];
    router::normalize_path_into(q.path, normalized);
    router::detail::request_view req{q.method, q.host, 80, normalized, &headers};
    const router::detail::matcher* found = nullptr;
    for (const auto& m : matchers) {
      if (m.matches(req, res)) {
        found = &m;
        break;
      }
    }
    benchmark::DoNotOptimize(found);
  }
}
BENCHMARK(BM_linear_scan_burst_236_services);

void BM_build_burst_236_services(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(router::route_table::build(burst()));
}
BENCHMARK(BM_build_burst_236_services)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
