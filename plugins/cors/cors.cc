#include "plugins/cors/cors.h"

#include <boost/json.hpp>
#include <boost/regex.hpp>
#include <optional>
#include <string>
#include <vector>

#include "plugin/schema/schema.h"
#include "plugin/schema/schema_factory.h"

namespace gh::plugins {

namespace json = boost::json;
using plugin::Context;
using plugin::Flow;
using namespace plugin::schema;

namespace {

const char* const kMethods[] = {"GET",    "HEAD",    "PUT",   "PATCH",  "POST",
                                "DELETE", "OPTIONS", "TRACE", "CONNECT"};

// Kong's "looks like a flat origin" test: ^[A-Za-z0-9.:/-]+$
bool is_flat(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == ':' || c == '/' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::optional<boost::regex> compile(const std::string& pattern) {
  try {
    return boost::regex(pattern, boost::regex::perl);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string validate_origin(const json::value& v) {
  if (!v.is_string()) return "expected a string";
  std::string s(v.get_string());
  if (s == "*" || compile(s)) return {};
  return "'" + s + "' is not a valid regex";
}

const Schema& config_schema() {
  static const Schema s = [] {
    json::array methods;
    std::vector<json::value> one_of;
    for (const char* m : kMethods) {
      methods.emplace_back(m);
      one_of.emplace_back(m);
    }
    return Schema({
        {"origins", Field::array(Field::string().custom(validate_origin))},
        {"headers", Field::array(Field::string())},
        {"exposed_headers", Field::array(Field::string())},
        {"methods", Field::array(Field::string().one_of(one_of)).default_value(methods)},
        {"max_age", Field::number()},
        {"credentials", Field::boolean().required().default_value(false)},
        {"private_network", Field::boolean().required().default_value(false)},
        {"preflight_continue", Field::boolean().required().default_value(false)},
        {"allow_origin_absent", Field::boolean().required().default_value(true)},
    });
  }();
  return s;
}

// Kong's normalize_origin (socket.url): "scheme://host[:port]" without a default port;
// anything without "://" stays as it is.
struct Origin {
  std::string domain;
  std::string host;
};

Origin normalize_origin(std::string_view s) {
  auto sep = s.find("://");
  if (sep == std::string_view::npos || sep == 0) return {std::string(s), std::string(s)};
  std::string_view scheme = s.substr(0, sep);
  std::string_view authority = s.substr(sep + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (auto at = authority.rfind('@'); at != std::string_view::npos)
    authority = authority.substr(at + 1);
  std::string_view host = authority, port;
  auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return {std::string(s), std::string(s)};
  if ((scheme == "http" && port == "80") || (scheme == "https" && port == "443")) port = {};
  std::string domain = std::string(scheme) + "://" + std::string(host);
  if (!port.empty()) domain += ":" + std::string(port);
  return {std::move(domain), std::string(host)};
}

// Boost.Regex throws when a match grows too complex (a hostile Origin against a
// backtracking pattern); such an origin simply does not match.
bool regex_matches(const std::string& subject, const boost::regex& re) noexcept {
  try {
    return boost::regex_match(subject, re);
  } catch (...) {
    return false;
  }
}

struct AllowedOrigin {
  std::optional<boost::regex> regex;
  std::string domain;  // normalized, for flat entries
  bool by_host = false;
};

struct CorsState {
  bool skip_response_headers = false;
};

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

class CorsPlugin final : public plugin::Plugin {
 public:
  explicit CorsPlugin(const json::object& c)
      : origins_(get_strings(c, "origins")),
        headers_(join(get_strings(c, "headers"), ",")),
        exposed_headers_(join(get_strings(c, "exposed_headers"), ",")),
        credentials_(get_bool(c, "credentials")),
        private_network_(get_bool(c, "private_network")),
        preflight_continue_(get_bool(c, "preflight_continue")),
        allow_origin_absent_(get_bool(c, "allow_origin_absent", true)) {
    auto methods = get_strings(c, "methods");
    methods_ = methods.empty() ? "GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT"
                               : join(methods, ",");
    if (auto it = c.find("max_age"); it != c.end() && it->value().is_number()) {
      max_age_ = it->value().is_double() ? json::serialize(it->value())
                                         : std::to_string(get_int(c, "max_age"));
    }
    allow_all_ = origins_.empty() || (origins_.size() == 1 && origins_[0] == "*");
    single_flat_ = origins_.size() == 1 && !allow_all_ && is_flat(origins_[0]);
    for (const auto& entry : origins_) {
      if (entry == "*") {
        // Kong answers "*" as soon as it meets "*" in the list, before any matching.
        star_in_list_ = true;
        break;
      }
      AllowedOrigin o;
      o.by_host = entry.find(':') == std::string::npos;
      if (!is_flat(entry)) {
        // Kong 0.x did not anchor regexes; Kong anchors at the start (ngx.re "a") and
        // appends "$" unless present, dropping a user's leading "^".
        std::string re = entry;
        if (re.back() != '$') re += '$';
        if (re.front() == '^') re.erase(0, 1);
        o.regex = compile("^(?:" + re + ")");
        if (!o.regex) continue;  // refused by validate(); kept safe here
      } else {
        o.domain = normalize_origin(entry).domain;
      }
      allowed_.push_back(std::move(o));
    }
  }

  Flow access(Context& ctx) const override {
    auto origin = ctx.req.headers.get("Origin");
    if (ctx.req.method != "OPTIONS" || !origin || origin->empty() ||
        !ctx.req.headers.has("Access-Control-Request-Method")) {
      return Flow::next;
    }
    ctx.state<CorsState>(this).skip_response_headers = true;
    if (preflight_continue_) return Flow::next;

    Headers h;
    bool allow_all = configure_origin(h, *origin, false);
    configure_credentials(h, allow_all, *origin, false);
    if (!headers_.empty()) {
      h.set("Access-Control-Allow-Headers", headers_);
    } else if (auto acrh = ctx.req.headers.get("Access-Control-Request-Headers")) {
      h.set("Access-Control-Allow-Headers", *acrh);
    }
    h.set("Access-Control-Allow-Methods", methods_);
    if (!max_age_.empty()) h.set("Access-Control-Max-Age", max_age_);
    if (private_network_ &&
        ctx.req.headers.get("Access-Control-Request-Private-Network") == "true") {
      h.set("Access-Control-Allow-Private-Network", "true");
    }
    ctx.exit_with_body(200, "", std::move(h));
    return Flow::respond;
  }

  void header_filter(Context& ctx) const override {
    if (auto* st = ctx.find_state<CorsState>(this); st && st->skip_response_headers) return;
    auto origin = ctx.req.headers.get("Origin");
    bool provided = origin && !origin->empty();
    if (!provided && !allow_origin_absent_) return;
    std::string_view o = provided ? *origin : std::string_view{};
    bool allow_all = configure_origin(ctx.resp.headers, o, true);
    configure_credentials(ctx.resp.headers, allow_all, o, true);
    if (!exposed_headers_.empty())
      ctx.resp.headers.set("Access-Control-Expose-Headers", exposed_headers_);
  }

 private:
  static void add_vary(Headers& h, bool header_filter) {
    if (header_filter)
      h.add("Vary", "Origin");
    else
      h.set("Vary", "Origin");
  }

  // Kong's configure_origin; returns true when every origin is allowed ("*").
  bool configure_origin(Headers& h, std::string_view req_origin, bool header_filter) const {
    if (allow_all_) {
      h.set("Access-Control-Allow-Origin", "*");
      return true;
    }
    add_vary(h, header_filter);
    if (single_flat_) {
      h.set("Access-Control-Allow-Origin", origins_[0]);
      return false;
    }
    if (!req_origin.empty()) {
      if (star_in_list_) {
        h.set("Access-Control-Allow-Origin", "*");
        return true;
      }
      Origin req = normalize_origin(req_origin);
      for (const auto& a : allowed_) {
        bool found = a.regex ? regex_matches(a.by_host ? req.host : req.domain, *a.regex)
                             : req.domain == a.domain;
        if (found) {
          h.set("Access-Control-Allow-Origin", req.domain);
          return false;
        }
      }
    }
    h.remove("Access-Control-Allow-Origin");
    return false;
  }

  void configure_credentials(Headers& h, bool allow_all, std::string_view req_origin,
                             bool header_filter) const {
    if (!credentials_) return;
    if (!allow_all) {
      h.set("Access-Control-Allow-Credentials", "true");
      return;
    }
    // ACAC cannot be true with ACAO "*": echo the request's origin instead.
    if (!req_origin.empty()) {
      add_vary(h, header_filter);
      h.set("Access-Control-Allow-Origin", req_origin);
      h.set("Access-Control-Allow-Credentials", "true");
    }
  }

  std::vector<std::string> origins_;
  std::string headers_;
  std::string exposed_headers_;
  std::string methods_;
  std::string max_age_;
  bool credentials_;
  bool private_network_;
  bool preflight_continue_;
  bool allow_origin_absent_;
  bool allow_all_ = false;
  bool single_flat_ = false;
  bool star_in_list_ = false;
  std::vector<AllowedOrigin> allowed_;
};

}  // namespace

std::unique_ptr<plugin::Factory> make_cors_factory() {
  return std::make_unique<plugin::schema::schema_factory<CorsPlugin>>("cors", 2000, config_schema);
}

void register_cors(plugin::Registry& r) { r.add(make_cors_factory()); }

}  // namespace gh::plugins
