#include "server/request_log.h"

#include "metrics/proxy_metrics.h"
#include "metrics/request_options.h"
#include "server/worker.h"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace gh::server {

namespace {
std::shared_ptr<spdlog::logger> access_logger;

void append_json_field(std::string& out, std::string_view key, std::string_view value) {
  out += '"';
  out += key;
  out += "\":";
  out += boost::json::serialize(boost::json::string(value));
  out += ',';
}
}  // namespace

void open_access_log(const std::string& path) {
  if (path.empty() || path == "off") return;
  if (path == "stdout") {
    access_logger = spdlog::stdout_logger_mt("access");
  } else {
    access_logger = spdlog::basic_logger_mt("access", path);
  }
  access_logger->set_pattern("%v");
  access_logger->flush_on(spdlog::level::info);
}

void log_request(worker& w, plugin::Context& ctx, const exchange_outcome&) {
  auto now = std::chrono::steady_clock::now();
  if (w.metrics()) {
    auto sample = metrics::sample_from(ctx, now);
    w.metrics()->record(w.index(), sample);
  }
  if (!access_logger) return;
  std::string line = "{";
  append_json_field(line, "request_id", ctx.request_id);
  append_json_field(line, "client_ip", ctx.req.client_ip);
  append_json_field(line, "method", ctx.req.method);
  append_json_field(line, "path", ctx.req.path);
  append_json_field(line, "route", ctx.route ? (ctx.route->name.empty() ? ctx.route->id : ctx.route->name) : "");
  append_json_field(line, "service", ctx.service ? ctx.service->name : "");
  append_json_field(line, "consumer", ctx.consumer ? ctx.consumer->username : "");
  line += "\"status\":" + std::to_string(ctx.resp.status);
  line += ",\"source\":\"" + std::string(ctx.resp.source) + "\"";
  line += ",\"latency_ms\":" + std::to_string(ctx.ms_since_start(now));
  line += ",\"upstream_latency_ms\":" + std::to_string(ctx.upstream_latency_ms);
  line += ",\"bytes_in\":" + std::to_string(ctx.bytes_in);
  line += ",\"bytes_out\":" + std::to_string(ctx.bytes_out);
  line += "}";
  access_logger->info(line);
}

}  // namespace gh::server
