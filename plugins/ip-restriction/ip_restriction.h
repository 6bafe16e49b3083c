// Kong's ip-restriction plugin (PRIORITY 990).
//
// Refuses a request whose client address (ctx.req.client_ip: the peer, or the address
// from X-Forwarded-For when the peer is in trusted_ips, as Kong's realip does) matches
// config.deny, or does not match config.allow when allow is set; deny is checked first.
// Answers config.status (default 403) with config.message (default "IP address not
// allowed: <ip>"). See docs/plugins/ip-restriction.md.
#pragma once

#include "plugin/plugin.h"
#include "plugin/registry.h"

#include <memory>

namespace gh::plugins {

std::unique_ptr<plugin::Factory> make_ip_restriction_factory();
void register_ip_restriction(plugin::Registry& r);

}  // namespace gh::plugins
