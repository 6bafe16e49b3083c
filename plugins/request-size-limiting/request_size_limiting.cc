#include "plugins/request-size-limiting/request_size_limiting.h"

#include <boost/json.hpp>
#include <charconv>
#include <optional>
#include <string>

#include "plugin/schema/schema.h"
#include "plugin/schema/schema_factory.h"

namespace gh::plugins {

namespace json = boost::json;
using plugin::Context;
using plugin::Flow;
using namespace plugin::schema;

namespace {

constexpr std::string_view kTooLarge = "Request size limit exceeded";

const Schema& config_schema() {
  static const Schema s({
      {"allowed_payload_size", Field::integer().default_value(128)},
      {"size_unit", Field::string()
                        .required()
                        .default_value("megabytes")
                        .one_of({"megabytes", "kilobytes", "bytes"})},
      {"require_content_length", Field::boolean().required().default_value(false)},
  });
  return s;
}

// Lua's tonumber() on a Content-Length value, restricted to what makes a length.
std::optional<uint64_t> parse_length(std::string_view s) {
  s = trim_ows(s);
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

struct StreamState {
  uint64_t received = 0;
};

class RequestSizeLimitingPlugin final : public plugin::Plugin {
 public:
  explicit RequestSizeLimitingPlugin(const json::object& c)
      : require_content_length_(get_bool(c, "require_content_length")) {
    std::string unit = get_string(c, "size_unit", "megabytes");
    uint64_t factor = unit == "bytes" ? 1 : unit == "kilobytes" ? 1024 : 1048576;
    int64_t size = get_int(c, "allowed_payload_size", 128);
    allowed_bytes_ = size <= 0 ? 0 : static_cast<uint64_t>(size) * factor;
  }

  Flow access(Context& ctx) const override {
    std::optional<uint64_t> length = ctx.req.content_length;
    if (!length) {
      if (auto cl = ctx.req.headers.get("Content-Length")) length = parse_length(*cl);
    }
    if (length) {
      if (*length > allowed_bytes_) return refuse(ctx);
      return Flow::next;
    }
    if (require_content_length_ && !ctx.req.chunked) {
      ctx.exit(411, "A valid Content-Length header is required");
      return Flow::respond;
    }
    return Flow::next;  // a chunked body is counted in request_body_filter
  }

  // Called per chunk while the body streams upstream; never holds bytes back.
  Flow request_body_filter(Context& ctx, std::string_view chunk, bool) const override {
    auto& st = ctx.state<StreamState>(this);
    st.received += chunk.size();
    if (st.received > allowed_bytes_) return refuse(ctx);
    return Flow::next;
  }

  plugin::BodyMode request_body_mode() const noexcept override { return plugin::BodyMode::stream; }

 private:
  static Flow refuse(Context& ctx) {
    auto expect = ctx.req.headers.get("Expect");
    bool continue_expected = expect && iequals(trim_ows(*expect), "100-continue");
    ctx.exit(continue_expected ? 417 : 413, kTooLarge);
    return Flow::respond;
  }

  bool require_content_length_;
  uint64_t allowed_bytes_ = 0;
};

}  // namespace

std::unique_ptr<plugin::Factory> make_request_size_limiting_factory() {
  return std::make_unique<plugin::schema::schema_factory<RequestSizeLimitingPlugin>>(
      "request-size-limiting", 951, config_schema);
}

void register_request_size_limiting(plugin::Registry& r) {
  r.add(make_request_size_limiting_factory());
}

}  // namespace gh::plugins
