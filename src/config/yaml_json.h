// YAML (or JSON) text to boost::json, with YAML 1.2 core-schema typing.
//
// The declarative loader validates one tree type only, boost::json, so JSON and YAML
// inputs share every check and plugin configs reach the factories in the form they expect.
// Plain YAML scalars resolve to null/bool/int/double as YAML 1.2's core schema says; quoted
// scalars stay strings. Limits (nesting depth, node count after alias expansion) keep any
// input from exhausting the stack or memory. Never throws.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace gh::config {

struct parsed_document {
  boost::json::value value;  // null when the text is empty or on error
  std::string error;         // empty on success, else a one-line reason with line:column
};

inline constexpr int max_document_depth = 64;
inline constexpr std::size_t max_document_nodes = 1'000'000;

parsed_document parse_yaml_or_json(std::string_view text);

}  // namespace gh::config
