#include "plugin/context.h"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

namespace gh::plugin {

std::string kong_error_body(std::string_view message, std::string_view request_id) {
  std::string out = "{\"message\":";
  out += boost::json::serialize(boost::json::string(message));
  out += ",\"request_id\":";
  out += boost::json::serialize(boost::json::string(request_id));
  out += "}";
  return out;
}

void Context::exit(int status, std::string_view message) {
  exit_status_ = status;
  exit_body_ = kong_error_body(message, request_id);
  exit_headers_.set("Content-Type", "application/json; charset=utf-8");
}

void Context::exit_with_body(int status, std::string body, Headers headers) {
  exit_status_ = status;
  exit_body_ = std::move(body);
  for (const auto& f : headers) exit_headers_.add(f.name, f.value);
}

}  // namespace gh::plugin
