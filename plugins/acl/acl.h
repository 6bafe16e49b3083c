// Kong's acl plugin (PRIORITY 950) and its acls entity (consumer, group).
//
// Runs after an auth plugin: allows or denies the authenticated consumer by the groups
// of its acls entities (an index built once per config snapshot), or by
// ctx.authenticated_groups set by plugins that authenticate groups rather than
// consumers. Answers 401 "Unauthorized" without any consumer and 403 "You cannot
// consume this service" when refused; otherwise sends X-Consumer-Groups (or
// X-Authenticated-Groups) upstream unless hide_groups_header. See docs/plugins/acl.md.
#pragma once

#include "plugin/plugin.h"
#include "plugin/registry.h"

#include <memory>

namespace gh::plugins {

std::unique_ptr<plugin::Factory> make_acl_factory();
void register_acl(plugin::Registry& r);

}  // namespace gh::plugins
