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
#include <utility>
#include <vector>

namespace gh::aws_masker {

// A fast hash for the short strings held here (identifiers, tokens): 8 bytes per step,
// multiply-xorshift mixing. Not for hostile-collision resistance; keys are the caller's
// own identifiers, and a bucket collision costs a comparison, never correctness.
struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept;
};

class mask_map {
 public:
  mask_map() = default;
  // Move-only: a map can be large, and copies are never needed.
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
  // Room for `n` pairs without rehashing.
  void reserve(std::size_t n);
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
  // Open-addressing indexes (linear probing, load <= 1/2) from an entry's value / token to
  // its position: one hash per lookup, no node per entry, no rehash of every key on a
  // chain walk (what std::unordered_map does with an uncached fast hash).
  struct index {
    std::vector<uint64_t> slots;  // (hash >> 32) << 32 | (position + 1); 0 = empty
    std::size_t used = 0;
  };
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  std::size_t find(const index& ix, bool by_token, std::string_view key, uint64_t h) const noexcept;
  void add(index& ix, bool by_token, uint64_t h, std::size_t position);
  void grow(index& ix, bool by_token, std::size_t min_slots);
  std::size_t emplace_entry(std::string_view type, std::string token, std::string_view value,
                            uint64_t value_hash);
  index by_value_;
  index by_token_;
  // Per-type counters: few types per map, so a flat list beats hashing the type name.
  std::vector<std::pair<std::string, unsigned long>> counters_;
  unsigned long& counter(std::string_view type);
  std::size_t max_token_len_ = 0;
  bool has_inserted_ = false;  // tokens from elsewhere may occupy numbers
};

}  // namespace gh::aws_masker
