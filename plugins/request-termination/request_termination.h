// Kong's request-termination plugin (PRIORITY 2).
//
// Answers every request (or, with config.trigger, only those carrying that header or
// query argument) without calling the upstream: status_code with {"message": ...}
// (message, else Kong's default text for the status), or a raw body with content_type,
// or with echo a JSON copy of the request for debugging. See
// docs/plugins/request-termination.md.
#pragma once

#include "plugin/plugin.h"
#include "plugin/registry.h"

#include <memory>

namespace gh::plugins {

std::unique_ptr<plugin::Factory> make_request_termination_factory();
void register_request_termination(plugin::Registry& r);

}  // namespace gh::plugins
