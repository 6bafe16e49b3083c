// One compiled route condition set and its priority, after Kong's traditional_compatible
// flavor (kong/router/transform.lua get_expression + get_priority, evaluated the way
// the ATC router does).
//
// Internal to the router: route_table compiles every routable Route into one or more
// matchers (a route whose paths mix regexes and prefixes of different lengths is split,
// one matcher per group, as Kong does), sorts them by priority and indexes them.
// A matcher re-checks every condition, so indexes only need to return a superset.
#pragma once

#include "config/model.h"
#include "core/headers.h"

#include <boost/regex.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gh::router::detail {

// Kong's 64-bit priority, kept as fields compared in order of significance; equal
// priorities are ordered by the (split) route's uuid, highest first, as atc-router's
// BTreeMap<(priority, uuid)> iterated in reverse does.
struct priority_key {
  int match_weight = 0;       // how many of methods/hosts/headers/paths are set
  bool plain_hosts_only = false;
  int header_count = 0;       // header names, capped at 255
  bool regex_path = false;
  std::int64_t regex_priority = 0;  // route.regex_priority, regex groups only
  std::uint32_t prefix_length = 0;  // length of the prefixes, prefix groups only
  std::array<std::uint8_t, 16> uuid{};
};
// True when `a` must be tried before `b`.
bool higher_priority(const priority_key& a, const priority_key& b);

// RFC 4122 uuid parse; false (and zeros) when `text` is not a uuid.
bool parse_uuid(std::string_view text, std::array<std::uint8_t, 16>& out);
// uuid v5 (SHA-1) of `name` in `ns`, as resty.jit-uuid factory_v5 makes it.
std::array<std::uint8_t, 16> uuid_v5(const std::array<std::uint8_t, 16>& ns, std::string_view name);

struct host_rule {
  enum class kind { exact, prefix, suffix };  // "a.b" | "a.*" (prefix "a.") | "*.b" (suffix ".b")
  kind type = kind::exact;
  std::string value;  // without the '*'
  int port = 0;       // 0: any port
};

struct header_value {
  bool is_regex = false;
  std::string lower;  // lower-cased value (exact compare)
  boost::regex re;    // "~*" values: lower-cased pattern, unanchored search
};

struct header_rule {
  std::string name;  // lower case, '_' written as '-'
  std::vector<header_value> values;
};

struct path_rule {
  bool is_regex = false;
  std::string_view prefix;  // points into the Route (config outlives the table)
  boost::regex re;          // "^" + pattern
  std::vector<std::string> capture_names;
};

// What the router knows about a request when it evaluates matchers.
struct request_view {
  std::string_view method;
  std::string_view host;
  int port = 0;
  std::string_view path;  // normalized
  const Headers* headers = nullptr;
};

struct path_result {
  std::string_view matched;  // the prefix, or the regex match inside request_view::path
  std::vector<std::pair<std::string, std::string>> captures;
};

struct matcher {
  const config::Route* route = nullptr;
  const config::Service* service = nullptr;
  priority_key key;
  std::vector<std::string_view> methods;
  std::vector<host_rule> hosts;
  std::vector<header_rule> headers;
  std::vector<path_rule> paths;  // one group: all regex, or prefixes of one length
  std::size_t config_index = 0;  // position of the route in the config (stable sort)

  // Evaluates every condition; on success fills `out` (captures only for regex paths).
  bool matches(const request_view& req, path_result& out) const noexcept;
};

// Compiles the routable routes of `cfg` (http subsystem, service enabled or absent, at
// least one condition) into matchers sorted by priority, highest first. Throws
// std::runtime_error naming the route on an invalid regex.
std::vector<matcher> compile_matchers(const config::DeclarativeConfig& cfg,
                                      std::size_t& routable_routes);

}  // namespace gh::router::detail
