// The transformations of response-transformer, separated from the plugin so they can be
// tested on plain values: Kong's header_transformer.lua and body_transformer.lua.
#pragma once

#include "core/headers.h"

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gh::plugins::transform {

// "name:value" split as Kong's ^([^:]+):*(.-)$ (extra colons after the name skipped).
struct Pair {
  std::string name;
  std::string value;  // empty = none (Kong's nil)
};
Pair split_pair(std::string_view s);

struct JsonPair {
  std::string name;
  std::string value;
  std::string type;  // json_types entry at the same position: "", "string", "number", "boolean"
};

struct Rules {
  std::vector<std::string> remove_headers, remove_json;
  std::vector<Pair> rename_headers, rename_json, replace_headers, add_headers, append_headers;
  std::vector<JsonPair> replace_json, add_json, append_json;

  static Rules from_config(const boost::json::object& config);
  bool has_json() const noexcept {
    return !remove_json.empty() || !rename_json.empty() || !replace_json.empty() || !add_json.empty() ||
           !append_json.empty();
  }
};

// Kong's is_json_body: some comma-separated media type is exactly application/json.
bool is_json_body(std::string_view content_type);

// remove, rename, replace, add, append; presence tests see the headers as they were
// before the transformation, as Kong's do.
void apply_headers(const Rules& rules, Headers& headers);

// Transforms a JSON object document; false (and `out` untouched) when `body` is not one.
bool apply_json(const Rules& rules, std::string_view body, std::string& out);

}  // namespace gh::plugins::transform
