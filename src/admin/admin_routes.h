// Request handling of the admin API, separate from its transport (admin_api.cc).
#pragma once

#include <string>
#include <string_view>

namespace gh::server {
class server;
}

namespace gh::admin {

struct admin_response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json; charset=utf-8";
};

admin_response handle_admin_request(server::server& srv, std::string_view method,
                                    std::string_view target, std::string_view content_type,
                                    const std::string& body);

}  // namespace gh::admin
