// A small typed schema for Kong-style plugin configs and plugin-owned entities.
//
// Plugin factories (plugin.h: Factory::validate / validate_entity) describe their
// `config` record once, as Kong's schema.lua does, and call Schema::validate, which checks
// types, fills defaults in place and appends every problem with Kong's wording
// ("expected an integer", "required field missing", "unknown field", "value should be
// between 100 and 599", "expected one of: a, b", "length must be at least 1", ...).
// Entity checks (at_least_one_of, only_one_of, mutually_required, mutually_exclusive,
// conditional required) report on field "@entity" like Kong, with quoted dotted names
// ('config.allow'). Config time only: it may allocate freely and is never on the data path.
//
// Example:
//   using namespace gh::plugin::schema;
//   static const Schema s = Schema({
//       {"status_code", Field::integer().required().default_value(503).between(100, 599)},
//       {"message", Field::string()},
//   }).at_least_one_of({"message", "body"});
//   s.validate(config, errors);
//
// Error paths: a field inside a record is "parent.child"; an element of an array is
// reported on the array's own path (as Kong's flattened errors do for scalars). Two
// special paths: "@entity" for entity checks (Kong reports those on the plugin entity's
// "@entity", naming 'config.x' fields), and "" for a check on the config record as a
// whole (Kong's record custom_validator, reported on "config").
#pragma once

#include "plugin/plugin.h"

#include <boost/json/value.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gh::plugin::schema {

enum class Type { string, integer, number, boolean, array, set, record, map, any };

class Field;
using FieldList = std::vector<std::pair<std::string, Field>>;
// Returns an empty string when `v` is valid, else Kong's message for it.
using CustomValidator = std::function<std::string(const boost::json::value& v)>;

class Field {
 public:
  static Field string();
  static Field integer();
  static Field number();
  static Field boolean();
  static Field any();
  static Field array(Field elements);
  static Field set(Field elements);  // an array whose duplicate elements are dropped
  static Field record(FieldList fields);
  static Field map(Field values);  // string keys

  Field required(bool yes = true) &&;
  Field default_value(boost::json::value v) &&;
  Field one_of(std::vector<boost::json::value> values) &&;
  Field between(double lo, double hi) &&;
  Field gt(double v) &&;
  Field len_min(std::size_t n) &&;  // strings default to 1 (Kong refuses "")
  Field len_max(std::size_t n) &&;
  Field custom(CustomValidator fn) &&;

  Type type() const noexcept { return type_; }
  const FieldList& fields() const noexcept { return fields_; }

  // Validates `v` at `path`, replacing it with a normalized value (integers as int64,
  // sets deduplicated, records with defaults). Appends to `errors`.
  void check(boost::json::value& v, const std::string& path, std::vector<SchemaError>& errors) const;
  // Fills defaults of a record's missing fields; reports missing required ones.
  void check_record(boost::json::object& obj, const std::string& prefix,
                    std::vector<SchemaError>& errors) const;

 private:
  explicit Field(Type t) : type_(t) {}
  void check_scalar_rules(const boost::json::value& v, const std::string& path,
                          std::vector<SchemaError>& errors) const;

  Type type_;
  bool required_ = false;
  std::optional<boost::json::value> default_;
  std::vector<boost::json::value> one_of_;
  std::optional<std::pair<double, double>> between_;
  std::optional<double> gt_;
  std::optional<std::size_t> len_min_;
  std::optional<std::size_t> len_max_;
  std::vector<CustomValidator> custom_;
  std::shared_ptr<const Field> elements_;  // array, set, map values
  FieldList fields_;                        // record
};

// Whole-config checks, run after the fields (Kong's entity_checks).
using EntityCheck = std::function<void(const boost::json::object& config, std::vector<SchemaError>& errors)>;

class Schema {
 public:
  // `config_prefix` is how entity-check messages name fields ("config." for plugins,
  // "" for entities such as keyauth_credentials).
  explicit Schema(FieldList fields, std::string config_prefix = "config.");

  Schema& at_least_one_of(std::vector<std::string> names);
  Schema& only_one_of(std::vector<std::string> names);
  Schema& mutually_required(std::vector<std::string> names);
  Schema& mutually_exclusive(std::vector<std::string> names);
  // When `if_field` equals `if_value`, `then_field` must be non-empty
  // ("required field missing" on then_field, as Kong's conditional checks report).
  Schema& conditional_required(std::string if_field, boost::json::value if_value, std::string then_field);
  // Any other check; report problems on "@entity" or on a field.
  Schema& check(EntityCheck fn);

  // Validates `config` in place: types, defaults, unknown fields, then entity checks
  // (entity checks run only when the fields themselves were valid, as in Kong).
  void validate(boost::json::object& config, std::vector<SchemaError>& errors) const;

  const Field& root() const noexcept { return root_; }

 private:
  Field root_;
  std::string prefix_;
  std::vector<EntityCheck> checks_;
};

// Kong's is_nonempty: not absent, not null, not "", not an empty array/object.
bool is_nonempty(const boost::json::value* v) noexcept;
// Looks up a dotted path ("redis.host") in a config object; nullptr when absent.
const boost::json::value* get_path(const boost::json::object& obj, std::string_view dotted) noexcept;

// Kong's typedefs.header_name validator ("bad header name 'x', allowed characters are ...").
std::string validate_header_name(const boost::json::value& v);

// Readers for a config that passed validate() (defaults filled): a missing or
// wrongly typed field yields `fallback`, so they never throw.
std::string get_string(const boost::json::object& c, std::string_view key, std::string_view fallback = {});
bool has_string(const boost::json::object& c, std::string_view key) noexcept;
bool get_bool(const boost::json::object& c, std::string_view key, bool fallback = false) noexcept;
// Integers saturate at the int64 range (a validated config may hold 1e300 in a number
// field; converting that to an integer must not be undefined behaviour).
int64_t get_int(const boost::json::object& c, std::string_view key, int64_t fallback = 0) noexcept;
int64_t saturating_int64(double d) noexcept;
double get_number(const boost::json::object& c, std::string_view key, double fallback = 0) noexcept;
std::vector<std::string> get_strings(const boost::json::object& c, std::string_view key);
const boost::json::object* get_object(const boost::json::object& c, std::string_view key) noexcept;

}  // namespace gh::plugin::schema
