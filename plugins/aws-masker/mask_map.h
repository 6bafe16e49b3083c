// The mapping between original values and the tokens that replaced them, for one scope.
//
// A scope (one request, one consumer, the whole node: see plugin.h) owns one mask_map.
// Tokens are AWS_<TYPE>_<NNN>: three digits, widening past 999, numbered per type in
// order of first appearance; the same value always gets the same token. The restorer
// only ever consults the caller's own map, so a token it did not issue passes through.
// Not thread-safe: a map belongs to one request on one worker.
//
// A request masks hundreds of values, so the map is built for that: every token and value
// lives in one byte arena, entries are offsets into it, and two open-addressing indexes
// find them — no allocation per entry, and destroying a map frees a handful of buffers.
// The string_views it returns stay valid until the map is next modified.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gh::aws_masker {

// A fast hash for the short strings held here (identifiers, tokens): 16 bytes per folded
// 128-bit multiply. Not for hostile-collision resistance; keys are the caller's
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
    std::string_view token;
    std::string_view value;
    std::string_view type;
  };

  // The token for `value`, issuing the next one of `type` when the value is new.
  std::string_view token_for(std::string_view type, std::string_view value);
  // Appends that token to `out`, with the type given by its slot in this map
  // (slot_of_type()): a caller issuing many tokens of a few types finds each type once,
  // not once per new value.
  uint32_t slot_of_type(std::string_view type) { return type_index(type); }
  void append_token(uint32_t slot, std::string_view value, std::string& out);
  // Room for `n` more pairs without rehashing.
  void reserve(std::size_t n);
  // Adds a pair issued elsewhere (the store, a map file). Keeps per-type counters past
  // the token's number. False when the token or the value is already mapped differently.
  bool insert(std::string_view type, std::string_view token, std::string_view value);

  std::optional<std::string_view> value_of(std::string_view token) const;
  std::optional<std::string_view> token_of(std::string_view value) const noexcept;

  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }
  std::size_t max_token_length() const noexcept { return max_token_len_; }
  // The i-th pair, in issue order.
  entry at(std::size_t i) const noexcept;
  // Every pair, in issue order.
  std::vector<entry> entries() const;

  static std::string make_token(std::string_view type, unsigned long number);
  // Splits AWS_<TYPE>_<NNN>; false when `token` does not have that shape.
  static bool parse_token(std::string_view token, std::string_view& type, unsigned long& number);

 private:
  struct record {
    uint32_t value_begin;  // in arena_; the token follows the value
    uint32_t value_size;
    uint32_t token_size;
    uint32_t type;  // in types_
  };
  struct type_slot {
    std::string name;
    std::string prefix;        // "AWS_<name>_"
    unsigned long issued = 0;  // the highest number taken
    // While every token was issued here (numbers 1, 2, ...), the entry of number k is at
    // k - 1: restoring a token then needs no token index at all.
    std::vector<uint32_t> by_number;
  };
  // Open-addressing index (linear probing, load <= 1/2) from a hash to a record: one hash
  // per lookup and no node per entry.
  struct index {
    std::vector<uint64_t> slots;  // (hash >> 32) << 32 | (position + 1); 0 = empty
    std::size_t used = 0;
  };
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  std::string_view value_at(const record& r) const noexcept {
    return {arena_.data() + r.value_begin, r.value_size};
  }
  std::string_view token_at(const record& r) const noexcept {
    return {arena_.data() + r.value_begin + r.value_size, r.token_size};
  }
  std::size_t find(const index& ix, bool by_token, std::string_view key, uint64_t h) const noexcept;
  void add(index& ix, bool by_token, uint64_t h, std::size_t position) const;
  void grow(index& ix, bool by_token, std::size_t min_slots) const;
  // The token index is brought up to date only when a token is looked up (restoring,
  // merging store pairs): masking a request never needs it.
  void index_tokens() const;
  uint32_t type_index(std::string_view type);
  // Issues the next token of the type in `slot` for `value`, also appended to `out` when
  // given; returns the new entry's position.
  std::size_t issue(uint32_t slot, std::string_view value, uint64_t value_hash, std::string* out);
  // Appends a pair (`write_pair` writes the value, then the token, and returns the
  // token's length) and indexes it by its value.
  template <typename WritePair>
  std::size_t append(uint32_t type, std::size_t value_size, uint64_t value_hash,
                     WritePair&& write_pair);

  std::string arena_;
  std::vector<record> entries_;
  std::vector<type_slot> types_;           // few per map: a flat list beats hashing the name
  std::array<uint32_t, 16> type_cache_{};  // see type_index()
  index by_value_;
  mutable index by_token_;
  mutable std::size_t tokens_indexed_ = 0;
  std::size_t max_token_len_ = 0;
  bool has_inserted_ = false;  // tokens from elsewhere may occupy numbers
};

}  // namespace gh::aws_masker
