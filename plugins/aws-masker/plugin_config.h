// The validated configuration of one aws-masker instance: the Kong-style schema (field
// names, defaults, messages), the compiled engine and the settings the phases read.
// Built once per config snapshot by the Factory (plugin.h); immutable afterwards.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "mask_engine.h"
#include "plugin/plugin.h"

namespace gh::aws_masker {

enum class map_scope { request, consumer, global };

struct masker_config {
  map_scope scope = map_scope::request;
  bool fail_closed = true;
  std::size_t max_body_size = 8 * 1024 * 1024;
  std::vector<std::string> mask_headers;
  bool json_aware = true;
  bool restore_responses = true;
  bool events_enabled = false;
  double events_sample_rate = 1.0;
  std::string events_stream = "gatehouse:aws-masker:events";
  std::size_t events_max_len = 100000;
  std::chrono::milliseconds store_ttl{3600 * 1000};
  // consumer/global scopes: how many pairs issued by earlier requests of the scope are
  // loaded per request so the response can restore them (newest first, round-robin over
  // types). 0 = only the current request's pairs.
  std::size_t scope_restore_limit = 1000;
  std::shared_ptr<const mask_engine> engine;
};

// Kong-style validation of `config` in place (defaults filled).
void validate_config(boost::json::object& config, std::vector<plugin::SchemaError>& errors);
// Builds from a validated config. Throws std::runtime_error (config time only).
masker_config build_config(const boost::json::object& config);
// Engine options from a validated config (also used by the CLI).
engine_options engine_options_from(const boost::json::object& config);

// Decodes a gzip/zlib/raw-deflate body into `out`, refusing more than `limit` bytes.
enum class decode_result { ok, too_large, invalid, unsupported };
decode_result decode_body(std::string_view content_encoding, std::string_view in, std::size_t limit,
                          std::string& out);

}  // namespace gh::aws_masker
