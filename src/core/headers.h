// An ordered, case-insensitive list of HTTP header fields.
//
// Used for requests and responses on both sides of the proxy and by every plugin. Lookups
// are linear: real messages carry a few dozen fields, and a flat vector beats a hash map
// at that size. Names keep the case the peer sent; comparison ignores it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gh {

// ASCII case-insensitive equality (header names). Inline: it is called for every field
// lookup, and most calls end at the length check.
inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x == y) continue;
    if ((x | 0x20) != (y | 0x20) || (x | 0x20) < 'a' || (x | 0x20) > 'z') return false;
  }
  return true;
}
std::string to_lower(std::string_view s);

struct HeaderField {
  std::string name;
  std::string value;
};

class Headers {
 public:
  using iterator = std::vector<HeaderField>::iterator;
  using const_iterator = std::vector<HeaderField>::const_iterator;

  // The first value of `name`, if present.
  std::optional<std::string_view> get(std::string_view name) const noexcept;
  bool has(std::string_view name) const noexcept { return get(name).has_value(); }
  std::size_t count(std::string_view name) const noexcept;
  // Every value of `name`, in order.
  std::vector<std::string_view> get_all(std::string_view name) const;

  // Replaces every field named `name` by one field with `value`.
  void set(std::string_view name, std::string_view value);
  // Appends a field, keeping any existing ones of the same name.
  void add(std::string_view name, std::string_view value);
  // Removes the fields for which pred(field) is true, keeping the order of the rest.
  template <class Pred>
  std::size_t remove_if(Pred pred) {
    return std::erase_if(fields_, pred);
  }
  // Removes every field named `name`; returns how many were removed.
  std::size_t remove(std::string_view name);
  void clear() noexcept { fields_.clear(); }
  void reserve(std::size_t n) { fields_.reserve(n); }

  std::size_t size() const noexcept { return fields_.size(); }
  bool empty() const noexcept { return fields_.empty(); }
  const_iterator begin() const noexcept { return fields_.begin(); }
  const_iterator end() const noexcept { return fields_.end(); }
  iterator begin() noexcept { return fields_.begin(); }
  iterator end() noexcept { return fields_.end(); }

 private:
  std::vector<HeaderField> fields_;
};

}  // namespace gh
