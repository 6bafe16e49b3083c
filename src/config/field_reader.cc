#include "config/field_reader.h"

#include <boost/json/serialize.hpp>

#include <cmath>

namespace gh::config::detail {

void error_sink::add(const entity_label& who, std::string field, std::string message) {
  out_->push_back(config_error{who.entity, who.name, std::move(field), std::move(message), who.id});
}

std::string expected_message(std::string_view type) {
  if (type == "integer" || type == "array") return "expected an " + std::string(type);
  return "expected a " + std::string(type);
}

std::optional<std::int64_t> integral_value(const boost::json::value& v) {
  if (const auto* i = v.if_int64()) return *i;
  if (const auto* u = v.if_uint64()) {
    if (*u > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<std::int64_t>(*u);
  }
  if (const auto* d = v.if_double()) {
    if (!std::isfinite(*d) || std::floor(*d) != *d || std::fabs(*d) > 9.0e18) return std::nullopt;
    return static_cast<std::int64_t>(*d);
  }
  return std::nullopt;
}

std::string printable(const boost::json::value& v) {
  std::string s = v.is_string() ? std::string(v.get_string()) : boost::json::serialize(v);
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

field_reader::field_reader(const boost::json::object& obj, error_sink& sink,
                           const entity_label& who, std::string prefix)
    : obj_(obj), sink_(&sink), who_(who), prefix_(std::move(prefix)),
      errors_at_start_(sink.count()) {}

const boost::json::value* field_reader::get(std::string_view key) {
  seen_.emplace(key);
  auto it = obj_.find(key);
  if (it == obj_.end() || it->value().is_null()) return nullptr;
  return &it->value();
}

bool field_reader::has(std::string_view key) const {
  auto it = obj_.find(key);
  return it != obj_.end() && !it->value().is_null();
}

void field_reader::known(std::initializer_list<std::string_view> keys) {
  for (auto k : keys) seen_.emplace(k);
}

void field_reader::error(std::string_view field, std::string message) {
  sink_->add(who_, prefix_ + std::string(field), std::move(message));
}

std::optional<std::string> field_reader::string(std::string_view key, bool required) {
  const auto* v = get(key);
  if (!v) {
    if (required) error(key, "required field missing");
    return std::nullopt;
  }
  if (!v->is_string()) {
    error(key, expected_message("string"));
    return std::nullopt;
  }
  if (v->get_string().empty()) {
    error(key, "length must be at least 1");
    return std::nullopt;
  }
  return std::string(v->get_string());
}

std::optional<std::int64_t> field_reader::integer(std::string_view key, std::int64_t lo,
                                                  std::int64_t hi, bool required) {
  const auto* v = get(key);
  if (!v) {
    if (required) error(key, "required field missing");
    return std::nullopt;
  }
  if (!v->is_number()) {
    error(key, expected_message("integer"));
    return std::nullopt;
  }
  auto n = integral_value(*v);
  if (!n && v->is_double() && std::floor(v->get_double()) != v->get_double()) {
    error(key, expected_message("integer"));
    return std::nullopt;
  }
  if (!n || *n < lo || *n > hi) {
    error(key, "value should be between " + std::to_string(lo) + " and " + std::to_string(hi));
    return std::nullopt;
  }
  return n;
}

std::optional<double> field_reader::number(std::string_view key, double lo, double hi) {
  const auto* v = get(key);
  if (!v) return std::nullopt;
  if (!v->is_number()) {
    error(key, expected_message("number"));
    return std::nullopt;
  }
  double d = v->to_number<double>();
  if (!(d >= lo && d <= hi)) {
    error(key, "value should be between " + printable(boost::json::value(lo)) + " and " +
                   printable(boost::json::value(hi)));
    return std::nullopt;
  }
  return d;
}

std::optional<bool> field_reader::boolean(std::string_view key) {
  const auto* v = get(key);
  if (!v) return std::nullopt;
  if (!v->is_bool()) {
    error(key, expected_message("boolean"));
    return std::nullopt;
  }
  return v->get_bool();
}

std::optional<std::string> field_reader::one_of(std::string_view key,
                                                std::initializer_list<std::string_view> allowed) {
  auto s = string(key);
  if (!s) return std::nullopt;
  for (auto a : allowed)
    if (a == *s) return s;
  std::string msg = "expected one of: ";
  bool first = true;
  for (auto a : allowed) {
    if (!first) msg += ", ";
    msg += a;
    first = false;
  }
  error(key, msg);
  return std::nullopt;
}

const boost::json::array* field_reader::array(std::string_view key) {
  const auto* v = get(key);
  if (!v) return nullptr;
  if (!v->is_array()) {
    error(key, expected_message("array"));
    return nullptr;
  }
  return &v->get_array();
}

const boost::json::object* field_reader::object(std::string_view key) {
  const auto* v = get(key);
  if (!v) return nullptr;
  if (!v->is_object()) {
    error(key, expected_message("record"));
    return nullptr;
  }
  return &v->get_object();
}

std::optional<std::vector<std::string>> field_reader::strings(std::string_view key) {
  const auto* a = array(key);
  if (!a) return std::nullopt;
  std::vector<std::string> out;
  out.reserve(a->size());
  bool ok = true;
  for (const auto& e : *a) {
    if (!e.is_string()) {
      if (ok) error(key, expected_message("string"));
      ok = false;
      continue;
    }
    out.emplace_back(e.get_string());
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::vector<std::int64_t>> field_reader::integers(std::string_view key,
                                                                std::int64_t lo, std::int64_t hi) {
  const auto* a = array(key);
  if (!a) return std::nullopt;
  std::vector<std::int64_t> out;
  for (const auto& e : *a) {
    auto n = e.is_number() ? integral_value(e) : std::nullopt;
    if (!n) {
      error(key, expected_message("integer"));
      return std::nullopt;
    }
    if (*n < lo || *n > hi) {
      error(key, "value should be between " + std::to_string(lo) + " and " + std::to_string(hi));
      return std::nullopt;
    }
    out.push_back(*n);
  }
  return out;
}

void field_reader::finish() {
  if (const auto* c = get("_comment"); c && !c->is_string()) error("_comment", expected_message("string"));
  if (const auto* i = get("_ignore"); i && !i->is_array()) error("_ignore", expected_message("array"));
  for (const auto& kv : obj_) {
    if (!seen_.contains(std::string_view(kv.key()))) error(kv.key(), "unknown field");
  }
}

}  // namespace gh::config::detail
