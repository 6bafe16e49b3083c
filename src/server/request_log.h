// The end of every request: metrics and the optional JSON access log.
//
// Runs on the worker after the response went out (and after the plugins' log phase).
// The access log carries method, path, status, latencies, consumer and request id,
// never headers, credentials or bodies.
#pragma once

#include "plugin/context.h"
#include "server/upstream_exchange.h"

#include <memory>
#include <string>

namespace spdlog {
class logger;
}

namespace gh::server {

class worker;

void log_request(worker& w, plugin::Context& ctx, const exchange_outcome& outcome);

// Opens the access log ("off" disables it); called once at startup.
void open_access_log(const std::string& path);

}  // namespace gh::server
