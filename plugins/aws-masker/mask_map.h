// The mapping between original values and the tokens that replaced them, for one scope.
//
// A scope (one request, one consumer, the whole node: see plugin.h) owns one mask_map.
// Tokens are AWS_<TYPE>_<NNN>: three digits, widening past 999, numbered per type in
// order of first appearance; the same value always gets the same token. The restorer
// only ever consults the caller's own map, so a token it did not issue passes through.
// Not thread-safe: a map belongs to one request on one worker.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

namespace gh::aws_masker {

struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

class mask_map {
 public:
  mask_map() = default;
  // Lookups view into the entries: a copy would dangle, moving keeps them valid.
  mask_map(const mask_map&) = delete;
  mask_map& operator=(const mask_map&) = delete;
  mask_map(mask_map&&) = default;
  mask_map& operator=(mask_map&&) = default;

  struct entry {
    std::string token;
    std::string value;
    std::string type;
  };

  // The token for `value`, issuing the next one of `type` when the value is new.
  const std::string& token_for(std::string_view type, std::string_view value);
  // Adds a pair issued elsewhere (the store, a map file). Keeps per-type counters past
  // the token's number. False when the token or the value is already mapped differently.
  bool insert(std::string_view type, std::string_view token, std::string_view value);

  const std::string* value_of(std::string_view token) const noexcept;
  const std::string* token_of(std::string_view value) const noexcept;

  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }
  std::size_t max_token_length() const noexcept { return max_token_len_; }
  // In issue order.
  const std::deque<entry>& entries() const noexcept { return entries_; }

  static std::string make_token(std::string_view type, unsigned long number);
  // Splits AWS_<TYPE>_<NNN>; false when `token` does not have that shape.
  static bool parse_token(std::string_view token, std::string_view& type, unsigned long& number);

 private:
  std::deque<entry> entries_;
  std::unordered_map<std::string_view, std::size_t, string_hash, std::equal_to<>> by_value_;
  std::unordered_map<std::string_view, std::size_t, string_hash, std::equal_to<>> by_token_;
  std::unordered_map<std::string, unsigned long, string_hash, std::equal_to<>> counters_;
  std::size_t max_token_len_ = 0;
};

}  // namespace gh::aws_masker
