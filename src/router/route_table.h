// The route table: Kong's router (router_flavor = traditional_compatible) over an
// immutable configuration snapshot.
//
// Built once per configuration (route_table::build) and shared read-only by every
// worker; match() is const, lock-free and allocates only for its result. Precedence,
// matching rules and the index layout are described in docs/routing.md. Callers: the
// proxy (route each request, then uri.h to build the upstream request) and the admin
// API (size). Plugins see the result through the request context.
#pragma once

#include "config/model.h"
#include "core/headers.h"
#include "router/uri.h"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gh::router {

struct match_input {
  std::string_view method;
  std::string_view host;    // lower-case, no port ("" when the request had none)
  std::string_view path;    // raw request path, no query; the router normalizes it
  std::string_view scheme;  // "http" | "https"; Kong matches regardless (see uri.h
                            // check_route_protocol), kept for callers and logs
  const gh::Headers& headers;
  // Port of the Host header, else the listener's port (Kong's net.dst.port); only
  // routes with "host:port" entries look at it. 0 = unknown.
  int port = 0;
};

struct route_match {
  const config::Route* route = nullptr;
  const config::Service* service = nullptr;  // null for a route without service
  // The prefix or the regex match that matched (for strip_path); empty when the route
  // matched without paths.
  std::string matched_path;
  // Regex captures, Kong's uri_captures: "0" (whole match), "1".."n" for the groups that
  // took part in the match, then named groups. Empty for prefix matches and for regexes
  // without groups.
  std::vector<std::pair<std::string, std::string>> captures;
  // The normalized request path the route was matched against; pass it to
  // upstream_path().
  std::string path;
};

namespace detail {
struct matcher;
struct index;
}  // namespace detail

class route_table {
 public:
  // Builds from a validated config; the config must outlive the table. Throws
  // std::runtime_error on an invalid regex (path or "~*" header value).
  static std::shared_ptr<const route_table> build(const config::DeclarativeConfig& cfg);

  // The best route per Kong's precedence, or nullopt (-> 404 "no Route matched with
  // those values"). Thread-safe.
  std::optional<route_match> match(const match_input& in) const;

  // Number of routes the table can route to (routes of disabled services, stream-only
  // routes and routes without any condition are left out).
  std::size_t size() const noexcept { return routable_routes_; }

  route_table(const route_table&) = delete;
  route_table& operator=(const route_table&) = delete;
  ~route_table();

 private:
  route_table();
  std::vector<detail::matcher> matchers_;  // highest priority first
  std::unique_ptr<detail::index> index_;
  std::size_t routable_routes_ = 0;
};

// Kong's get_upstream_uri_v0; see uri.h for the details.
std::string upstream_path(const config::Route& route, const config::Service* service,
                          std::string_view request_path, std::string_view matched_path);

}  // namespace gh::router
