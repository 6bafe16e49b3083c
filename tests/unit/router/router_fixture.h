// Builds a DeclarativeConfig route by route and queries a route_table built from it.
#pragma once

#include "router/route_table.h"

#include <gtest/gtest.h>

#include <deque>
#include <string>

namespace gh::router::testing {

class router_test : public ::testing::Test {
 protected:
  router_test() {
    config::Service s;
    s.id = "svc";
    s.name = "svc";
    s.host = "upstream.test";
    cfg.services.push_back(s);
  }

  // Adds a route bound to the default service; ids default to Kong spec style uuids.
  config::Route& route(std::string id) {
    config::Route& r = cfg.routes.emplace_back();
    r.id = std::move(id);
    r.name = r.id;
    r.service_id = "svc";
    return r;
  }

  // Kong's spec ids: e8fb37f1-102d-461e-9c51-6608a6bb81NN.
  static std::string uid(int n) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "e8fb37f1-102d-461e-9c51-6608a6bb81%02d", n);
    return buf;
  }

  void build() { table = route_table::build(cfg); }

  std::optional<route_match> get(std::string_view method, std::string_view path,
                                 std::string_view host = "domain.org", int port = 80) {
    if (!table) build();
    match_input in{method, host, path, "http", headers, port};
    return table->match(in);
  }

  // The id of the route that wins, or "none".
  std::string winner(std::string_view method, std::string_view path,
                     std::string_view host = "domain.org", int port = 80) {
    auto m = get(method, path, host, port);
    return m ? m->route->id : "none";
  }

  config::DeclarativeConfig cfg;
  Headers headers;
  std::shared_ptr<const route_table> table;
};

}  // namespace gh::router::testing
