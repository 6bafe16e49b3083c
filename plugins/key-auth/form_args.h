// URL-encoded argument lists (query strings and application/x-www-form-urlencoded
// bodies) as key-auth reads and edits them: find every value of one name, remove every
// pair of one name. Decoding follows ngx.req.get_uri_args: '+' is a space, %XX a byte, a
// name without '=' has no value (Lua `true`, which key-auth ignores).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gh::plugins::form_args {

std::string url_decode(std::string_view s);

// One argument's decoded value; `has_value` is false for "?name" without '='.
struct ArgValue {
  std::string value;
  bool has_value = true;
};

// Every value given for `name` (decoded names compared exactly), in order.
std::vector<ArgValue> find_all(std::string_view args, std::string_view name);

// `args` without any pair whose decoded name is `name`; other pairs keep their encoding.
std::string remove_all(std::string_view args, std::string_view name);

}  // namespace gh::plugins::form_args
