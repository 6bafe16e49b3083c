#include "core/headers.h"

#include <algorithm>

namespace gh {

namespace {
inline char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? char(c + 32) : c; }
}  // namespace

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = lower(c);
  return out;
}

std::optional<std::string_view> Headers::get(std::string_view name) const noexcept {
  for (const auto& f : fields_) {
    if (iequals(f.name, name)) return f.value.view();
  }
  return std::nullopt;
}

std::size_t Headers::count(std::string_view name) const noexcept {
  return std::count_if(fields_.begin(), fields_.end(),
                       [&](const HeaderField& f) { return iequals(f.name, name); });
}

std::vector<std::string_view> Headers::get_all(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& f : fields_) {
    if (iequals(f.name, name)) out.emplace_back(f.value);
  }
  return out;
}

void Headers::set(std::string_view name, std::string_view value) {
  auto it = std::find_if(fields_.begin(), fields_.end(),
                         [&](const HeaderField& f) { return iequals(f.name, name); });
  if (it == fields_.end()) {
    add(name, value);
    return;
  }
  it->value.assign(value);
  auto rest = std::remove_if(std::next(it), fields_.end(),
                             [&](const HeaderField& f) { return iequals(f.name, name); });
  fields_.erase(rest, fields_.end());
}

// Room for a whole message's fields at the first add: growing one field at a time
// (1, 2, 4, 8, 16) cost four allocations and moved seven 96-byte fields for a usual
// response, and a plugin adding fields after parsing moved them all once more.
void Headers::grow() {
  constexpr std::size_t usual_fields = 16;
  fields_.reserve(std::max(usual_fields, 2 * fields_.size()));
}

std::size_t Headers::remove(std::string_view name) {
  auto rest = std::remove_if(fields_.begin(), fields_.end(),
                             [&](const HeaderField& f) { return iequals(f.name, name); });
  std::size_t n = std::size_t(fields_.end() - rest);
  fields_.erase(rest, fields_.end());
  return n;
}

}  // namespace gh
