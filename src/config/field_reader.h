// Typed, error-collecting access to one entity record of a declarative config.
//
// Internal to the declarative loader. A field_reader wraps one JSON object (a service, a
// route, a healthchecks sub-record ...), hands out fields with the type the schema wants,
// records Kong-worded errors instead of throwing, and at finish() reports every key that
// nobody asked for as "unknown field". Null values count as absent, as in Kong.
#pragma once

#include "config/declarative_loader.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace gh::config::detail {

// Who an error belongs to: the top-level kind, a display name and the id when known.
struct entity_label {
  std::string entity;
  std::string name;
  std::string id;
};

class error_sink {
 public:
  explicit error_sink(std::vector<config_error>& out) : out_(&out) {}
  void add(const entity_label& who, std::string field, std::string message);
  std::size_t count() const { return out_->size(); }

 private:
  std::vector<config_error>* out_;
};

// Kong's type names in "expected a string" style messages.
std::string expected_message(std::string_view type);
// An integral JSON number (int64, uint64 or a double with no fraction) that fits int64.
std::optional<std::int64_t> integral_value(const boost::json::value& v);
// Short printable form of a scalar for messages (strings unquoted, capped in length).
std::string printable(const boost::json::value& v);

class field_reader {
 public:
  // `prefix` is prepended to field names ("healthchecks.active.") for nested records.
  field_reader(const boost::json::object& obj, error_sink& sink, const entity_label& who,
               std::string prefix = {});

  // Marks `key` known. Returns its value, or nullptr when absent or null.
  const boost::json::value* get(std::string_view key);
  bool has(std::string_view key) const;
  void known(std::initializer_list<std::string_view> keys);

  std::optional<std::string> string(std::string_view key, bool required = false);
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t lo, std::int64_t hi,
                                      bool required = false);
  std::optional<double> number(std::string_view key, double lo, double hi);
  std::optional<bool> boolean(std::string_view key);
  std::optional<std::string> one_of(std::string_view key,
                                    std::initializer_list<std::string_view> allowed);
  // Array of strings; element type errors are reported and the element skipped.
  std::optional<std::vector<std::string>> strings(std::string_view key);
  std::optional<std::vector<std::int64_t>> integers(std::string_view key, std::int64_t lo,
                                                    std::int64_t hi);
  const boost::json::array* array(std::string_view key);
  const boost::json::object* object(std::string_view key);

  void error(std::string_view field, std::string message);
  // Checks _comment/_ignore and reports unknown fields. Call once, after every read.
  void finish();
  bool failed() const { return sink_->count() != errors_at_start_; }
  const entity_label& who() const { return who_; }
  const std::string& prefix() const { return prefix_; }
  error_sink& sink() const { return *sink_; }

 private:
  const boost::json::object& obj_;
  error_sink* sink_;
  entity_label who_;
  std::string prefix_;
  std::set<std::string, std::less<>> seen_;
  std::size_t errors_at_start_;
};

}  // namespace gh::config::detail
