#include "plugins/key-auth/key_auth.h"
#include "tests/unit/plugins/plugin_test_util.h"

using namespace gh;
using namespace gh::plugins::test;
using gh::plugin::Context;
using gh::plugin::Flow;

namespace {

config::DeclarativeConfig make_config() {
  config::DeclarativeConfig cfg;
  cfg.consumers.push_back({"c-alice", "alice", "alice-custom", {}});
  cfg.consumers.push_back({"c-bob", "bob", "", {}});
  cfg.consumers.push_back({"c-anon", "anonymous", "", {}});
  cfg.plugin_entities.push_back({"keyauth_credentials", "cred-alice", "c-alice", {{"key", "alice-key"}}});
  cfg.plugin_entities.push_back({"keyauth_credentials", "cred-bob", "c-bob", {{"key", "bob-key"}}});
  cfg.plugin_entities.push_back(
      {"keyauth_credentials", "cred-expired", "c-bob", {{"key", "old-key"}, {"ttl", 0}}});
  return cfg;
}

class KeyAuth : public ::testing::Test {
 protected:
  std::unique_ptr<plugin::Factory> factory = plugins::make_key_auth_factory();
  config::DeclarativeConfig cfg = make_config();
  Context ctx;
};

}  // namespace

TEST_F(KeyAuth, FactoryHasKongNamePriorityAndEntity) {
  EXPECT_EQ(factory->name(), "key-auth");
  EXPECT_EQ(factory->priority(), 1250);
  ASSERT_EQ(factory->entity_kinds().size(), 1u);
  EXPECT_EQ(factory->entity_kinds()[0], "keyauth_credentials");
}

TEST_F(KeyAuth, DefaultsMatchKong) {
  boost::json::object c;
  EXPECT_TRUE(validate(*factory, "{}", &c).empty());
  EXPECT_EQ(c.at("key_names"), (boost::json::array{"apikey"}));
  EXPECT_EQ(c.at("hide_credentials"), false);
  EXPECT_EQ(c.at("key_in_header"), true);
  EXPECT_EQ(c.at("key_in_query"), true);
  EXPECT_EQ(c.at("key_in_body"), false);
  EXPECT_EQ(c.at("run_on_preflight"), true);
}

TEST_F(KeyAuth, InvalidKeyNameIsRefusedWithHeaderNameMessage) {
  auto errors = validate(*factory, R"({"key_names":["bad name"]})");
  EXPECT_EQ(error_for(errors, "key_names"),
            "bad header name 'bad name', allowed characters are A-Z, a-z, 0-9, '_', and '-'");
  EXPECT_EQ(error_for(validate(*factory, R"({"hide_credentials":"yes"})"), "hide_credentials"), "expected a boolean");
  EXPECT_EQ(error_for(validate(*factory, R"({"nope":1})"), "nope"), "unknown field");
}

TEST_F(KeyAuth, CredentialWithoutKeyGetsGeneratedKey) {
  boost::json::object fields;
  std::vector<plugin::SchemaError> errors;
  factory->validate_entity("keyauth_credentials", fields, errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_TRUE(fields.at("key").is_string());
  EXPECT_EQ(fields.at("key").as_string().size(), 32u);
}

TEST_F(KeyAuth, CredentialWithUnknownFieldOrBadTtlIsRefused) {
  boost::json::object fields{{"key", "k"}, {"ttl", "soon"}, {"color", "red"}};
  std::vector<plugin::SchemaError> errors;
  factory->validate_entity("keyauth_credentials", fields, errors);
  EXPECT_EQ(error_for(errors, "ttl"), "expected an integer");
  EXPECT_EQ(error_for(errors, "color"), "unknown field");
}

TEST_F(KeyAuth, MissingKeyAnswers401NoApiKeyWithWwwAuthenticate) {
  auto p = build(*factory, "{}", &cfg);
  request(ctx, "GET", "/");
  EXPECT_EQ(p->access(ctx), Flow::respond);
  EXPECT_EQ(ctx.exit_status(), 401);
  EXPECT_EQ(exit_message(ctx), "No API key found in request");
  EXPECT_EQ(body_json(ctx).at("request_id"), "req-1");
  EXPECT_EQ(ctx.exit_headers().get("WWW-Authenticate"), "Key");
}

TEST_F(KeyAuth, RealmIsSentInWwwAuthenticate) {
  auto p = build(*factory, R"({"realm":"gatehouse"})", &cfg);
  request(ctx, "GET", "/");
  p->access(ctx);
  EXPECT_EQ(ctx.exit_headers().get("WWW-Authenticate"), "Key realm=\"gatehouse\"");
}

TEST_F(KeyAuth, UnknownKeyAnswers401Unauthorized) {
  auto p = build(*factory, "{}", &cfg);
  request(ctx, "GET", "/");
  ctx.req.headers.add("apikey", "nope");
  EXPECT_EQ(p->access(ctx), Flow::respond);
  EXPECT_EQ(ctx.exit_status(), 401);
  EXPECT_EQ(exit_message(ctx), "Unauthorized");
}

TEST_F(KeyAuth, ValidHeaderKeySetsConsumerAndUpstreamHeaders) {
  auto p = build(*factory, "{}", &cfg);
  request(ctx, "GET", "/");
  ctx.req.headers.add("ApiKey", "alice-key");
  ctx.req.headers.add("X-Anonymous-Consumer", "forged");
  EXPECT_EQ(p->access(ctx), Flow::next);
  ASSERT_NE(ctx.consumer, nullptr);
  EXPECT_EQ(ctx.consumer->username, "alice");
  EXPECT_EQ(ctx.credential_id, "cred-alice");
  EXPECT_FALSE(ctx.anonymous_consumer);
  EXPECT_EQ(ctx.req.headers.get("X-Consumer-ID"), "c-alice");
  EXPECT_EQ(ctx.req.headers.get("X-Consumer-Username"), "alice");
  EXPECT_EQ(ctx.req.headers.get("X-Consumer-Custom-ID"), "alice-custom");
  EXPECT_EQ(ctx.req.headers.get("X-Credential-Identifier"), "cred-alice");
  EXPECT_FALSE(ctx.req.headers.has("X-Anonymous-Consumer"));
  EXPECT_EQ(ctx.req.headers.get("ApiKey"), "alice-key");  // hide_credentials false
}

TEST_F(KeyAuth, ConsumerWithoutCustomIdClearsForgedCustomIdHeader) {
  auto p = build(*factory, "{}", &cfg);
  request(ctx, "GET", "/");
  ctx.req.headers.add("apikey", "bob-key");
  ctx.req.headers.add("X-Consumer-Custom-ID", "forged");
  EXPECT_EQ(p->access(ctx), Flow::next);
  EXPECT_FALSE(ctx.req.headers.has("X-Consumer-Custom-ID"));
}

TEST_F(KeyAuth, KeyInQueryStringIsAcceptedAndDecoded) {
  cfg.plugin_entities.push_back({"keyauth_credentials", "cred-sp", "c-bob", {{"key", "a b/c"}}});
  auto p = build(*factory, "{}", &cfg);
  request(ctx, "GET", "/", "x=1&apikey=a+b%2Fc");
  EXPECT_EQ(p->access(ctx), Flow::next);
  EXPECT_EQ(ctx.credential_id, "cred-sp");
}

TEST_F(KeyAuth, HeaderTakesPrecedenceOverQuery) {
  auto p = build(*factory, "{}", &cfg);
  request(ctx, "GET", "/", "apikey=bob-key");
  ctx.req.headers.add("apikey", "alice-key");
  EXPECT_EQ(p->access(ctx), Flow::next);
  EXPECT_EQ(ctx.credential_id, "cred-alice");
}

TEST_F(KeyAuth, KeyInQueryIgnoredWhenKeyInQueryFalse) {
  auto p = build(*factory, R"({"key_in_query":false})", &cfg);
  request(ctx, "GET", "/", "apikey=bob-key");
  EXPECT_EQ(p->access(ctx), Flow::respond);
  EXPECT_EQ(exit_message(ctx), "No API key found in request");
}

TEST_F(KeyAuth, KeyInHeaderIgnoredWhenKeyInHeaderFalse) {
  auto p = build(*factory, R"({"key_in_header":false})", &cfg);
  request(ctx, "GET", "/");
  ctx.req.headers.add("apikey", "bob-key");
  EXPECT_EQ(p->access(ctx), Flow::respond);
}

TEST_F(KeyAuth, DuplicateKeyInQueryAnswersDuplicateApiKeyFound) {
  auto p = build(*factory, "{}", &cfg);
  request(ctx, "GET", "/", "apikey=bob-key&apikey=alice-key");
  EXPECT_EQ(p->access(ctx), Flow::respond);
  EXPECT_EQ(exit_message(ctx), "Duplicate API key found");
}

TEST_F(KeyAuth, DuplicateKeyHeadersAnswerDuplicateApiKeyFound) {
  auto p = build(*factory, "{}", &cfg);
  request(ctx, "GET", "/");
  ctx.req.headers.add("apikey", "bob-key");
  ctx.req.headers.add("apikey", "alice-key");
  EXPECT_EQ(p->access(ctx), Flow::respond);
  EXPECT_EQ(exit_message(ctx), "Duplicate API key found");
}

TEST_F(KeyAuth, EmptyKeyCountsAsNoKey) {
  auto p = build(*factory, "{}", &cfg);
  request(ctx, "GET", "/", "apikey=");
  EXPECT_EQ(p->access(ctx), Flow::respond);
  EXPECT_EQ(exit_message(ctx), "No API key found in request");
}

TEST_F(KeyAuth, SecondKeyNameIsTriedWhenFirstAbsent) {
  auto p = build(*factory, R"({"key_names":["apikey","x-token"]})", &cfg);
  request(ctx, "GET", "/");
  ctx.req.headers.add("X-Token", "bob-key");
  EXPECT_EQ(p->access(ctx), Flow::next);
  EXPECT_EQ(ctx.credential_id, "cred-bob");
}

TEST_F(KeyAuth, UnderscoreKeyNameMatchesHyphenatedHeaderAsNginxDoes) {
  auto p = build(*factory, R"({"key_names":["api_key"]})", &cfg);
  request(ctx, "GET", "/");
  ctx.req.headers.add("Api-Key", "bob-key");
  EXPECT_EQ(p->access(ctx), Flow::next);
}

TEST_F(KeyAuth, HideCredentialsRemovesHeaderAndQueryArg) {
  auto p = build(*factory, R"({"hide_credentials":true})", &cfg);
  request(ctx, "GET", "/", "a=1&apikey=bob-key&b=2");
  EXPECT_EQ(p->access(ctx), Flow::next);
  EXPECT_EQ(ctx.req.query, "a=1&b=2");
  Context ctx2;
  request(ctx2, "GET", "/");
  ctx2.req.headers.add("apikey", "bob-key");
  EXPECT_EQ(p->access(ctx2), Flow::next);
  EXPECT_FALSE(ctx2.req.headers.has("apikey"));
}

TEST_F(KeyAuth, BodyModeBufferedOnlyWhenKeyInBody) {
  EXPECT_EQ(build(*factory, "{}", &cfg)->request_body_mode(), plugin::BodyMode::none);
  EXPECT_EQ(build(*factory, R"({"key_in_body":true})", &cfg)->request_body_mode(), plugin::BodyMode::buffered);
}

TEST_F(KeyAuth, KeyInFormBodyIsFoundAndHiddenFromUpstream) {
  auto p = build(*factory, R"({"key_in_body":true,"hide_credentials":true})", &cfg);
  request(ctx, "POST", "/");
  ctx.req.headers.add("Content-Type", "application/x-www-form-urlencoded");
  ctx.req.body = "name=x&apikey=bob-key";
  ctx.req.body_buffered = true;
  EXPECT_EQ(p->access(ctx), Flow::next);
  EXPECT_EQ(ctx.credential_id, "cred-bob");
  EXPECT_EQ(ctx.req.body, "name=x");
}

TEST_F(KeyAuth, KeyInJsonBodyIsFoundAndHiddenFromUpstream) {
  auto p = build(*factory, R"({"key_in_body":true,"hide_credentials":true})", &cfg);
  request(ctx, "POST", "/");
  ctx.req.headers.add("Content-Type", "application/json; charset=utf-8");
  ctx.req.body = R"({"apikey":"alice-key","n":1})";
  ctx.req.body_buffered = true;
  EXPECT_EQ(p->access(ctx), Flow::next);
  EXPECT_EQ(ctx.credential_id, "cred-alice");
  EXPECT_EQ(ctx.req.body, R"({"n":1})");
}

TEST_F(KeyAuth, JsonBodyArrayKeyIsDuplicate) {
  auto p = build(*factory, R"({"key_in_body":true})", &cfg);
  request(ctx, "POST", "/");
  ctx.req.headers.add("Content-Type", "application/json");
  ctx.req.body = R"({"apikey":["a","b"]})";
  ctx.req.body_buffered = true;
  EXPECT_EQ(p->access(ctx), Flow::respond);
  EXPECT_EQ(exit_message(ctx), "Duplicate API key found");
}

TEST_F(KeyAuth, KeyInBodyIgnoredWhenKeyInBodyFalse) {
  auto p = build(*factory, "{}", &cfg);
  request(ctx, "POST", "/");
  ctx.req.headers.add("Content-Type", "application/json");
  ctx.req.body = R"({"apikey":"alice-key"})";
  ctx.req.body_buffered = true;
  EXPECT_EQ(p->access(ctx), Flow::respond);
}

TEST_F(KeyAuth, ExpiredCredentialTtlZeroIsUnauthorized) {
  auto p = build(*factory, "{}", &cfg);
  request(ctx, "GET", "/");
  ctx.req.headers.add("apikey", "old-key");
  EXPECT_EQ(p->access(ctx), Flow::respond);
  EXPECT_EQ(exit_message(ctx), "Unauthorized");
}

TEST_F(KeyAuth, PreflightSkippedWhenRunOnPreflightFalse) {
  auto p = build(*factory, R"({"run_on_preflight":false})", &cfg);
  request(ctx, "OPTIONS", "/");
  EXPECT_EQ(p->access(ctx), Flow::next);
  EXPECT_EQ(ctx.consumer, nullptr);
  Context get;
  request(get, "GET", "/");
  EXPECT_EQ(p->access(get), Flow::respond);
}

TEST_F(KeyAuth, PreflightAuthenticatedByDefault) {
  auto p = build(*factory, "{}", &cfg);
  request(ctx, "OPTIONS", "/");
  EXPECT_EQ(p->access(ctx), Flow::respond);
}

TEST_F(KeyAuth, AnonymousByUsernameAuthenticatesFailedRequestsAsAnonymous) {
  auto p = build(*factory, R"({"anonymous":"anonymous"})", &cfg);
  request(ctx, "GET", "/");
  ctx.req.headers.add("apikey", "wrong");
  EXPECT_EQ(p->access(ctx), Flow::next);
  ASSERT_NE(ctx.consumer, nullptr);
  EXPECT_EQ(ctx.consumer->id, "c-anon");
  EXPECT_TRUE(ctx.credential_id.empty());
  EXPECT_TRUE(ctx.anonymous_consumer);
  EXPECT_EQ(ctx.req.headers.get("X-Anonymous-Consumer"), "true");
  EXPECT_EQ(ctx.req.headers.get("X-Consumer-ID"), "c-anon");
  EXPECT_FALSE(ctx.req.headers.has("X-Credential-Identifier"));
}

TEST_F(KeyAuth, AnonymousByIdWithValidKeyStillAuthenticatesRealConsumer) {
  auto p = build(*factory, R"({"anonymous":"c-anon"})", &cfg);
  request(ctx, "GET", "/");
  ctx.req.headers.add("apikey", "alice-key");
  EXPECT_EQ(p->access(ctx), Flow::next);
  EXPECT_EQ(ctx.consumer->id, "c-alice");
  EXPECT_FALSE(ctx.anonymous_consumer);
}

TEST_F(KeyAuth, AnonymousSkipsWhenAnotherPluginAlreadyAuthenticated) {
  auto p = build(*factory, R"({"anonymous":"c-anon"})", &cfg);
  request(ctx, "GET", "/");
  ctx.consumer = &cfg.consumers[1];
  ctx.credential_id = "other-cred";
  EXPECT_EQ(p->access(ctx), Flow::next);
  EXPECT_EQ(ctx.credential_id, "other-cred");
}

TEST_F(KeyAuth, MissingAnonymousConsumerAnswers500) {
  auto p = build(*factory, R"({"anonymous":"ghost"})", &cfg);
  request(ctx, "GET", "/");
  EXPECT_EQ(p->access(ctx), Flow::respond);
  EXPECT_EQ(ctx.exit_status(), 500);
  EXPECT_EQ(exit_message(ctx), "anonymous consumer ghost is configured but doesn't exist");
}

TEST_F(KeyAuth, DuplicateCredentialKeysAreRefusedAtBuild) {
  cfg.plugin_entities.push_back({"keyauth_credentials", "cred-dup", "c-alice", {{"key", "bob-key"}}});
  config::PluginInstance inst;
  inst.name = "key-auth";
  std::vector<plugin::SchemaError> errors;
  factory->validate(inst.config, errors);
  plugin::BuildContext bc;
  bc.config = &cfg;
  EXPECT_THROW(factory->build(inst, bc), std::runtime_error);
}
