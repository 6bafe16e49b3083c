// Request-path normalization and upstream request composition, as Kong does it.
//
// The router matches routes against the normalized path (normalize_path), and the proxy
// builds the upstream request line and Host header from the matched route with
// upstream_path() and upstream_host_header(). check_route_protocol() is Kong's runloop
// check that runs after a match (https-only routes, gRPC routes). All functions are pure
// and thread-safe; the proxy (src/http, src/server) and plugins may call them.
#pragma once

#include "config/model.h"

#include <string>
#include <string_view>

namespace gh::router {

// Kong's kong.tools.uri.normalize(path, merge_slashes=true): decodes %XX escapes of
// every byte that is not reserved ("!*'();:@&=+$,/?%#[]"; reserved escapes keep their
// encoding with upper-case hex), removes "." and ".." segments (RFC 3986 5.2.4) and
// merges repeated slashes. `path` must not contain the query string.
std::string normalize_path(std::string_view path);
// Appends the normalization of `path` to `out` (cleared first); allocation-free when
// `out` already has the capacity.
void normalize_path_into(std::string_view path, std::string& out);

// Kong's kong.tools.uri.escape: percent-encodes every byte outside
// [A-Za-z0-9!#$&'()*+,/:;=?@[\]\-_.~%]. Idempotent on its own output.
std::string escape_path(std::string_view path);

// Kong's path_handling "v0" (kong/router/utils.lua get_upstream_uri_v0, which the
// traditional_compatible router uses for every route): joins service.path, the
// request path and strip_path. `request_path` is the normalized path the route matched
// (route_match::path); `matched_path` is route_match::matched_path (the prefix or the
// regex match; empty when the route matched without paths). Returns the path for the
// upstream request line, escaped with escape_path, without the query string.
std::string upstream_path(const config::Route& route, const config::Service* service,
                          std::string_view request_path, std::string_view matched_path);

// The Host header for the upstream request: the client's Host header (port included)
// when route.preserve_host is set and the client sent one; else the service host,
// followed by ":port" unless the port is the default one of the service protocol
// (80 for http/grpc, 443 for https/grpcs), as Kong's balancer.set_host_header does.
// When the service host names an Upstream entity with host_header or the balancer
// picks a target, the caller substitutes that host (src/upstream owns the rule).
std::string upstream_host_header(const config::Route& route, const config::Service& service,
                                 std::string_view client_host_header);

// Kong's runloop checks on a matched route (kong/runloop/handler.lua, access phase).
// Kong matches routes regardless of the request scheme and then refuses a mismatch,
// so an http request to an https-only route gets 426/301/302/307/308, not 404.
enum class protocol_verdict {
  ok,
  // Answer route.https_redirect_status_code: 426 with {"message":"Please use HTTPS
  // protocol"} and headers "Connection: Upgrade", "Upgrade: TLS/1.2, HTTP/1.1"; or
  // 301/302/307/308 with "Location: https://<host><request uri>" and no body.
  https_required,
  // 415 {"message":"Non-gRPC request matched gRPC route"}.
  grpc_required,
  // 426 {"message":"Please use HTTP2 protocol"}, "connection: Upgrade", "upgrade: HTTP/2".
  http2_required,
  // 200, content-type application/grpc, grpc-status 1,
  // grpc-message "gRPC request matched gRPCs route".
  grpcs_required,
};
// `forwarded_proto`: the request scheme (or a trusted X-Forwarded-Proto);
// `content_type`: the request Content-Type ("" when absent); `http2`: request is HTTP/2.
protocol_verdict check_route_protocol(const config::Route& route,
                                      std::string_view forwarded_proto,
                                      std::string_view content_type, bool http2);

}  // namespace gh::router
