#include "plugin_config.h"

#include <zlib.h>

#include <cctype>
#include <stdexcept>

#include "core/headers.h"
#include "plugin/schema/redis_record.h"
#include "plugin/schema/schema.h"

namespace gh::aws_masker {
namespace {

namespace js = boost::json;
using namespace gh::plugin::schema;

std::string normalize_type(std::string_view t) {
  std::string out;
  for (char c : t) {
    out += std::isalnum(static_cast<unsigned char>(c))
               ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
               : '_';
  }
  if (out.starts_with("AWS_")) out.erase(0, 4);
  return out;
}

std::string pattern_type(const js::object& p) {
  if (has_string(p, "type")) return normalize_type(get_string(p, "type"));
  return normalize_type(get_string(p, "name"));
}

const Schema& masker_schema() {
  static const Schema s = [] {
    Schema sc({
        {"scope",
         Field::string().default_value("request").one_of({"request", "consumer", "global"})},
        {"fail_closed", Field::boolean().default_value(true)},
        {"max_body_size", Field::integer().default_value(8 * 1024 * 1024).between(1, 1073741824)},
        {"mask_headers",
         Field::array(Field::string().custom(validate_header_name)).default_value(js::array{})},
        {"allow_list", Field::array(Field::string()).default_value(js::array{})},
        {"disabled_types", Field::array(Field::string()).default_value(js::array{})},
        {"custom_patterns",
         Field::array(Field::record({{"name", Field::string()},
                                     {"type", Field::string()},
                                     {"pattern", Field::string().required().custom(
                                                     [](const js::value& v) -> std::string {
                                                       if (!v.is_string()) return {};
                                                       std::string e = mask_engine::check_regex(
                                                           std::string(v.as_string()));
                                                       return e.empty() ? e : "invalid regex: " + e;
                                                     })}}))
             .default_value(js::array{})},
        {"json_aware", Field::boolean().default_value(true)},
        {"restore_responses", Field::boolean().default_value(true)},
        {"events",
         Field::record(
             {{"enabled", Field::boolean().default_value(false)},
              {"sample_rate", Field::number().default_value(1.0).between(0, 1)},
              {"stream", Field::string().default_value("gatehouse:aws-masker:events")},
              {"max_len", Field::integer().default_value(100000).between(1, 100000000)}})},
        {"store_ttl", Field::integer().default_value(3600).between(1, 31536000)},
        // consumer/global scopes in Redis, shared by every node that points at it (the
        // same block as rate-limiting's); without it they live in the node's store.
        {"redis", redis_record()},
        {"scope_restore_limit", Field::integer().default_value(1000).between(0, 100000)},
    });
    sc.check([](const js::object& c, std::vector<plugin::SchemaError>& errors) {
      std::vector<std::string> known = mask_engine::builtin_types();
      if (const auto* arr = c.if_contains("custom_patterns"); arr != nullptr && arr->is_array()) {
        for (const auto& p : arr->as_array()) {
          if (!p.is_object()) continue;
          std::string t = pattern_type(p.as_object());
          if (t.empty() || !std::isalpha(static_cast<unsigned char>(t[0]))) {
            errors.push_back(
                {"custom_patterns", "a pattern needs a 'type' (or 'name') starting with a letter"});
            continue;
          }
          known.push_back(t);
        }
      }
      for (const auto& d : get_strings(c, "disabled_types")) {
        if (std::find(known.begin(), known.end(), normalize_type(d)) == known.end()) {
          errors.push_back({"disabled_types", "unknown type '" + d + "'"});
        }
      }
    });
    return sc;
  }();
  return s;
}

}  // namespace

void validate_config(js::object& config, std::vector<plugin::SchemaError>& errors) {
  const redis_written_fields written(config);
  masker_schema().validate(config, errors);
  written.apply(config);
}

engine_options engine_options_from(const js::object& c) {
  engine_options o;
  if (const auto* arr = c.if_contains("custom_patterns"); arr != nullptr && arr->is_array()) {
    for (const auto& p : arr->as_array()) {
      if (!p.is_object()) continue;
      o.custom_patterns.push_back(
          {pattern_type(p.as_object()), get_string(p.as_object(), "pattern")});
    }
  }
  o.allow_list = get_strings(c, "allow_list");
  for (const auto& d : get_strings(c, "disabled_types"))
    o.disabled_types.push_back(normalize_type(d));
  return o;
}

masker_config build_config(const js::object& c) {
  masker_config m;
  std::string scope = get_string(c, "scope", "request");
  m.scope = scope == "consumer" ? map_scope::consumer
            : scope == "global" ? map_scope::global
                                : map_scope::request;
  m.fail_closed = get_bool(c, "fail_closed", true);
  m.max_body_size = static_cast<std::size_t>(get_int(c, "max_body_size", 8 * 1024 * 1024));
  m.mask_headers = get_strings(c, "mask_headers");
  m.json_aware = get_bool(c, "json_aware", true);
  m.restore_responses = get_bool(c, "restore_responses", true);
  if (const js::object* ev = get_object(c, "events")) {
    m.events_enabled = get_bool(*ev, "enabled", false);
    m.events_sample_rate = get_number(*ev, "sample_rate", 1.0);
    m.events_stream = get_string(*ev, "stream", m.events_stream);
    m.events_max_len = static_cast<std::size_t>(get_int(*ev, "max_len", 100000));
  }
  m.store_ttl = std::chrono::seconds(get_int(c, "store_ttl", 3600));
  m.scope_restore_limit = static_cast<std::size_t>(get_int(c, "scope_restore_limit", 1000));
  m.engine = std::make_shared<const mask_engine>(engine_options_from(c));
  return m;
}

decode_result decode_body(std::string_view enc, std::string_view in, std::size_t limit,
                          std::string& out) {
  int window = 0;
  if (iequals(enc, "gzip") || iequals(enc, "x-gzip")) {
    window = 16 + 15;
  } else if (iequals(enc, "deflate")) {
    window = 32 + 15;  // zlib header auto-detected; raw deflate retried below
  } else {
    return decode_result::unsupported;
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    z_stream zs{};
    if (inflateInit2(&zs, attempt == 0 ? window : -15) != Z_OK) return decode_result::invalid;
    out.clear();
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    char buf[16384];
    int rc = Z_OK;
    while (rc == Z_OK) {
      zs.next_out = reinterpret_cast<Bytef*>(buf);
      zs.avail_out = sizeof buf;
      rc = inflate(&zs, Z_NO_FLUSH);
      out.append(buf, sizeof buf - zs.avail_out);
      if (out.size() > limit) {
        inflateEnd(&zs);
        return decode_result::too_large;
      }
      if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;
    }
    inflateEnd(&zs);
    if (rc == Z_STREAM_END && zs.avail_in == 0) return decode_result::ok;
    if (!iequals(enc, "deflate")) break;
  }
  return decode_result::invalid;
}

}  // namespace gh::aws_masker
