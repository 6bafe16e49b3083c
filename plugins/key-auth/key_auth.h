// Kong's key-auth plugin (PRIORITY 1250) and its keyauth_credentials entity.
//
// Finds an API key in a header, the query string or the body (config.key_names, in that
// order per name), looks it up in a hash map built once per config snapshot from the
// keyauth_credentials entities, and authenticates the request as the credential's
// consumer: ctx.consumer / ctx.credential_id and Kong's X-Consumer-* upstream headers.
// Failures answer 401 with Kong's messages and WWW-Authenticate; with config.anonymous
// the request continues as the anonymous consumer instead ("logical OR" of auth plugins).
// See docs/plugins/key-auth.md.
#pragma once

#include "config/model.h"
#include "plugin/context.h"
#include "plugin/plugin.h"
#include "plugin/registry.h"

#include <memory>
#include <string_view>

namespace gh::plugins {

std::unique_ptr<plugin::Factory> make_key_auth_factory();
void register_key_auth(plugin::Registry& r);

// Kong's set_consumer for every auth plugin: sets ctx.consumer, ctx.credential_id and
// ctx.anonymous_consumer, and the upstream headers X-Consumer-ID, X-Consumer-Custom-ID,
// X-Consumer-Username, X-Credential-Identifier and X-Anonymous-Consumer (set to "true"
// when `credential_id` is empty, i.e. the anonymous consumer), clearing those that do
// not apply so a client cannot forge them. `consumer` and `credential_id` are kept by
// reference: they must live as long as the request (the plugin's snapshot does).
void set_authenticated_consumer(plugin::Context& ctx, const config::Consumer* consumer,
                                std::string_view credential_id);

// Finds a consumer by id, else by username (Kong's anonymous lookup); nullptr if none.
const config::Consumer* find_consumer(const config::DeclarativeConfig& cfg, std::string_view id_or_username);

}  // namespace gh::plugins
