// gatehouse: the command line. `run` starts the gateway; `config check` validates a
// declarative file; `version`; `mask`/`unmask` run the aws-masker catalogue on stdin.
#include "config/declarative_loader.h"
#include "config/node_settings.h"
#include "events/tail.h"
#include "plugin/registry.h"
#include "server/server.h"

#include <CLI/CLI.hpp>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <iostream>
#include <memory>

#include "plugins/aws-masker/cli.h"

extern char** environ;

namespace {

void setup_logging(const gh::config::node_settings& s) {
  std::shared_ptr<spdlog::logger> logger;
  if (s.error_log == "stdout") logger = spdlog::stdout_color_mt("gatehouse");
  else if (s.error_log.empty() || s.error_log == "stderr") logger = spdlog::stderr_color_mt("gatehouse");
  else logger = spdlog::basic_logger_mt("gatehouse", s.error_log);
  logger->flush_on(spdlog::level::info);  // few lines, and none lost when the process dies
  spdlog::set_default_logger(logger);
  if (s.log_format == "json") {
    spdlog::set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","message":"%v"})");
  } else {
    spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e [%l] %v");
  }
  spdlog::set_level(spdlog::level::from_str(s.log_level));
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"gatehouse: a Kong-compatible API gateway"};
  app.require_subcommand(1);

  auto* run = app.add_subcommand("run", "start the gateway");
  std::string settings_file;
  std::string declarative;
  std::vector<std::string> proxy_listen;
  std::string admin_listen;
  std::string workers;
  std::string log_level, log_format, trusted_ips, access_log;
  std::vector<std::string> sets;
  run->add_option("--config,-c", settings_file, "node settings (YAML)");
  run->add_option("--declarative-config", declarative, "Kong declarative config (kong.yml)");
  run->add_option("--proxy-listen", proxy_listen, "proxy address host:port (repeatable)");
  run->add_option("--admin-listen", admin_listen, "admin API address host:port");
  run->add_option("--workers", workers, "worker threads (default: number of cores)");
  run->add_option("--log-level", log_level, "debug, info, warn, error");
  run->add_option("--log-format", log_format, "text or json");
  run->add_option("--trusted-ips", trusted_ips, "comma-separated IPs/CIDRs trusted for X-Forwarded-*");
  run->add_option("--access-log", access_log, "access log path, 'stdout' or 'off'");
  run->add_option("--set", sets, "any node setting as key=value (repeatable)");

  auto* config_cmd = app.add_subcommand("config", "configuration tools");
  config_cmd->require_subcommand(1);
  auto* check = config_cmd->add_subcommand("check", "validate a declarative config file");
  std::string check_file;
  check->add_option("file", check_file, "kong.yml")->required();

  auto* version = app.add_subcommand("version", "print the version");

  gh::aws_masker::mask_cli_options mask_opts;
  auto* mask = app.add_subcommand("mask", "mask AWS identifiers read on stdin (aws-masker catalogue)");
  mask->add_flag("--explain", mask_opts.explain, "print which type matched where");
  mask->add_option("--config", mask_opts.config_path, "aws-masker plugin config (YAML/JSON)");
  mask->add_option("--map-out", mask_opts.map_out, "write the token map to this file");
  auto* unmask = app.add_subcommand("unmask", "restore tokens read on stdin");
  unmask->add_option("--map", mask_opts.map_in, "token map written by mask --map-out")->required();
  unmask->add_option("--config", mask_opts.config_path, "aws-masker plugin config (YAML/JSON)");

  // `events tail`: follow the events stream (src/events/tail.h).
  auto* events_cmd = app.add_subcommand("events", "events stream tools");
  events_cmd->require_subcommand(1);
  gh::events::tail_options tail_opts;
  auto* tail = events_cmd->add_subcommand("tail", "follow the events stream (consumer group)");
  tail->add_option("--redis", tail_opts.redis, "Redis host:port");
  tail->add_option("--connection", tail_opts.connection, "a named connection of --config");
  tail->add_option("--config,-c", tail_opts.settings_file, "node settings (YAML)");
  tail->add_option("--stream", tail_opts.stream, "stream (default: events.stream or gatehouse:events)");
  tail->add_option("--group", tail_opts.group, "consumer group (created when absent)");
  tail->add_option("--consumer", tail_opts.consumer, "consumer name (default: host name)");
  tail->add_flag("--json", tail_opts.json, "one JSON object per line");
  tail->add_flag("--new-only", tail_opts.new_only, "a new group starts at the end of the stream");
  tail->add_option("--count", tail_opts.count, "exit after this many events");

  CLI11_PARSE(app, argc, argv);

  if (*tail) return gh::events::run_tail(tail_opts, std::cout, std::cerr);

  if (*version) {
    std::cout << "gatehouse " << GATEHOUSE_VERSION << "\n";
    return 0;
  }
  if (*check) {
    return gh::config::check_config_file(check_file, gh::plugin::builtin_registry(), std::cout) ? 0 : 1;
  }
  if (*mask || *unmask) {
    mask_opts.unmask = bool(*unmask);
    return gh::aws_masker::run_mask_cli(mask_opts, std::cin, std::cout, std::cerr);
  }
  if (*run) {
    auto settings = gh::config::defaults();
    try {
      if (!settings_file.empty()) gh::config::load_settings_file(settings, settings_file);
      gh::config::load_settings_env(settings, environ);
      auto apply = [&](const char* key, const std::string& value) {
        if (!value.empty()) gh::config::apply_setting(settings, key, value);
      };
      apply("declarative_config", declarative);
      if (!proxy_listen.empty()) {
        std::string joined;
        for (const auto& p : proxy_listen) joined += (joined.empty() ? "" : ",") + p;
        apply("proxy_listen", joined);
      }
      apply("admin_listen", admin_listen);
      apply("workers", workers);
      apply("log_level", log_level);
      apply("log_format", log_format);
      apply("trusted_ips", trusted_ips);
      apply("access_log", access_log);
      for (const auto& kv : sets) {
        auto eq = kv.find('=');
        if (eq == std::string::npos) throw std::invalid_argument("--set " + kv + ": expected key=value");
        gh::config::apply_setting(settings, kv.substr(0, eq), kv.substr(eq + 1));
      }
    } catch (const std::exception& e) {
      std::cerr << "gatehouse: " << e.what() << "\n";
      return 1;
    }
    std::unique_ptr<gh::server::server> srv;
    try {
      setup_logging(settings);
      srv = std::make_unique<gh::server::server>(settings);
    } catch (const std::exception& e) {
      std::cerr << "gatehouse: " << e.what() << "\n";
      return 1;
    }
    if (!srv->load_initial(std::cerr)) return 1;
    return srv->run();
  }
  return 0;
}
