// Kong's validation rules for service and route values (internal to the loader).
//
// Each check returns an empty string when the value is fine, else Kong's message.
// Regexes are compiled with Boost.Regex (Perl syntax, close to PCRE) for validation only;
// the router compiles its own matchers.
#pragma once

#include <string>
#include <string_view>

namespace gh::config::detail {

// Hostname or IP address (IPv6 with or without brackets).
bool valid_host(std::string_view host);
// "host" or "host:port" as Kong's host_with_optional_port accepts; empty if ok.
std::string check_host_with_port(std::string_view host);
// A route host: at most one '*', as the leftmost or rightmost label.
std::string check_route_host(std::string_view host);
// A route path in 3.0 form ("/prefix" or "~/regex").
std::string check_route_path(std::string_view path);
// A regex as Kong would compile it; empty if it compiles.
std::string check_regex(std::string_view regex);
// Kong's migrate_path_280_300: format 1.1/2.1 paths with regex characters gain "~".
std::string upgrade_path_to_3_0(std::string_view path);

}  // namespace gh::config::detail
