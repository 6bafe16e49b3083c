#include "plugins/ip-restriction/ip_restriction.h"

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "plugin/schema/schema.h"
#include "plugin/schema/schema_factory.h"
#include "plugins/ip-restriction/ip_matcher.h"

namespace gh::plugins {

namespace json = boost::json;
using plugin::Context;
using plugin::Flow;
using namespace plugin::schema;

namespace {

std::string validate_ip_or_cidr(const json::value& v) {
  if (v.is_string() && is_valid_ip_or_cidr(v.get_string())) return {};
  return "invalid ip or cidr range: '" + std::string(v.is_string() ? v.get_string() : "") + "'";
}

const Schema& config_schema() {
  static const Schema s = [] {
    Schema s({
        {"allow", Field::array(Field::string().custom(validate_ip_or_cidr))},
        {"deny", Field::array(Field::string().custom(validate_ip_or_cidr))},
        // Kong takes any number; an HTTP status it must be (Kong would send garbage).
        {"status", Field::number().between(100, 599)},
        {"message", Field::string()},
    });
    s.at_least_one_of({"allow", "deny"});
    return s;
  }();
  return s;
}

class IpRestrictionPlugin final : public plugin::Plugin {
 public:
  explicit IpRestrictionPlugin(const json::object& c)
      : status_(static_cast<int>(get_int(c, "status", 403))),
        message_(get_string(c, "message")) {
    for (const auto& e : get_strings(c, "allow")) allow_.add(e);
    for (const auto& e : get_strings(c, "deny")) deny_.add(e);
  }

  Flow access(Context& ctx) const override {
    auto ip = parse_ip(ctx.req.client_ip);
    if (!ip) {
      ctx.exit(403,
               "Cannot identify the client IP address, unix domain sockets are not supported.");
      return Flow::respond;
    }
    if (!deny_.empty() && deny_.match(*ip)) return refuse(ctx);
    if (!allow_.empty() && !allow_.match(*ip)) return refuse(ctx);
    return Flow::next;
  }

 private:
  Flow refuse(Context& ctx) const {
    if (message_.empty())
      ctx.exit(status_, "IP address not allowed: " + ctx.req.client_ip);
    else
      ctx.exit(status_, message_);
    return Flow::respond;
  }

  int status_;
  std::string message_;
  IpMatcher allow_;
  IpMatcher deny_;
};

}  // namespace

std::unique_ptr<plugin::Factory> make_ip_restriction_factory() {
  return std::make_unique<plugin::schema::schema_factory<IpRestrictionPlugin>>("ip-restriction",
                                                                               990, config_schema);
}

void register_ip_restriction(plugin::Registry& r) { r.add(make_ip_restriction_factory()); }

}  // namespace gh::plugins
