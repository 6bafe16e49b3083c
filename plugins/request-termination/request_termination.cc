#include "plugins/request-termination/request_termination.h"

#include <unistd.h>

#include <boost/json.hpp>
#include <string>

#include "plugin/schema/schema.h"
#include "plugin/schema/schema_factory.h"

namespace gh::plugins {

namespace json = boost::json;
using plugin::Context;
using plugin::Flow;
using namespace plugin::schema;

namespace {

bool present(const json::object& c, std::string_view key) { return has_string(c, key); }

const Schema& config_schema() {
  static const Schema s = [] {
    Schema s({
        {"status_code", Field::integer().required().default_value(503).between(100, 599)},
        {"message", Field::string()},
        {"content_type", Field::string()},
        {"body", Field::string()},
        {"echo", Field::boolean().required().default_value(false)},
        {"trigger", Field::string().custom(validate_header_name)},
    });
    s.check([](const json::object& c, std::vector<plugin::SchemaError>& errors) {
      if (present(c, "message") && (present(c, "content_type") || present(c, "body"))) {
        errors.push_back({"", "message cannot be used with content_type or body"});
      } else if (present(c, "content_type") && !present(c, "body")) {
        errors.push_back({"", "content_type requires a body"});
      } else if (get_bool(c, "echo") && (present(c, "content_type") || present(c, "body"))) {
        errors.push_back({"", "echo cannot be used with content_type and body"});
      }
    });
    return s;
  }();
  return s;
}

std::string_view default_message(int status) {
  switch (status) {
    case 401:
      return "Unauthorized";
    case 404:
      return "Not found";
    case 405:
      return "Method not allowed";
    case 500:
      return "An unexpected error occurred";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service unavailable";
    default:
      return {};
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string url_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
               hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Like ngx.req.get_uri_args: a repeated name becomes an array, a bare name is true.
json::object query_args(std::string_view q) {
  json::object out;
  std::size_t pos = 0;
  while (pos <= q.size() && !q.empty()) {
    std::size_t amp = q.find('&', pos);
    if (amp == std::string_view::npos) amp = q.size();
    std::string_view pair = q.substr(pos, amp - pos);
    pos = amp + 1;
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    std::string name = url_decode(pair.substr(0, eq));
    json::value v = eq == std::string_view::npos ? json::value(true)
                                                 : json::value(url_decode(pair.substr(eq + 1)));
    auto it = out.find(name);
    if (it == out.end()) {
      out[name] = std::move(v);
    } else if (it->value().is_array()) {
      it->value().as_array().push_back(std::move(v));
    } else {
      json::array a{it->value(), std::move(v)};
      it->value() = std::move(a);
    }
  }
  return out;
}

json::object header_args(const Headers& headers) {
  json::object out;
  for (const auto& f : headers) {
    std::string name = to_lower(f.name);
    std::string_view value = f.value;
    auto it = out.find(name);
    if (it == out.end()) {
      out[name] = value;
    } else if (it->value().is_array()) {
      it->value().as_array().emplace_back(value);
    } else {
      json::array a{it->value(), json::value(value)};
      it->value() = std::move(a);
    }
  }
  return out;
}

class RequestTerminationPlugin final : public plugin::Plugin {
 public:
  explicit RequestTerminationPlugin(const json::object& c)
      : status_(static_cast<int>(get_int(c, "status_code", 503))),
        message_(has_string(c, "message") ? get_string(c, "message")
                                          : std::string(default_message(status_))),
        has_body_(c.contains("body") && c.at("body").is_string()),
        body_(get_string(c, "body")),
        content_type_(get_string(c, "content_type", "text/plain")),
        echo_(get_bool(c, "echo")),
        trigger_(get_string(c, "trigger")) {}

  Flow access(Context& ctx) const override {
    if (!trigger_.empty() && !ctx.req.headers.has(trigger_) &&
        !query_args(ctx.req.query).contains(trigger_)) {
      return Flow::next;
    }
    Headers h;
    if (echo_) {
      h.set("Content-Type", "application/json; charset=utf-8");
      ctx.exit_with_body(status_, json::serialize(echo(ctx)), std::move(h));
    } else if (has_body_) {
      h.set("Content-Type", content_type_);
      ctx.exit_with_body(status_, body_, std::move(h));
    } else if (!message_.empty()) {
      h.set("Content-Type", "application/json; charset=utf-8");
      ctx.exit_with_body(status_, json::serialize(json::object{{"message", message_}}),
                         std::move(h));
    } else {
      ctx.exit_with_body(status_, "", std::move(h));
    }
    return Flow::respond;
  }

  plugin::BodyMode request_body_mode() const noexcept override {
    return echo_ ? plugin::BodyMode::buffered : plugin::BodyMode::none;
  }

 private:
  json::object echo(const Context& ctx) const {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    json::object request{
        {"scheme", ctx.req.scheme},
        {"host", ctx.req.host},
        {"headers", header_args(ctx.req.headers)},
        {"query", query_args(ctx.req.query)},
        {"method", ctx.req.method},
        {"path", ctx.req.path},
        {"raw_body", ctx.req.body_buffered ? json::value(ctx.req.body) : json::value(nullptr)},
    };
    json::object out{
        {"message", message_.empty() ? json::value(nullptr) : json::value(message_)},
        {"kong", json::object{{"worker_pid", static_cast<int64_t>(getpid())}, {"hostname", host}}},
        {"request", std::move(request)},
    };
    out["matched_route"] =
        ctx.route ? json::value(json::object{{"id", ctx.route->id}, {"name", ctx.route->name}})
                  : json::value(nullptr);
    out["matched_service"] =
        ctx.service
            ? json::value(json::object{{"id", ctx.service->id}, {"name", ctx.service->name}})
            : json::value(nullptr);
    return out;
  }

  int status_;
  std::string message_;
  bool has_body_;
  std::string body_;
  std::string content_type_;
  bool echo_;
  std::string trigger_;
};

}  // namespace

std::unique_ptr<plugin::Factory> make_request_termination_factory() {
  return std::make_unique<plugin::schema::schema_factory<RequestTerminationPlugin>>(
      "request-termination", 2, config_schema);
}

void register_request_termination(plugin::Registry& r) {
  r.add(make_request_termination_factory());
}

}  // namespace gh::plugins
