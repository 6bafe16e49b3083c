#include "config/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <boost/json/parser.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

#include <charconv>
#include <cstdlib>
#include <stdexcept>

namespace gh::config {
namespace {

struct conversion_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string where(const YAML::Mark& m) {
  if (m.line < 0) return "";
  return " at line " + std::to_string(m.line + 1) + ", column " + std::to_string(m.column + 1);
}

bool is_null_word(const std::string& s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool is_float_text(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  std::size_t digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    std::size_t exp_digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

// Resolves an untagged plain scalar the way YAML 1.2's core schema does.
boost::json::value resolve_plain(const std::string& s) {
  if (is_null_word(s)) return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  std::string_view v = s;
  bool negative = false;
  if (!v.empty() && (v[0] == '-' || v[0] == '+')) {
    negative = v[0] == '-';
    v.remove_prefix(1);
  }
  int base = 10;
  if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'o') && s[0] != '-' && s[0] != '+') {
    base = v[1] == 'x' ? 16 : 8;
    v.remove_prefix(2);
  }
  if (base == 10 ? all_digits(v) : !v.empty()) {
    std::int64_t n = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n, base);
    if (ec == std::errc() && ptr == v.data() + v.size()) return negative ? -n : n;
    if (ec == std::errc::result_out_of_range && base == 10) return std::strtod(s.c_str(), nullptr);
    if (base != 10) return boost::json::string(s);
  }
  if (is_float_text(s)) return std::strtod(s.c_str(), nullptr);
  return boost::json::string(s);
}

class converter {
 public:
  boost::json::value convert(const YAML::Node& node, int depth) {
    if (depth > max_document_depth)
      throw conversion_error("nesting deeper than " + std::to_string(max_document_depth) +
                             " levels" + where(node.Mark()));
    if (++nodes_ > max_document_nodes)
      throw conversion_error("document too large (more than " +
                             std::to_string(max_document_nodes) + " nodes after alias expansion)");
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return nullptr;
      case YAML::NodeType::Scalar: {
        const std::string& tag = node.Tag();
        if (tag == "?") return resolve_plain(node.Scalar());
        return boost::json::string(node.Scalar());
      }
      case YAML::NodeType::Sequence: {
        boost::json::array out;
        out.reserve(node.size());
        for (const auto& item : node) out.push_back(convert(item, depth + 1));
        return out;
      }
      case YAML::NodeType::Map: {
        boost::json::object out;
        for (const auto& kv : node) {
          if (!kv.first.IsScalar())
            throw conversion_error("a mapping key must be a scalar" + where(kv.first.Mark()));
          out[kv.first.Scalar()] = convert(kv.second, depth + 1);
        }
        return out;
      }
    }
    return nullptr;
  }

 private:
  std::size_t nodes_ = 0;
};

// JSON documents take Boost.JSON's much faster parser; anything it refuses (YAML, or
// JSON with comments) goes through yaml-cpp, which also reports the error position.
bool parse_as_json(std::string_view text, boost::json::value& out) {
  auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || (text[first] != '{' && text[first] != '[')) return false;
  boost::json::parse_options options;
  options.max_depth = max_document_depth;
  boost::json::parser p({}, options);
  boost::system::error_code ec;
  p.write(text.data(), text.size(), ec);
  if (ec) return false;
  out = p.release();
  return true;
}

}  // namespace

parsed_document parse_yaml_or_json(std::string_view text) {
  parsed_document doc;
  try {
    if (parse_as_json(text, doc.value)) return doc;
    YAML::Node root = YAML::Load(std::string(text));
    converter c;
    doc.value = c.convert(root, 0);
  } catch (const YAML::Exception& e) {
    doc.value = nullptr;
    doc.error = "failed to parse: " + e.msg + where(e.mark);
  } catch (const std::exception& e) {
    doc.value = nullptr;
    doc.error = std::string("failed to parse: ") + e.what();
  }
  return doc;
}

}  // namespace gh::config
