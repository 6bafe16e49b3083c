// Validation rules of the declarative loader, one behaviour per test, with Kong's wording.
#include "config/declarative_loader.h"
#include "test_factories.h"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace gh::config {
namespace {

using testing::has_error;

load_result load(const std::string& text) {
  static const plugin::Registry registry = testing::example_registry();
  return load_declarative(text, "kong.yml", registry);
}

std::string v3(const std::string& body) { return "_format_version: \"3.0\"\n" + body; }

TEST(DeclarativeErrors, FormatVersionIsRequired) {
  auto r = load("services: []\n");
  EXPECT_TRUE(has_error(r, "_format_version", "required field missing"));
}

TEST(DeclarativeErrors, FormatVersionMustBeAKnownOne) {
  auto r = load("_format_version: \"4.0\"\n");
  EXPECT_TRUE(has_error(r, "_format_version", "expected one of: 1.1, 2.1, 3.0"));
}

TEST(DeclarativeErrors, UnknownTopLevelKeyIsNamed) {
  auto r = load(v3("servicez: []\n"));
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_TRUE(has_error(r, "servicez", "unknown field"));
}

TEST(DeclarativeErrors, ServiceHostIsRequired) {
  auto r = load(v3("services:\n- name: a\n"));
  EXPECT_TRUE(has_error(r, "host", "required field missing"));
  EXPECT_EQ(r.errors.at(0).entity, "services");
  EXPECT_EQ(r.errors.at(0).entity_name, "a");
}

TEST(DeclarativeErrors, ServicePortTypeAndRangeAreChecked) {
  auto r = load(v3("services:\n- {name: a, host: x, port: \"80\"}\n- {name: b, host: x, port: 70000}\n"));
  EXPECT_TRUE(has_error(r, "port", "expected an integer"));
  EXPECT_TRUE(has_error(r, "port", "value should be between 0 and 65535"));
}

TEST(DeclarativeErrors, ServicePathMustStartWithSlash) {
  auto r = load(v3("services:\n- {name: a, host: x, path: foo}\n"));
  EXPECT_TRUE(has_error(r, "path", "should start with: /"));
}

TEST(DeclarativeErrors, ServiceBooleansRetriesAndTimeoutsAreTyped) {
  auto r = load(v3("services:\n- {name: a, host: x, enabled: \"yes\", retries: -1, "
                   "connect_timeout: 0, tls_verify: 1}\n"));
  EXPECT_TRUE(has_error(r, "enabled", "expected a boolean"));
  EXPECT_TRUE(has_error(r, "retries", "value should be between 0 and 32767"));
  EXPECT_TRUE(has_error(r, "connect_timeout", "value should be between 1 and 2147483646"));
  EXPECT_TRUE(has_error(r, "tls_verify", "expected a boolean"));
}

TEST(DeclarativeErrors, UnknownEntityFieldIsNamed) {
  auto r = load(v3("services:\n- {name: a, host: x, colour: blue}\n"));
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_TRUE(has_error(r, "colour", "unknown field"));
}

TEST(DeclarativeErrors, UrlShorthandSetsProtocolHostPortAndPath) {
  auto r = load(v3("services:\n- {name: a, url: \"http://up.test:8080/base\"}\n"
                   "- {name: b, url: \"https://secure.test\"}\n"));
  ASSERT_TRUE(r.ok()) << format_errors(r, "t");
  EXPECT_EQ(r.config.services[0].host, "up.test");
  EXPECT_EQ(r.config.services[0].port, 8080);
  EXPECT_EQ(r.config.services[0].path, "/base");
  EXPECT_EQ(r.config.services[1].protocol, "https");
  EXPECT_EQ(r.config.services[1].port, 443);
}

TEST(DeclarativeErrors, RoutePathsMustStartWithSlashOrTildeSlash) {
  auto r = load(v3("routes:\n- {name: r, paths: [foo]}\n"));
  EXPECT_TRUE(has_error(r, "paths", "should start with: / (fixed path) or ~/ (regex path)"));
}

TEST(DeclarativeErrors, RouteRegexPathMustCompile) {
  auto r = load(v3("routes:\n- {name: r, paths: [\"~/users/(\"]}\n"));
  EXPECT_TRUE(has_error(r, "paths", "invalid regex: '/users/('"));
}

TEST(DeclarativeErrors, RoutePathWithEmptySegmentIsRefused) {
  auto r = load(v3("routes:\n- {name: r, paths: [\"/a//b\"]}\n"));
  EXPECT_TRUE(has_error(r, "paths", "must not have empty segments"));
}

TEST(DeclarativeErrors, RouteHostsAllowOneWildcardLeftmostOrRightmost) {
  auto ok = load(v3("routes:\n- {name: r, hosts: [\"*.example.com\", \"example.*\", \"a.test:8080\"]}\n"));
  EXPECT_TRUE(ok.ok()) << format_errors(ok, "t");
  auto two = load(v3("routes:\n- {name: r, hosts: [\"*.example.*\"]}\n"));
  EXPECT_TRUE(has_error(two, "hosts", "invalid wildcard: must have at most one wildcard"));
  auto middle = load(v3("routes:\n- {name: r, hosts: [\"a.*.com\"]}\n"));
  EXPECT_TRUE(has_error(middle, "hosts", "invalid wildcard: must be placed at leftmost or rightmost label"));
}

TEST(DeclarativeErrors, RouteHostsAreStoredLowerCase) {
  auto r = load(v3("routes:\n- {name: r, hosts: [Example.COM]}\n"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.config.routes[0].hosts[0], "example.com");
}

TEST(DeclarativeErrors, RouteMethodsMustBeUpperCaseTokens) {
  auto r = load(v3("routes:\n- {name: r, methods: [get]}\n"));
  EXPECT_TRUE(has_error(r, "methods", "invalid value: get"));
}

TEST(DeclarativeErrors, RouteHeadersCannotContainHost) {
  auto r = load(v3("routes:\n- name: r\n  headers: {Host: [a.test], x-v: [\"1\", \"~*^v[0-9]$\"]}\n"));
  ASSERT_EQ(r.errors.size(), 1u) << format_errors(r, "t");
  EXPECT_TRUE(has_error(r, "headers", "cannot contain 'host' header"));
  EXPECT_EQ(r.config.routes[0].headers.at("x-v").size(), 2u);
}

TEST(DeclarativeErrors, RouteProtocolsMustBeOneSubset) {
  auto r = load(v3("routes:\n- {name: r, paths: [/], protocols: [http, tcp]}\n"));
  EXPECT_TRUE(has_error(r, "protocols", "these sets are mutually exclusive"));
  auto bad = load(v3("routes:\n- {name: r, paths: [/], protocols: [htp]}\n"));
  EXPECT_TRUE(has_error(bad, "protocols", "expected one of:"));
}

TEST(DeclarativeErrors, HttpRouteMustSetAMatchingAttribute) {
  auto r = load(v3("routes:\n- {name: r, protocols: [http]}\n"));
  EXPECT_TRUE(has_error(r, "", "must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'"));
}

TEST(DeclarativeErrors, RouteRedirectCodeIsOneOfKongs) {
  auto r = load(v3("routes:\n- {name: r, paths: [/], https_redirect_status_code: 399}\n"));
  EXPECT_TRUE(has_error(r, "https_redirect_status_code", "expected one of: 426, 301, 302, 307, 308"));
}

TEST(DeclarativeErrors, Format11RegexPathsGainTildeAndPlainPathsStay) {
  auto r = load("_format_version: \"1.1\"\nroutes:\n- {name: r, paths: [\"/users/\\\\d+$\", \"/plain-path/v1.2\"]}\n");
  ASSERT_TRUE(r.ok()) << format_errors(r, "t");
  EXPECT_EQ(r.config.routes[0].paths[0], "~/users/\\d+$");
  EXPECT_EQ(r.config.routes[0].paths[1], "/plain-path/v1.2");
  EXPECT_EQ(r.config.format_version, "3.0");
}

TEST(DeclarativeErrors, Format30RegexCharactersWithoutTildeAreNotAPlainPath) {
  auto r = load(v3("routes:\n- {name: r, paths: [\"/users/\\\\d+\"]}\n"));
  EXPECT_TRUE(has_error(r, "paths", "invalid path"));
}

TEST(DeclarativeErrors, ConsumerNeedsUsernameOrCustomId) {
  auto r = load(v3("consumers:\n- tags: [a]\n"));
  EXPECT_TRUE(has_error(r, "", "at least one of these fields must be non-empty: 'custom_id', 'username'"));
}

TEST(DeclarativeErrors, NamesAreUniquePerEntityKind) {
  auto r = load(v3("services:\n- {name: a, host: x}\n- {name: a, host: y}\n"
                   "consumers:\n- username: u\n- username: u\n"));
  EXPECT_TRUE(has_error(r, "name", "uniqueness violation: 'services' entity with name set to 'a' already declared"));
  EXPECT_TRUE(has_error(r, "username", "uniqueness violation: 'consumers' entity with username set to 'u'"));
}

TEST(DeclarativeErrors, UnknownPluginGivesKongMessage) {
  auto r = load(v3("plugins:\n- name: no-such-plugin\n"));
  EXPECT_TRUE(has_error(r, "name", "plugin 'no-such-plugin' not enabled; add it to the 'plugins' configuration property"));
}

TEST(DeclarativeErrors, PluginConfigErrorsCarryTheirPathAndDefaultsAreKept) {
  auto bad = load(v3("plugins:\n- name: minute-limit\n  config: {minute: 0, extra: 1}\n"));
  EXPECT_TRUE(has_error(bad, "config.minute", "value must be greater than 0"));
  EXPECT_TRUE(has_error(bad, "config.extra", "unknown field"));
  auto good = load(v3("plugins:\n- name: minute-limit\n  config: {minute: 5}\n"));
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good.config.plugins[0].config.at("policy").as_string(), "local");
}

TEST(DeclarativeErrors, OnePluginInstancePerNameRouteServiceConsumer) {
  auto r = load(v3("services:\n- name: s\n  host: x\n  plugins: [{name: key-auth}]\n"
                   "plugins:\n- {name: key-auth, service: s}\n- {name: key-auth}\n"));
  ASSERT_EQ(r.errors.size(), 1u) << format_errors(r, "t");
  EXPECT_TRUE(has_error(r, "name", "uniqueness violation: 'plugins' entity"));
}

TEST(DeclarativeErrors, ReferencesThatDoNotResolveAreNamed) {
  auto r = load(v3("routes:\n- {name: r, paths: [/], service: nope}\n"
                   "plugins:\n- {name: key-auth, consumer: ghost}\n"
                   "targets:\n- {target: a.test, upstream: none}\n"));
  EXPECT_TRUE(has_error(r, "service", "invalid reference 'service: nope' (no such entry in 'services')"));
  EXPECT_TRUE(has_error(r, "consumer", "invalid reference 'consumer: ghost' (no such entry in 'consumers')"));
  EXPECT_TRUE(has_error(r, "upstream", "invalid reference 'upstream: none' (no such entry in 'upstreams')"));
}

TEST(DeclarativeErrors, ReferencesResolveByNameOrId) {
  auto r = load(v3("services:\n- {name: s, id: 3f8a0b1e-1c2d-4e5f-8a9b-0c1d2e3f4a5b, host: x}\n"
                   "routes:\n- {name: a, paths: [/a], service: s}\n"
                   "- {name: b, paths: [/b], service: 3F8A0B1E-1C2D-4E5F-8A9B-0C1D2E3F4A5B}\n"
                   "- {name: c, paths: [/c], service: {id: 3f8a0b1e-1c2d-4e5f-8a9b-0c1d2e3f4a5b}}\n"));
  ASSERT_TRUE(r.ok()) << format_errors(r, "t");
  for (const auto& route : r.config.routes)
    EXPECT_EQ(route.service_id, "3f8a0b1e-1c2d-4e5f-8a9b-0c1d2e3f4a5b");
}

TEST(DeclarativeErrors, PluginOnConsumerAndServiceIsTopLevel) {
  auto r = load(v3("services: [{name: s, host: x}]\nconsumers: [{username: u}]\n"
                   "plugins:\n- {name: rate-limiting, consumer: u, service: s}\n"));
  ASSERT_TRUE(r.ok()) << format_errors(r, "t");
  EXPECT_EQ(r.config.plugins[0].consumer_id, r.config.consumers[0].id);
  EXPECT_EQ(r.config.plugins[0].service_id, r.config.services[0].id);
}

TEST(DeclarativeErrors, TargetWeightAndAddressAreChecked) {
  auto r = load(v3("upstreams:\n- name: u\n  targets:\n  - {target: \"a.test:99999\"}\n"
                   "  - {target: b.test, weight: 70000}\n  - {target: \"[::1]:81\"}\n"));
  EXPECT_TRUE(has_error(r, "target", "Invalid target ('a.test:99999')"));
  EXPECT_TRUE(has_error(r, "weight", "value should be between 0 and 65535"));
  EXPECT_EQ(r.config.targets.at(2).target, "[::1]:81");
}

TEST(DeclarativeErrors, UpstreamNameIsAHostnameNotAnAddress) {
  auto r = load(v3("upstreams:\n- name: 10.0.0.1\n"));
  EXPECT_TRUE(has_error(r, "name", "no ip addresses allowed"));
}

TEST(DeclarativeErrors, HealthcheckFieldsAreValidatedWithTheirPath) {
  auto r = load(v3("upstreams:\n- name: u\n  healthchecks:\n    active: {concurrency: 0}\n"
                   "    passive: {healthy: {successes: 300}, colour: red}\n"));
  EXPECT_TRUE(has_error(r, "healthchecks.active.concurrency", "value should be between 1"));
  EXPECT_TRUE(has_error(r, "healthchecks.passive.healthy.successes", "value should be between 0 and 255"));
  EXPECT_TRUE(has_error(r, "healthchecks.passive.colour", "unknown field"));
}

TEST(DeclarativeErrors, PluginEntityNeedsAConsumerAndAnOwner) {
  auto r = load(v3("keyauth_credentials:\n- key: secret-key-123\n"
                   "consumers:\n- username: u\n  hmacauth_credentials: [{username: x}]\n"));
  EXPECT_TRUE(has_error(r, "consumer", "required field missing"));
  EXPECT_TRUE(has_error(r, "hmacauth_credentials", "unknown field"));
  // Credential keys are secrets: they never name the entity in messages.
  EXPECT_EQ(format_errors(r, "kong.yml").find("secret-key-123"), std::string::npos);
}

TEST(DeclarativeErrors, TypeErrorsWhereListsOrRecordsAreExpected) {
  auto r = load(v3("services: abc\nroutes: [1, {name: r, paths: /x}]\nconsumers: {a: 1}\n"));
  EXPECT_TRUE(has_error(r, "services", "expected an array"));
  EXPECT_TRUE(has_error(r, "", "expected a record"));
  EXPECT_TRUE(has_error(r, "paths", "expected an array"));
  EXPECT_TRUE(has_error(r, "consumers", "expected an array"));
}

TEST(DeclarativeErrors, EveryProblemIsListedAtOnce) {
  auto r = load(v3("services:\n- {name: a, port: x}\n- {name: b, host: y, path: z}\n"
                   "routes:\n- {name: r, methods: [get], service: missing}\n"
                   "plugins:\n- name: nope\nbogus: 1\n"));
  EXPECT_TRUE(has_error(r, "host", "required field missing"));
  EXPECT_TRUE(has_error(r, "port", "expected an integer"));
  EXPECT_TRUE(has_error(r, "path", "should start with: /"));
  EXPECT_TRUE(has_error(r, "methods", "invalid value: get"));
  EXPECT_TRUE(has_error(r, "service", "invalid reference"));
  EXPECT_TRUE(has_error(r, "name", "plugin 'nope' not enabled"));
  EXPECT_TRUE(has_error(r, "bogus", "unknown field"));
  EXPECT_EQ(r.errors.size(), 7u) << format_errors(r, "t");
}

TEST(DeclarativeErrors, FormatErrorsPrintsFileEntityNameFieldAndReason) {
  auto r = load(v3("services:\n- {name: svc, host: x, port: 70000}\n"));
  EXPECT_EQ(format_errors(r, "kong.yml"),
            "kong.yml: services 'svc': port: value should be between 0 and 65535\n");
}

TEST(DeclarativeErrors, KongErrorJsonHasCode14FieldsAndFlattenedErrors) {
  auto r = load(v3("services:\n- {name: svc, host: x, port: 70000}\n"));
  auto body = kong_error_json(r);
  EXPECT_EQ(body.at("code").as_int64(), 14);
  EXPECT_EQ(body.at("name").as_string(), "invalid declarative configuration");
  EXPECT_EQ(body.at("fields").at("services").at("svc").at("port").as_string(),
            "value should be between 0 and 65535");
  const auto& flat = body.at("flattened_errors").as_array().at(0).as_object();
  EXPECT_EQ(flat.at("entity_type").as_string(), "service");
  EXPECT_EQ(flat.at("entity_name").as_string(), "svc");
  EXPECT_EQ(flat.at("errors").at(0).at("field").as_string(), "port");
  EXPECT_NE(std::string(body.at("message").as_string()).find("port: value should be between"),
            std::string::npos);
}

TEST(DeclarativeErrors, JsonTextLoadsLikeYaml) {
  auto r = load(R"({"_format_version": "3.0", "services": [{"name": "a", "host": "x", "port": 81,
                    "routes": [{"name": "r", "paths": ["/"], "strip_path": false}]}]})");
  ASSERT_TRUE(r.ok()) << format_errors(r, "t");
  EXPECT_EQ(r.config.services[0].port, 81);
  EXPECT_FALSE(r.config.routes[0].strip_path);
}

TEST(DeclarativeErrors, TruncatedOrDeepJsonIsRefusedWithErrors) {
  std::string json = R"({"_format_version": "3.0", "services": [{"name": "a", "host": "x"}]})";
  for (std::size_t cut = 1; cut < json.size(); ++cut)
    EXPECT_NO_THROW(load(json.substr(0, cut)));
  EXPECT_FALSE(load(json.substr(0, json.size() - 1)).ok());
  std::string deep = R"({"_format_version": "3.0", "_ignore": )" + std::string(5000, '[') +
                     std::string(5000, ']') + "}";
  EXPECT_FALSE(load(deep).ok());
}

TEST(DeclarativeErrors, CommentAndIgnoreAreAllowedOnEntitiesAndTyped) {
  auto ok = load(v3("_comment: top\nservices:\n- {name: a, host: x, _comment: c, _ignore: [1, {a: b}]}\n"));
  EXPECT_TRUE(ok.ok()) << format_errors(ok, "t");
  auto bad = load(v3("services:\n- {name: a, host: x, _comment: [1], _ignore: z}\n"));
  EXPECT_TRUE(has_error(bad, "_comment", "expected a string"));
  EXPECT_TRUE(has_error(bad, "_ignore", "expected an array"));
}

TEST(DeclarativeErrors, InvalidExplicitIdIsRefused) {
  auto r = load(v3("services:\n- {name: a, host: x, id: not-a-uuid}\n"));
  EXPECT_TRUE(has_error(r, "id", "expected a valid UUID"));
}

}  // namespace
}  // namespace gh::config
