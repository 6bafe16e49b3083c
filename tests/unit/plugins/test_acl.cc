#include "plugins/acl/acl.h"
#include "plugins/key-auth/key_auth.h"
#include "tests/unit/plugins/plugin_test_util.h"

using namespace gh;
using namespace gh::plugins::test;
using gh::plugin::Context;
using gh::plugin::Flow;

namespace {

class Acl : public ::testing::Test {
 protected:
  Acl() {
    cfg.consumers.push_back({"c-admin", "admin", "", {}});
    cfg.consumers.push_back({"c-user", "user", "", {}});
    cfg.consumers.push_back({"c-none", "nobody", "", {}});
    cfg.plugin_entities.push_back({"acls", "a1", "c-admin", {{"group", "admins"}}});
    cfg.plugin_entities.push_back({"acls", "a2", "c-admin", {{"group", "users"}}});
    cfg.plugin_entities.push_back({"acls", "a3", "c-user", {{"group", "users"}}});
    request(ctx, "GET", "/");
  }
  void login(int i, std::string_view cred = "cred") {  // cred: a literal (Context views it)
    ctx.consumer = &cfg.consumers[i];
    ctx.credential_id = cred;
  }
  std::unique_ptr<plugin::Factory> factory = plugins::make_acl_factory();
  config::DeclarativeConfig cfg;
  Context ctx;
};

}  // namespace

TEST_F(Acl, FactoryHasKongNamePriorityAndEntity) {
  EXPECT_EQ(factory->name(), "acl");
  EXPECT_EQ(factory->priority(), 950);
  EXPECT_EQ(factory->entity_kinds().at(0), "acls");
}

TEST_F(Acl, AllowAndDenyTogetherAreRefused) {
  auto errors = validate(*factory, R"({"allow":["a"],"deny":["b"]})");
  EXPECT_EQ(error_for(errors, "@entity"),
            "exactly one of these fields must be non-empty: 'config.allow', 'config.deny'");
}

TEST_F(Acl, NeitherAllowNorDenyIsRefused) {
  auto errors = validate(*factory, "{}");
  EXPECT_EQ(error_for(errors, "@entity"),
            "at least one of these fields must be non-empty: 'config.allow', 'config.deny'");
}

TEST_F(Acl, AclEntityRequiresGroup) {
  boost::json::object fields;
  std::vector<plugin::SchemaError> errors;
  factory->validate_entity("acls", fields, errors);
  EXPECT_EQ(error_for(errors, "group"), "required field missing");
}

TEST_F(Acl, NoConsumerAnswers401Unauthorized) {
  auto p = build(*factory, R"({"allow":["admins"]})", &cfg);
  EXPECT_EQ(p->access(ctx), Flow::respond);
  EXPECT_EQ(ctx.exit_status(), 401);
  EXPECT_EQ(exit_message(ctx), "Unauthorized");
}

TEST_F(Acl, AllowedGroupPassesWithConsumerGroupsHeader) {
  auto p = build(*factory, R"({"allow":["admins"]})", &cfg);
  login(0);
  EXPECT_EQ(p->access(ctx), Flow::next);
  EXPECT_EQ(ctx.req.headers.get("X-Consumer-Groups"), "admins, users");
}

TEST_F(Acl, ConsumerNotInAllowListAnswers403) {
  auto p = build(*factory, R"({"allow":["admins"]})", &cfg);
  login(1);
  EXPECT_EQ(p->access(ctx), Flow::respond);
  EXPECT_EQ(ctx.exit_status(), 403);
  EXPECT_EQ(exit_message(ctx), "You cannot consume this service");
}

TEST_F(Acl, DeniedGroupAnswers403) {
  auto p = build(*factory, R"({"deny":["admins"]})", &cfg);
  login(0);
  EXPECT_EQ(p->access(ctx), Flow::respond);
  EXPECT_EQ(ctx.exit_status(), 403);
}

TEST_F(Acl, ConsumerWithoutGroupsPassesDenyList) {
  auto p = build(*factory, R"({"deny":["admins"]})", &cfg);
  login(2);
  EXPECT_EQ(p->access(ctx), Flow::next);
}

TEST_F(Acl, ConsumerWithoutGroupsAnswers403OnAllowList) {
  auto p = build(*factory, R"({"allow":["admins"]})", &cfg);
  login(2);
  EXPECT_EQ(p->access(ctx), Flow::respond);
  EXPECT_EQ(ctx.exit_status(), 403);
}

TEST_F(Acl, AnonymousConsumerWithoutGroupsAnswers401OnAllowList) {
  auto p = build(*factory, R"({"allow":["admins"]})", &cfg);
  login(2, "");
  EXPECT_EQ(p->access(ctx), Flow::respond);
  EXPECT_EQ(ctx.exit_status(), 401);
}

TEST_F(Acl, HideGroupsHeaderSuppressesXConsumerGroups) {
  auto p = build(*factory, R"({"allow":["users"],"hide_groups_header":true})", &cfg);
  login(1);
  EXPECT_EQ(p->access(ctx), Flow::next);
  EXPECT_FALSE(ctx.req.headers.has("X-Consumer-Groups"));
}

TEST_F(Acl, AuthenticatedGroupsUsedWithoutConsumerAndSentAsXAuthenticatedGroups) {
  auto p = build(*factory, R"({"allow":["ops"]})", &cfg);
  ctx.authenticated_groups = {"ops", "dev"};
  EXPECT_EQ(p->access(ctx), Flow::next);
  EXPECT_EQ(ctx.req.headers.get("X-Authenticated-Groups"), "ops, dev");
}

TEST_F(Acl, AuthenticatedGroupsIgnoredForCredentialedConsumerUnlessAlwaysUse) {
  auto p = build(*factory, R"({"allow":["ops"]})", &cfg);
  login(1);
  ctx.authenticated_groups = {"ops"};
  EXPECT_EQ(p->access(ctx), Flow::respond);

  auto always = build(*factory, R"({"allow":["ops"],"always_use_authenticated_groups":true})", &cfg);
  Context c2;
  request(c2, "GET", "/");
  c2.consumer = &cfg.consumers[1];
  c2.credential_id = "cred";
  c2.authenticated_groups = {"ops"};
  EXPECT_EQ(always->access(c2), Flow::next);
}

TEST_F(Acl, WorksAfterKeyAuthResolvedTheConsumer) {
  cfg.plugin_entities.push_back({"keyauth_credentials", "k1", "c-admin", {{"key", "secret"}}});
  auto key_auth = build(*plugins::make_key_auth_factory(), "{}", &cfg);
  auto acl = build(*factory, R"({"allow":["admins"]})", &cfg);
  ctx.req.headers.add("apikey", "secret");
  ASSERT_EQ(key_auth->access(ctx), Flow::next);
  EXPECT_EQ(acl->access(ctx), Flow::next);
  EXPECT_EQ(ctx.req.headers.get("X-Consumer-Groups"), "admins, users");
}
