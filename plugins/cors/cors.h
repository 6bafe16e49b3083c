// Kong's cors plugin (PRIORITY 2000).
//
// Answers CORS preflights (OPTIONS with Origin and Access-Control-Request-Method) itself
// with 200 and the Access-Control-Allow-* headers, unless preflight_continue sends them
// upstream; adds Access-Control-Allow-Origin / -Credentials / -Expose-Headers and
// Vary: Origin to every other response in header_filter. Origins are "*", exact strings
// or regexes (compiled once per snapshot, anchored as Kong anchors them). See
// docs/plugins/cors.md.
#pragma once

#include "plugin/plugin.h"
#include "plugin/registry.h"

#include <memory>

namespace gh::plugins {

std::unique_ptr<plugin::Factory> make_cors_factory();
void register_cors(plugin::Registry& r);

}  // namespace gh::plugins
