#include "plugin/schema/schema.h"

#include <boost/json.hpp>

#include <cmath>
#include <limits>
#include <cstdio>

namespace gh::plugin::schema {

namespace json = boost::json;

namespace {

std::string format_number(double d) {
  char buf[64];
  if (std::floor(d) == d && std::fabs(d) < 1e15) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(d));
  } else {
    std::snprintf(buf, sizeof buf, "%.14g", d);
  }
  return buf;
}

std::string value_text(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_number()) return format_number(v.to_number<double>());
  return json::serialize(v);
}

std::string join_path(const std::string& prefix, std::string_view name) {
  if (prefix.empty()) return std::string(name);
  return prefix + "." + std::string(name);
}

std::string quoted_list(const std::vector<std::string>& names, const std::string& prefix) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += "'" + prefix + n + "'";
  }
  return out;
}

std::optional<double> as_double(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double()) return v.get_double();
  return std::nullopt;
}

}  // namespace

Field Field::string() { return Field(Type::string); }
Field Field::integer() { return Field(Type::integer); }
Field Field::number() { return Field(Type::number); }
Field Field::boolean() { return Field(Type::boolean); }
Field Field::any() { return Field(Type::any); }
Field Field::array(Field elements) {
  Field f(Type::array);
  f.elements_ = std::make_shared<const Field>(std::move(elements));
  return f;
}
Field Field::set(Field elements) {
  Field f(Type::set);
  f.elements_ = std::make_shared<const Field>(std::move(elements));
  return f;
}
Field Field::record(FieldList fields) {
  Field f(Type::record);
  f.fields_ = std::move(fields);
  return f;
}
Field Field::map(Field values) {
  Field f(Type::map);
  f.elements_ = std::make_shared<const Field>(std::move(values));
  return f;
}

Field Field::required(bool yes) && {
  required_ = yes;
  return std::move(*this);
}
Field Field::default_value(json::value v) && {
  default_ = std::move(v);
  return std::move(*this);
}
Field Field::one_of(std::vector<json::value> values) && {
  one_of_ = std::move(values);
  return std::move(*this);
}
Field Field::between(double lo, double hi) && {
  between_ = std::make_pair(lo, hi);
  return std::move(*this);
}
Field Field::gt(double v) && {
  gt_ = v;
  return std::move(*this);
}
Field Field::len_min(std::size_t n) && {
  len_min_ = n;
  return std::move(*this);
}
Field Field::len_max(std::size_t n) && {
  len_max_ = n;
  return std::move(*this);
}
Field Field::custom(CustomValidator fn) && {
  custom_.push_back(std::move(fn));
  return std::move(*this);
}

void Field::check_scalar_rules(const json::value& v, const std::string& path,
                               std::vector<SchemaError>& errors) const {
  if (!one_of_.empty()) {
    bool found = false;
    for (const auto& o : one_of_) {
      if (o == v) found = true;
      auto a = as_double(o), b = as_double(v);
      if (a && b && *a == *b) found = true;
    }
    if (!found) {
      std::string list;
      for (const auto& o : one_of_) {
        if (!list.empty()) list += ", ";
        list += value_text(o);
      }
      errors.push_back({path, "expected one of: " + list});
      return;
    }
  }
  if (auto d = as_double(v)) {
    if (gt_ && !(*d > *gt_)) {
      errors.push_back({path, "value must be greater than " + format_number(*gt_)});
      return;
    }
    if (between_ && (*d < between_->first || *d > between_->second)) {
      errors.push_back({path, "value should be between " + format_number(between_->first) + " and " +
                                  format_number(between_->second)});
      return;
    }
  }
  std::optional<std::size_t> len;
  if (v.is_string()) len = v.get_string().size();
  if (v.is_array()) len = v.get_array().size();
  if (len) {
    std::size_t min = len_min_.value_or(type_ == Type::string ? 1 : 0);
    if (*len < min) {
      errors.push_back({path, "length must be at least " + std::to_string(min)});
      return;
    }
    if (len_max_ && *len > *len_max_) {
      errors.push_back({path, "length must be at most " + std::to_string(*len_max_)});
      return;
    }
  }
  for (const auto& fn : custom_) {
    std::string msg = fn(v);
    if (!msg.empty()) {
      errors.push_back({path, std::move(msg)});
      return;
    }
  }
}

void Field::check(json::value& v, const std::string& path, std::vector<SchemaError>& errors) const {
  switch (type_) {
    case Type::string:
      if (!v.is_string()) return errors.push_back({path, "expected a string"});
      break;
    case Type::integer: {
      auto d = as_double(v);
      if (!d || std::floor(*d) != *d || std::isinf(*d)) return errors.push_back({path, "expected an integer"});
      // 2^63 is exact as a double; anything at or beyond it does not fit an int64.
      if (*d >= 9223372036854775808.0 || *d < -9223372036854775808.0)
        return errors.push_back({path, "integer out of range"});
      if (v.is_double()) v = static_cast<int64_t>(*d);
      if (v.is_uint64() && v.get_uint64() <= static_cast<uint64_t>(INT64_MAX)) v = static_cast<int64_t>(v.get_uint64());
      break;
    }
    case Type::number:
      // A JSON number too large for a double arrives as infinity: not a number to use.
      if (!v.is_number() || !std::isfinite(v.to_number<double>()))
        return errors.push_back({path, "expected a number"});
      break;
    case Type::boolean:
      if (!v.is_bool()) return errors.push_back({path, "expected a boolean"});
      break;
    case Type::any:
      break;
    case Type::array:
    case Type::set: {
      if (!v.is_array()) return errors.push_back({path, type_ == Type::set ? "expected a set" : "expected an array"});
      auto& arr = v.as_array();
      for (auto& e : arr) {
        if (e.is_null()) {
          errors.push_back({path, "required field missing"});
          continue;
        }
        elements_->check(e, path, errors);
      }
      if (type_ == Type::set) {
        json::array unique;
        for (auto& e : arr) {
          bool dup = false;
          for (const auto& u : unique) dup = dup || (u == e);
          if (!dup) unique.push_back(e);
        }
        arr = std::move(unique);
      }
      break;
    }
    case Type::map: {
      if (!v.is_object()) return errors.push_back({path, "expected a map"});
      for (auto& kv : v.as_object()) elements_->check(kv.value(), join_path(path, kv.key()), errors);
      break;
    }
    case Type::record: {
      if (!v.is_object()) return errors.push_back({path, "expected a record"});
      check_record(v.as_object(), path, errors);
      break;
    }
  }
  check_scalar_rules(v, path, errors);
}

void Field::check_record(json::object& obj, const std::string& prefix, std::vector<SchemaError>& errors) const {
  for (const auto& kv : obj) {
    bool known = false;
    for (const auto& [name, f] : fields_) known = known || name == kv.key();
    if (!known) errors.push_back({join_path(prefix, kv.key()), "unknown field"});
  }
  for (const auto& [name, f] : fields_) {
    std::string path = join_path(prefix, name);
    auto it = obj.find(name);
    bool absent = it == obj.end() || it->value().is_null();
    if (absent && !f.default_ && f.type_ == Type::record) {
      // A record without default is filled from its own fields' defaults, as Kong does.
      obj[name] = json::object();
      it = obj.find(name);
      absent = false;
    }
    if (absent) {
      if (f.default_) {
        obj[name] = *f.default_;
        continue;
      }
      if (f.required_) errors.push_back({path, "required field missing"});
      else if (it == obj.end()) obj[name] = nullptr;  // present as null, like Kong's output
      continue;
    }
    f.check(it->value(), path, errors);
  }
}

Schema::Schema(FieldList fields, std::string config_prefix)
    : root_(Field::record(std::move(fields))), prefix_(std::move(config_prefix)) {}

Schema& Schema::at_least_one_of(std::vector<std::string> names) {
  checks_.push_back([names, prefix = prefix_](const json::object& c, std::vector<SchemaError>& errors) {
    for (const auto& n : names) {
      if (is_nonempty(get_path(c, n))) return;
    }
    errors.push_back({"@entity", "at least one of these fields must be non-empty: " + quoted_list(names, prefix)});
  });
  return *this;
}

Schema& Schema::only_one_of(std::vector<std::string> names) {
  checks_.push_back([names, prefix = prefix_](const json::object& c, std::vector<SchemaError>& errors) {
    int n = 0;
    for (const auto& name : names) n += is_nonempty(get_path(c, name)) ? 1 : 0;
    if (n > 1) {
      errors.push_back({"@entity", "exactly one of these fields must be non-empty: " + quoted_list(names, prefix)});
    }
  });
  return *this;
}

Schema& Schema::mutually_required(std::vector<std::string> names) {
  checks_.push_back([names, prefix = prefix_](const json::object& c, std::vector<SchemaError>& errors) {
    std::size_t n = 0;
    for (const auto& name : names) n += is_nonempty(get_path(c, name)) ? 1 : 0;
    if (n != 0 && n != names.size()) {
      errors.push_back({"@entity", "all or none of these fields must be set: " + quoted_list(names, prefix)});
    }
  });
  return *this;
}

Schema& Schema::mutually_exclusive(std::vector<std::string> names) {
  checks_.push_back([names, prefix = prefix_](const json::object& c, std::vector<SchemaError>& errors) {
    int n = 0;
    for (const auto& name : names) n += is_nonempty(get_path(c, name)) ? 1 : 0;
    if (n > 1) {
      errors.push_back({"@entity", "only one or none of these fields must be set: " + quoted_list(names, prefix)});
    }
  });
  return *this;
}

Schema& Schema::conditional_required(std::string if_field, json::value if_value, std::string then_field) {
  checks_.push_back([=](const json::object& c, std::vector<SchemaError>& errors) {
    const json::value* v = get_path(c, if_field);
    if (v && *v == if_value && !is_nonempty(get_path(c, then_field))) {
      errors.push_back({then_field, "required field missing"});
    }
  });
  return *this;
}

Schema& Schema::check(EntityCheck fn) {
  checks_.push_back(std::move(fn));
  return *this;
}

void Schema::validate(json::object& config, std::vector<SchemaError>& errors) const {
  std::size_t before = errors.size();
  root_.check_record(config, "", errors);
  if (errors.size() != before) return;
  for (const auto& c : checks_) c(config, errors);
}

bool is_nonempty(const json::value* v) noexcept {
  if (!v || v->is_null()) return false;
  if (v->is_string()) return !v->get_string().empty();
  if (v->is_array()) return !v->get_array().empty();
  if (v->is_object()) return !v->get_object().empty();
  return true;
}

const json::value* get_path(const json::object& obj, std::string_view dotted) noexcept {
  const json::object* cur = &obj;
  while (true) {
    auto dot = dotted.find('.');
    auto key = dotted.substr(0, dot);
    auto it = cur->find(key);
    if (it == cur->end()) return nullptr;
    if (dot == std::string_view::npos) return &it->value();
    if (!it->value().is_object()) return nullptr;
    cur = &it->value().get_object();
    dotted.remove_prefix(dot + 1);
  }
}

std::string validate_header_name(const json::value& v) {
  if (!v.is_string() || v.get_string().empty()) return "no header name provided";
  for (char c : v.get_string()) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) {
      return "bad header name '" + std::string(v.get_string()) +
             "', allowed characters are A-Z, a-z, 0-9, '_', and '-'";
    }
  }
  return {};
}

std::string get_string(const json::object& c, std::string_view key, std::string_view fallback) {
  auto it = c.find(key);
  if (it == c.end() || !it->value().is_string()) return std::string(fallback);
  return std::string(it->value().get_string());
}

bool has_string(const json::object& c, std::string_view key) noexcept {
  auto it = c.find(key);
  return it != c.end() && it->value().is_string() && !it->value().get_string().empty();
}

bool get_bool(const json::object& c, std::string_view key, bool fallback) noexcept {
  auto it = c.find(key);
  if (it == c.end() || !it->value().is_bool()) return fallback;
  return it->value().get_bool();
}

int64_t get_int(const json::object& c, std::string_view key, int64_t fallback) noexcept {
  auto it = c.find(key);
  if (it == c.end()) return fallback;
  if (it->value().is_int64()) return it->value().get_int64();
  auto d = as_double(it->value());
  return d && !std::isnan(*d) ? saturating_int64(*d) : fallback;
}

int64_t saturating_int64(double d) noexcept {
  if (std::isnan(d)) return 0;
  if (d >= 9223372036854775808.0) return std::numeric_limits<int64_t>::max();
  if (d < -9223372036854775808.0) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(d);
}

double get_number(const json::object& c, std::string_view key, double fallback) noexcept {
  auto it = c.find(key);
  if (it == c.end()) return fallback;
  return as_double(it->value()).value_or(fallback);
}

std::vector<std::string> get_strings(const json::object& c, std::string_view key) {
  std::vector<std::string> out;
  auto it = c.find(key);
  if (it == c.end() || !it->value().is_array()) return out;
  for (const auto& e : it->value().get_array()) {
    if (e.is_string()) out.emplace_back(e.get_string());
  }
  return out;
}

const json::object* get_object(const json::object& c, std::string_view key) noexcept {
  auto it = c.find(key);
  if (it == c.end() || !it->value().is_object()) return nullptr;
  return &it->value().get_object();
}

}  // namespace gh::plugin::schema
