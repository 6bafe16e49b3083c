#include "router/matcher.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>
#include <tuple>
#include <unordered_map>

namespace gh::router::detail {
namespace {

// Kong splits multi-path routes with uuid v5 ids in this namespace (transform.lua).
constexpr std::string_view split_namespace = "7f145bf9-0dce-4f91-98eb-debbce4b9f6b";
constexpr int max_header_count = 255;

// Rust regex (atc-router) semantics: '^'/'$' only at the ends of the text, '.' does not
// match '\n'.
constexpr auto regex_flags =
    boost::regex::perl | boost::regex::no_mod_m | boost::regex::no_mod_s;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  }
  return out;
}

bool is_http_subsystem(const config::Route& r) {
  for (const auto& p : r.protocols) {
    if (p == "http" || p == "https" || p == "grpc" || p == "grpcs") return true;
  }
  return false;
}

// Kong's split_host_port: "host:port" when everything after the first ':' is a number.
host_rule parse_host(std::string_view h) {
  host_rule rule;
  if (auto colon = h.find(':'); colon != std::string_view::npos) {
    std::string_view port = h.substr(colon + 1);
    int value = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec == std::errc() && ptr == port.data() + port.size() && !port.empty()) {
      rule.port = value;
      h = h.substr(0, colon);
    }
  }
  if (h.starts_with('*')) {
    rule.type = host_rule::kind::suffix;
    h.remove_prefix(1);
  } else if (h.ends_with('*')) {
    rule.type = host_rule::kind::prefix;
    h.remove_suffix(1);
  }
  rule.value = std::string(h);
  return rule;
}

boost::regex compile(const std::string& pattern, const config::Route& route) {
  try {
    return boost::regex(pattern, regex_flags);
  } catch (const std::exception& e) {
    throw std::runtime_error("route '" + (route.name.empty() ? route.id : route.name) +
                             "': invalid regex '" + pattern + "': " + e.what());
  }
}

// Named groups in declaration order; "(?P<name>" is rewritten to "(?<name>" for Boost.
std::vector<std::string> capture_names(const std::string& pattern) {
  std::vector<std::string> names;
  for (std::size_t i = 0; (i = pattern.find("(?<", i)) != std::string::npos; ++i) {
    std::size_t start = i + 3;
    std::size_t end = start;
    while (end < pattern.size() &&
           (std::isalnum(static_cast<unsigned char>(pattern[end])) || pattern[end] == '_')) {
      ++end;
    }
    if (end > start && end < pattern.size() && pattern[end] == '>') {
      names.push_back(pattern.substr(start, end - start));
    }
  }
  return names;
}

path_rule make_path_rule(std::string_view path, const config::Route& route) {
  path_rule rule;
  if (!path.starts_with('~')) {
    rule.prefix = path;
    return rule;
  }
  rule.is_regex = true;
  std::string pattern = "^";
  pattern.append(path.substr(1));
  for (std::size_t i = 0; (i = pattern.find("(?P<", i)) != std::string::npos;) {
    pattern.erase(i + 2, 1);
  }
  rule.re = compile(pattern, route);
  rule.capture_names = capture_names(pattern);
  return rule;
}

header_rule make_header_rule(const std::string& name, const std::vector<std::string>& values,
                             const config::Route& route) {
  header_rule rule;
  // Kong reads headers through nginx variables, where '-' and '_' are the same.
  rule.name = lower(name);
  std::replace(rule.name.begin(), rule.name.end(), '_', '-');
  for (const auto& v : values) {
    header_value hv;
    // Kong lower-cases the value before deciding, so "~*" patterns are lower-cased too.
    hv.lower = lower(v);
    if (hv.lower.starts_with("~*")) {
      hv.is_regex = true;
      hv.re = compile(hv.lower.substr(2), route);
    }
    rule.values.push_back(std::move(hv));
  }
  return rule;
}

priority_key base_key(const config::Route& r) {
  priority_key k;
  k.match_weight = int(!r.methods.empty()) + int(!r.hosts.empty()) +
                   int(!r.headers.empty()) + int(!r.paths.empty());
  k.plain_hosts_only = !r.hosts.empty() &&
                       std::none_of(r.hosts.begin(), r.hosts.end(), [](const std::string& h) {
                         return h.find('*') != std::string::npos;
                       });
  k.header_count = std::min<int>(int(r.headers.size()), max_header_count);
  return k;
}

// Kong's group_by_regex_or_length: all regexes in one group, prefixes by length, in
// order of first appearance.
std::vector<std::vector<std::string_view>> group_paths(const std::vector<std::string>& paths) {
  std::vector<std::vector<std::string_view>> groups;
  std::vector<std::size_t> keys;  // 0 = regex, else prefix length
  for (const auto& p : paths) {
    std::size_t key = p.starts_with('~') ? 0 : p.size();
    auto it = std::find(keys.begin(), keys.end(), key);
    if (it == keys.end()) {
      keys.push_back(key);
      groups.emplace_back();
      groups.back().push_back(p);
    } else {
      groups[std::size_t(it - keys.begin())].push_back(p);
    }
  }
  return groups;
}

bool header_value_matches(const header_value& v, std::string_view value) {
  if (!v.is_regex) return iequals(value, v.lower);
  thread_local std::string lowered;
  lowered.assign(value);
  for (char& c : lowered) {
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  }
  try {
    return boost::regex_search(lowered.data(), lowered.data() + lowered.size(), v.re);
  } catch (const std::exception&) {
    return false;  // Boost gave up on a pathological pattern: no match, like a PCRE limit
  }
}

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Case-insensitive header-name compare where '_' equals '-'; `rule_name` is lower case
// with '-' only.
bool header_name_equals(std::string_view name, std::string_view rule_name) noexcept {
  if (name.size() != rule_name.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    if (c == '_') c = '-';
    if (c != rule_name[i]) return false;
  }
  return true;
}

bool host_matches(const host_rule& h, std::string_view host, int port) {
  if (h.port != 0 && h.port != port) return false;
  switch (h.type) {
    case host_rule::kind::exact: return host == h.value;
    case host_rule::kind::prefix: return host.starts_with(h.value);
    case host_rule::kind::suffix: return host.ends_with(h.value);
  }
  return false;
}

}  // namespace

bool higher_priority(const priority_key& a, const priority_key& b) {
  auto tie = [](const priority_key& k) {
    return std::tie(k.match_weight, k.plain_hosts_only, k.header_count, k.regex_path,
                    k.regex_priority, k.prefix_length, k.uuid);
  };
  return tie(a) > tie(b);
}

bool parse_uuid(std::string_view text, std::array<std::uint8_t, 16>& out) {
  out.fill(0);
  if (text.size() != 36) return false;
  std::size_t byte = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return false;
      ++i;
      continue;
    }
    int hi = hex_digit(text[i]);
    int lo = hex_digit(text[i + 1]);
    if (hi < 0 || lo < 0) {
      out.fill(0);
      return false;
    }
    out[byte++] = static_cast<std::uint8_t>(hi * 16 + lo);
    i += 2;
  }
  return byte == 16;
}

std::array<std::uint8_t, 16> uuid_v5(const std::array<std::uint8_t, 16>& ns, std::string_view name) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha1(), nullptr);
  EVP_DigestUpdate(ctx, ns.data(), ns.size());
  EVP_DigestUpdate(ctx, name.data(), name.size());
  EVP_DigestFinal_ex(ctx, digest, &len);
  EVP_MD_CTX_free(ctx);
  std::array<std::uint8_t, 16> out{};
  std::copy(digest, digest + 16, out.begin());
  out[6] = static_cast<std::uint8_t>((out[6] & 0x0F) | 0x50);
  out[8] = static_cast<std::uint8_t>((out[8] & 0x3F) | 0x80);
  return out;
}

bool matcher::matches(const request_view& req, path_result& out) const noexcept {
  if (!methods.empty() &&
      std::find(methods.begin(), methods.end(), req.method) == methods.end()) {
    return false;
  }
  if (!hosts.empty() && std::none_of(hosts.begin(), hosts.end(), [&](const host_rule& h) {
        return host_matches(h, req.host, req.port);
      })) {
    return false;
  }
  for (const auto& rule : headers) {
    bool found = false;
    for (const auto& field : *req.headers) {
      if (!header_name_equals(field.name, rule.name)) continue;
      for (const auto& v : rule.values) {
        if (header_value_matches(v, field.value)) {
          found = true;
          break;
        }
      }
      if (found) break;
    }
    if (!found) return false;
  }
  out.captures.clear();
  if (paths.empty()) {
    out.matched = {};
    return true;
  }
  thread_local boost::cmatch m;
  for (const auto& p : paths) {
    if (!p.is_regex) {
      if (req.path.starts_with(p.prefix)) {
        out.matched = p.prefix;
        return true;
      }
      continue;
    }
    bool hit = false;
    try {
      hit = boost::regex_search(req.path.data(), req.path.data() + req.path.size(), m, p.re);
    } catch (const std::exception&) {
      hit = false;
    }
    if (!hit) continue;
    out.matched = std::string_view(m[0].first, std::size_t(m[0].length()));
    try {
      if (m.size() > 1) {
        out.captures.emplace_back("0", m[0].str());
        for (std::size_t i = 1; i < m.size(); ++i) {
          if (m[int(i)].matched) out.captures.emplace_back(std::to_string(i), m[int(i)].str());
        }
        for (const auto& name : p.capture_names) {
          const auto& sub = m[name];
          if (sub.matched) out.captures.emplace_back(name, sub.str());
        }
        // Kong reports uri_captures only when something besides the whole match exists.
        if (out.captures.size() == 1) out.captures.clear();
      }
    } catch (const std::exception&) {
      out.captures.clear();  // out of memory: route without captures rather than a crash
    }
    return true;
  }
  return false;
}

std::vector<matcher> compile_matchers(const config::DeclarativeConfig& cfg,
                                      std::size_t& routable_routes) {
  std::unordered_map<std::string_view, const config::Service*> services;
  for (const auto& s : cfg.services) services.emplace(s.id, &s);
  std::array<std::uint8_t, 16> split_ns{};
  parse_uuid(split_namespace, split_ns);

  std::vector<matcher> out;
  routable_routes = 0;
  for (std::size_t ri = 0; ri < cfg.routes.size(); ++ri) {
    const config::Route& r = cfg.routes[ri];
    if (!is_http_subsystem(r)) continue;
    const config::Service* service = nullptr;
    if (!r.service_id.empty()) {
      auto it = services.find(r.service_id);
      if (it != services.end()) service = it->second;
    }
    if (service != nullptr && !service->enabled) continue;  // Kong skips these routes
    if (r.methods.empty() && r.hosts.empty() && r.headers.empty() && r.paths.empty()) continue;
    ++routable_routes;

    matcher base;
    base.route = &r;
    base.service = service;
    base.key = base_key(r);
    base.config_index = ri;
    parse_uuid(r.id, base.key.uuid);
    for (const auto& m : r.methods) base.methods.push_back(m);
    for (const auto& h : r.hosts) base.hosts.push_back(parse_host(h));
    for (const auto& [name, values] : r.headers) {
      base.headers.push_back(make_header_rule(name, values, r));
    }
    auto groups = group_paths(r.paths);
    if (groups.empty()) {
      out.push_back(std::move(base));
      continue;
    }
    for (std::size_t gi = 0; gi < groups.size(); ++gi) {
      matcher m = base;
      if (groups.size() > 1) {
        m.key.uuid = uuid_v5(split_ns, r.id + "#" + std::to_string(gi + 1));
      }
      for (auto p : groups[gi]) m.paths.push_back(make_path_rule(p, r));
      m.key.regex_path = m.paths.front().is_regex;
      m.key.regex_priority = m.key.regex_path ? r.regex_priority : 0;
      m.key.prefix_length = m.key.regex_path ? 0 : std::uint32_t(groups[gi].front().size() & 0x7FFFF);
      out.push_back(std::move(m));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const matcher& a, const matcher& b) {
    return higher_priority(a.key, b.key);
  });
  return out;
}

}  // namespace gh::router::detail
