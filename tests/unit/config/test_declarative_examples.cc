// Kong's own example files (../shared/compat/kong-examples): each loads as Kong loads it,
// or is refused for the reason Kong gives.
#include "config/declarative_loader.h"
#include "config/uuid.h"
#include "test_factories.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>

namespace gh::config {
namespace {

using testing::example_path;
using testing::example_registry;
using testing::has_error;

load_result load_example(const std::string& file) {
  static const plugin::Registry registry = example_registry();
  auto r = load_declarative_file(example_path(file), registry);
  EXPECT_TRUE(r.ok()) << format_errors(r, file);
  return r;
}

// Kong: valid, empty config (every entity is commented out; _transform/_comment/_ignore).
TEST(KongExamples, File01ConfigInitTemplateLoadsAsEmptyConfig) {
  auto r = load_example("01-config-init-template.yml");
  EXPECT_EQ(r.config.format_version, "3.0");
  EXPECT_TRUE(r.config.services.empty());
  EXPECT_TRUE(r.config.plugins.empty());
}

// Kong: valid; db_import gives foo=2 plugins, bar=3 plugins, plus the global one.
TEST(KongExamples, File02DbImportLoadsNestedPluginsPerServiceAndGlobalPluginWithFixedId) {
  auto r = load_example("02-cmd-config-db-import.yml");
  ASSERT_EQ(r.config.services.size(), 2u);
  ASSERT_EQ(r.config.routes.size(), 2u);
  const auto& foo = r.config.services[0];
  const auto& bar = r.config.services[1];
  EXPECT_EQ(foo.name, "foo");
  EXPECT_EQ(foo.protocol, "https");
  EXPECT_EQ(bar.port, 3000);
  auto count = [&](const std::string& sid) {
    return std::count_if(r.config.plugins.begin(), r.config.plugins.end(),
                         [&](const PluginInstance& p) { return p.service_id == sid; });
  };
  EXPECT_EQ(count(foo.id), 2);
  EXPECT_EQ(count(bar.id), 3);
  auto global = std::find_if(r.config.plugins.begin(), r.config.plugins.end(),
                             [](const PluginInstance& p) { return p.name == "correlation-id"; });
  ASSERT_NE(global, r.config.plugins.end());
  EXPECT_EQ(global->id, "467f719f-a544-4a8f-bc4b-7cd12913a9d4");
  EXPECT_TRUE(global->service_id.empty() && global->route_id.empty());
  // header_name: null means "unset" (the schema default applies), so it is dropped.
  EXPECT_FALSE(global->config.contains("header_name"));
  EXPECT_EQ(r.config.routes[0].service_id, foo.id);
  EXPECT_EQ(r.config.routes[0].hosts, std::vector<std::string>{"foo.test"});
}

// The same file is refused when its plugins are not enabled, naming each plugin.
TEST(KongExamples, File02RefusedWithKongMessageWhenPluginsAreNotEnabled) {
  plugin::Registry empty;
  auto r = load_declarative_file(example_path("02-cmd-config-db-import.yml"), empty);
  ASSERT_FALSE(r.ok());
  for (const char* name : {"key-auth", "http-log", "basic-auth", "tcp-log", "rate-limiting",
                           "correlation-id"}) {
    EXPECT_TRUE(has_error(r, "name", std::string("plugin '") + name +
                                         "' not enabled; add it to the 'plugins' configuration "
                                         "property"))
        << name;
  }
  EXPECT_EQ(r.errors.size(), 6u) << format_errors(r, "02");
}

// Kong: POST /config -> 201; target without port gets 8000; healthchecks defaults filled.
TEST(KongExamples, File03UnnamedServiceAndPassiveHealthchecksLoadWithDefaults) {
  auto r = load_example("03-dbless-upstream-passive-healthchecks.yml");
  ASSERT_EQ(r.config.services.size(), 1u);
  EXPECT_TRUE(r.config.services[0].name.empty());
  EXPECT_EQ(r.config.services[0].host, "foo");
  EXPECT_EQ(r.config.services[0].port, 80);
  ASSERT_EQ(r.config.targets.size(), 1u);
  EXPECT_EQ(r.config.targets[0].target, "10.20.30.40:8000");
  EXPECT_EQ(r.config.targets[0].weight, 100);
  ASSERT_EQ(r.config.upstreams.size(), 1u);
  EXPECT_EQ(r.config.targets[0].upstream_id, r.config.upstreams[0].id);
  const auto& hc = r.config.upstreams[0].healthchecks;
  EXPECT_EQ(hc.at("passive").at("healthy").at("successes").as_int64(), 1);
  EXPECT_EQ(hc.at("passive").at("unhealthy").at("http_failures").as_int64(), 1);
  EXPECT_EQ(hc.at("passive").at("unhealthy").at("tcp_failures").as_int64(), 0);
  EXPECT_EQ(hc.at("active").at("concurrency").as_int64(), 10);
  EXPECT_EQ(hc.at("active").at("http_path").as_string(), "/");
  EXPECT_EQ(hc.at("threshold").as_int64(), 0);
}

// Kong: 201; explicit ids kept, url shorthand https -> 443, credential nested in consumer.
TEST(KongExamples, File04ExplicitIdsUrlShorthandAndNestedCredentialLoad) {
  auto r = load_example("04-dbless-keyauth-consumer-with-ids.yml");
  ASSERT_EQ(r.config.services.size(), 1u);
  const auto& s = r.config.services[0];
  EXPECT_EQ(s.id, "0855b320-0dd2-547d-891d-601e9b38647f");
  EXPECT_EQ(s.protocol, "https");
  EXPECT_EQ(s.host, "example.com");
  EXPECT_EQ(s.port, 443);
  EXPECT_EQ(s.path, "");
  ASSERT_EQ(r.config.plugin_entities.size(), 1u);
  const auto& cred = r.config.plugin_entities[0];
  EXPECT_EQ(cred.kind, "keyauth_credentials");
  EXPECT_EQ(cred.id, "487ab43c-b2c9-51ec-8da5-367586ea2b61");
  EXPECT_EQ(cred.consumer_id, "4b1b701d-de2b-5588-9aa2-3b97061d9f52");
  EXPECT_EQ(cred.fields.at("key").as_string(), "my-key");
  EXPECT_EQ(r.config.routes.at(0).service_id, s.id);
}

// The ids in file 04 were generated by Kong; without them we generate the same ones.
TEST(KongExamples, GeneratedIdsEqualKongsForNamedEntities) {
  std::string text = testing::read_file(example_path("04-dbless-keyauth-consumer-with-ids.yml"));
  std::string stripped;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (line.find(" id: ") == std::string::npos) stripped += line + "\n";
  auto registry = example_registry();
  auto r = load_declarative(stripped, "04-without-ids", registry);
  ASSERT_TRUE(r.ok()) << format_errors(r, "04");
  EXPECT_EQ(r.config.services[0].id, "0855b320-0dd2-547d-891d-601e9b38647f");
  EXPECT_EQ(r.config.routes[0].id, "481a9539-f49c-51b6-b2e2-fe99ee68866c");
  EXPECT_EQ(r.config.consumers[0].id, "4b1b701d-de2b-5588-9aa2-3b97061d9f52");
  EXPECT_EQ(r.config.plugin_entities[0].id, "487ab43c-b2c9-51ec-8da5-367586ea2b61");
  // The spec file pairs the two plugin ids the other way round from Kong's own key
  // ("plugins:<name>::<service id>:") for each name; the pair of ids is Kong's either way.
  std::set<std::string> plugin_ids;
  for (const auto& p : r.config.plugins) plugin_ids.insert(p.id);
  EXPECT_EQ(plugin_ids, (std::set<std::string>{"0611a5a9-de73-5a2d-a4e6-6a38ad4c3cb2",
                                               "661199ff-aa1c-5498-982c-d57a4bd6e48b"}));
}

// Kong: valid; key "my-key" belongs to my-user; key-auth applies to my-service.
TEST(KongExamples, File05KeyAuthOnServiceAndConsumerKeyLoad) {
  auto r = load_example("05-reload-keyauth-regression-5705.yml");
  ASSERT_EQ(r.config.plugins.size(), 1u);
  EXPECT_EQ(r.config.plugins[0].service_id, r.config.services.at(0).id);
  EXPECT_EQ(r.config.services[0].port, 15556);
  ASSERT_EQ(r.config.plugin_entities.size(), 1u);
  EXPECT_EQ(r.config.plugin_entities[0].consumer_id, r.config.consumers.at(0).id);
}

// Kong: valid; nested weighted target.
TEST(KongExamples, File06UpstreamWithWeightedTargetLoads) {
  auto r = load_example("06-reload-upstream-target.yml");
  ASSERT_EQ(r.config.targets.size(), 1u);
  EXPECT_EQ(r.config.targets[0].target, "127.0.0.1:15555");
  EXPECT_EQ(r.config.targets[0].weight, 100);
  EXPECT_EQ(r.config.services.at(0).port, 15555);
  EXPECT_EQ(r.config.services.at(0).protocol, "http");
}

// Kong: valid; top-level targets reference their upstream by name.
TEST(KongExamples, File07TopLevelTargetsResolveUpstreamByName) {
  auto r = load_example("07-flatten-targets-toplevel.yml");
  ASSERT_EQ(r.config.upstreams.size(), 2u);
  ASSERT_EQ(r.config.targets.size(), 2u);
  EXPECT_EQ(r.config.targets[0].upstream_id, r.config.upstreams[0].id);
  EXPECT_EQ(r.config.targets[1].upstream_id, r.config.upstreams[1].id);
  // Same target string under two upstreams: distinct ids (key includes the upstream).
  EXPECT_NE(r.config.targets[0].id, r.config.targets[1].id);
  EXPECT_EQ(r.config.targets[0].weight, 1);
}

// Kong: valid; top-level jwt_secrets reference the consumer by username.
TEST(KongExamples, File08TopLevelJwtSecretResolvesConsumerByName) {
  auto r = load_example("08-flatten-jwt-secrets-rs256.yml");
  ASSERT_EQ(r.config.plugin_entities.size(), 1u);
  const auto& secret = r.config.plugin_entities[0];
  EXPECT_EQ(secret.kind, "jwt_secrets");
  EXPECT_EQ(secret.consumer_id, r.config.consumers.at(0).id);
  EXPECT_EQ(secret.fields.at("algorithm").as_string(), "RS256");
  EXPECT_NE(std::string(secret.fields.at("rsa_public_key").as_string()).find("BEGIN PUBLIC KEY"),
            std::string::npos);
}

// Kong: file 08 without a jwt plugin is refused: jwt_secrets is then an unknown entity.
TEST(KongExamples, File08RefusedWhenNoPluginOwnsJwtSecrets) {
  plugin::Registry empty;
  auto r = load_declarative_file(example_path("08-flatten-jwt-secrets-rs256.yml"), empty);
  EXPECT_TRUE(has_error(r, "jwt_secrets", "unknown field")) << format_errors(r, "08");
}

// Kong: valid (load/perf fixture, format 1.1). Loads in well under a second (a bound).
TEST(KongExamples, File09LargeBurstFixtureLoadsQuickly) {
  auto registry = example_registry();
  auto start = std::chrono::steady_clock::now();
  auto r = load_declarative_file(example_path("09-spec-fixtures-burst-large.yml"), registry);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r.ok()) << format_errors(r, "09");
  EXPECT_LT(elapsed, std::chrono::seconds(1));
  EXPECT_EQ(r.config.services.size(), 236u);
  EXPECT_EQ(r.config.upstreams.size(), 236u);
  EXPECT_EQ(r.config.plugins.size(), 95u);
  EXPECT_EQ(std::count_if(r.config.plugins.begin(), r.config.plugins.end(),
                          [](const PluginInstance& p) { return p.name == "ip-restriction"; }),
            94);
  for (const auto& route : r.config.routes) EXPECT_FALSE(route.service_id.empty());
}

TEST(KongExamples, ReloadingTheSameFileKeepsEveryId) {
  auto registry = example_registry();
  auto a = load_declarative_file(example_path("03-dbless-upstream-passive-healthchecks.yml"), registry);
  auto b = load_declarative_file(example_path("03-dbless-upstream-passive-healthchecks.yml"), registry);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a.config.services[0].id, b.config.services[0].id);
  EXPECT_EQ(a.config.routes[0].id, b.config.routes[0].id);
  EXPECT_EQ(a.config.targets[0].id, b.config.targets[0].id);
  EXPECT_TRUE(is_uuid(a.config.routes[0].id));
}

TEST(KongExamples, CheckConfigFileSummarisesCounts) {
  auto registry = example_registry();
  std::ostringstream out;
  EXPECT_TRUE(check_config_file(example_path("06-reload-upstream-target.yml"), registry, out));
  EXPECT_EQ(out.str().rfind("ok: 1 services, 1 routes, 0 consumers, 0 plugins, 1 upstreams, 1 targets", 0), 0u)
      << out.str();
}

}  // namespace
}  // namespace gh::config
