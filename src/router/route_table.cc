#include "router/route_table.h"

#include "router/matcher.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>

namespace gh::router {
namespace detail {
namespace {

struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

template <typename V>
using string_map = std::unordered_map<std::string, V, string_hash, std::equal_to<>>;

using id_list = std::vector<std::uint32_t>;  // matcher indexes, ascending = by priority

void push_unique(id_list& list, std::uint32_t id) {
  if (list.empty() || list.back() != id) list.push_back(id);
}

}  // namespace

// Candidates for one host key (or for routes without hosts). Matchers without paths
// and regex matchers are always candidates; prefix matchers are found by looking up
// every prefix of the request path whose length some route uses.
struct bucket {
  id_list always;
  string_map<id_list> prefixes;
  std::vector<std::size_t> prefix_lengths;  // ascending, distinct

  void add(const matcher& m, std::uint32_t id) {
    if (m.paths.empty() || m.paths.front().is_regex) {
      push_unique(always, id);
      return;
    }
    for (const auto& p : m.paths) {
      push_unique(prefixes[std::string(p.prefix)], id);
      prefix_lengths.push_back(p.prefix.size());
    }
  }

  // Buckets with few prefixes (the usual case: a handful of routes per host) compare
  // them directly; hashing a substring per distinct length costs more there.
  static constexpr std::size_t direct_compare_limit = 8;
  std::vector<std::pair<std::string_view, const id_list*>> few;

  void finish() {
    std::sort(prefix_lengths.begin(), prefix_lengths.end());
    prefix_lengths.erase(std::unique(prefix_lengths.begin(), prefix_lengths.end()),
                         prefix_lengths.end());
    if (prefixes.size() <= direct_compare_limit) {
      for (const auto& [prefix, ids] : prefixes) few.emplace_back(prefix, &ids);
    }
  }

  void collect(std::string_view path, id_list& out) const {
    out.insert(out.end(), always.begin(), always.end());
    if (!few.empty() || prefixes.empty()) {
      for (const auto& [prefix, ids] : few) {
        if (path.starts_with(prefix)) out.insert(out.end(), ids->begin(), ids->end());
      }
      return;
    }
    for (std::size_t len : prefix_lengths) {
      if (len > path.size()) break;
      auto it = prefixes.find(path.substr(0, len));
      if (it != prefixes.end()) out.insert(out.end(), it->second.begin(), it->second.end());
    }
  }
};

// Host-keyed buckets: exact hosts by hash; "*.example.com" by its suffix ".example.com"
// and "example.*" by its prefix "example.", both looked up at every '.' of the request
// host; everything else (no hosts, or an unusual wildcard) in `any_host`.
struct index {
  bucket any_host;
  string_map<bucket> exact;
  string_map<bucket> suffix;
  string_map<bucket> prefix;

  void add(const matcher& m, std::uint32_t id) {
    if (m.hosts.empty()) {
      any_host.add(m, id);
      return;
    }
    for (const auto& h : m.hosts) {
      switch (h.type) {
        case host_rule::kind::exact:
          exact[h.value].add(m, id);
          break;
        case host_rule::kind::suffix:
          if (h.value.starts_with('.')) {
            suffix[h.value].add(m, id);
          } else {
            any_host.add(m, id);
          }
          break;
        case host_rule::kind::prefix:
          if (h.value.ends_with('.')) {
            prefix[h.value].add(m, id);
          } else {
            any_host.add(m, id);
          }
          break;
      }
    }
  }

  void finish() {
    any_host.finish();
    for (auto* map : {&exact, &suffix, &prefix}) {
      for (auto& [key, b] : *map) b.finish();
    }
  }

  void collect(std::string_view host, std::string_view path, id_list& out) const {
    any_host.collect(path, out);
    if (host.empty()) return;
    if (auto it = exact.find(host); it != exact.end()) it->second.collect(path, out);
    if (suffix.empty() && prefix.empty()) return;
    for (std::size_t i = 0; i < host.size(); ++i) {
      if (host[i] != '.') continue;
      if (!suffix.empty()) {
        if (auto it = suffix.find(host.substr(i)); it != suffix.end()) {
          it->second.collect(path, out);
        }
      }
      if (!prefix.empty()) {
        if (auto it = prefix.find(host.substr(0, i + 1)); it != prefix.end()) {
          it->second.collect(path, out);
        }
      }
    }
  }
};

}  // namespace detail

route_table::route_table() = default;
route_table::~route_table() = default;

std::shared_ptr<const route_table> route_table::build(const config::DeclarativeConfig& cfg) {
  std::shared_ptr<route_table> table(new route_table());
  table->matchers_ = detail::compile_matchers(cfg, table->routable_routes_);
  table->index_ = std::make_unique<detail::index>();
  for (std::size_t i = 0; i < table->matchers_.size(); ++i) {
    table->index_->add(table->matchers_[i], static_cast<std::uint32_t>(i));
  }
  table->index_->finish();
  return table;
}

std::optional<route_match> route_table::match(const match_input& in) const {
  // Per-thread scratch space: after warm-up a lookup allocates only its result.
  thread_local std::string normalized;
  thread_local detail::id_list candidates;
  thread_local detail::path_result result;

  normalize_path_into(in.path, normalized);
  candidates.clear();
  index_->collect(in.host, normalized, candidates);
  if (candidates.size() > 1 && !std::is_sorted(candidates.begin(), candidates.end())) {
    std::sort(candidates.begin(), candidates.end());
  }
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());

  detail::request_view req{in.method, in.host, in.port, normalized, &in.headers};
  for (std::uint32_t id : candidates) {
    const detail::matcher& m = matchers_[id];
    if (!m.matches(req, result)) continue;
    route_match out;
    out.route = m.route;
    out.service = m.service;
    out.matched_path.assign(result.matched);
    out.captures = std::move(result.captures);
    result.captures.clear();
    out.path = normalized;
    return out;
  }
  return std::nullopt;
}

}  // namespace gh::router
