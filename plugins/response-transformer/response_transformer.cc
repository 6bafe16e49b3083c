#include "plugins/response-transformer/response_transformer.h"

#include "plugin/schema/schema.h"
#include "plugins/response-transformer/transforms.h"

#include <boost/json.hpp>

#include <string>

namespace gh::plugins {

namespace json = boost::json;
using plugin::Context;
using namespace plugin::schema;

namespace {

std::string validate_colon_pair(const json::value& v) {
  std::string_view s = v.is_string() ? std::string_view(v.get_string()) : std::string_view{};
  auto colon = s.find(':');
  if (colon == 0 || colon == std::string_view::npos) return "invalid value: " + std::string(s);
  return {};
}

// rename.headers: both sides must be header names.
std::string validate_colon_headers(const json::value& v) {
  auto pair = transform::split_pair(v.is_string() ? std::string_view(v.get_string()) : std::string_view{});
  if (!validate_header_name(json::value(pair.name)).empty()) return "'" + pair.name + "' is not a valid header";
  if (!validate_header_name(json::value(pair.value)).empty()) return "'" + pair.value + "' is not a valid header";
  return {};
}

Field string_array() { return Field::array(Field::string()).required().default_value(json::array{}); }
Field colon_array() { return Field::array(Field::string().custom(validate_colon_pair)).required().default_value(json::array{}); }

Field colon_record() {
  return Field::record({
      {"json", colon_array()},
      {"json_types",
       Field::array(Field::string().one_of({"boolean", "number", "string"})).required().default_value(json::array{})},
      {"headers", colon_array()},
  });
}

const Schema& config_schema() {
  static const Schema s({
      {"remove", Field::record({{"json", string_array()}, {"headers", string_array()}})},
      {"rename", Field::record({{"json", colon_array()},
                                {"headers", Field::array(Field::string()
                                                             .custom(validate_colon_pair)
                                                             .custom(validate_colon_headers))
                                                .required()
                                                .default_value(json::array{})}})},
      {"replace", colon_record()},
      {"add", colon_record()},
      {"append", colon_record()},
  });
  return s;
}

struct BodyState {
  bool transform = false;
  std::string held;
};

class ResponseTransformerPlugin final : public plugin::Plugin {
 public:
  explicit ResponseTransformerPlugin(const json::object& c) : rules_(transform::Rules::from_config(c)) {}

  void header_filter(Context& ctx) const override {
    transform::apply_headers(rules_, ctx.resp.headers);
    if (rules_.has_json() && transform::is_json_body(ctx.resp.headers.get("Content-Type").value_or(""))) {
      ctx.resp.headers.remove("Content-Length");  // the body is going to change
      ctx.state<BodyState>(this).transform = true;
    }
  }

  // The core calls body_filter only for plugins that ask for the body.
  plugin::BodyMode response_body_mode() const noexcept override {
    return rules_.has_json() ? plugin::BodyMode::stream : plugin::BodyMode::none;
  }

  // Per chunk: holds the JSON body back and emits it transformed at end of stream.
  void body_filter(Context& ctx, std::string& chunk, bool end_of_stream) const override {
    auto* st = ctx.find_state<BodyState>(this);
    if (!st || !st->transform) return;
    if (st->held.size() + chunk.size() > kMaxJsonBody) {
      // Too large to hold: flush what was held and let the rest stream unchanged.
      chunk.insert(0, st->held);
      st->held.clear();
      st->transform = false;
      return;
    }
    st->held.append(chunk);
    chunk.clear();
    if (!end_of_stream) return;
    std::string out;
    if (transform::apply_json(rules_, st->held, out)) chunk = std::move(out);
    else chunk = std::move(st->held);
    st->held.clear();
  }

 private:
  transform::Rules rules_;
};

class ResponseTransformerFactory final : public plugin::Factory {
 public:
  std::string_view name() const override { return "response-transformer"; }
  int priority() const override { return 800; }
  void validate(json::object& config, std::vector<plugin::SchemaError>& errors) const override {
    config_schema().validate(config, errors);
  }
  std::shared_ptr<const plugin::Plugin> build(const config::PluginInstance& instance,
                                              const plugin::BuildContext&) const override {
    return std::make_shared<ResponseTransformerPlugin>(instance.config);
  }
};

}  // namespace

std::unique_ptr<plugin::Factory> make_response_transformer_factory() {
  return std::make_unique<ResponseTransformerFactory>();
}

void register_response_transformer(plugin::Registry& r) { r.add(make_response_transformer_factory()); }

}  // namespace gh::plugins
