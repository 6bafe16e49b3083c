#include "mask_map.h"

#include <algorithm>
#include <cstring>

namespace gh::aws_masker {
namespace {

// The decimal digits of `number` (1000 or more) into `digits`, most significant first;
// returns how many.
std::size_t token_digits(unsigned long number, char* digits) noexcept {
  char rev[24];
  std::size_t n = 0;
  do {
    rev[n++] = static_cast<char>('0' + number % 10);
    number /= 10;
  } while (number != 0);
  for (std::size_t i = 0; i < n; ++i) digits[i] = rev[n - 1 - i];
  return n;
}

// Appends a token: `prefix` ("AWS_<TYPE>_") and the digits of `number`. The usual three
// digits are appended from one register-built word: bytes assembled one store at a time
// and then copied would stall the copy's wider loads (store forwarding).
[[gnu::always_inline]] inline std::size_t append_token_text(std::string& out,
                                                            std::string_view prefix,
                                                            unsigned long number) {
  out.append(prefix);
  if (number < 1000) {
    const uint32_t digits = static_cast<uint32_t>('0' + number / 100) |
                            static_cast<uint32_t>('0' + number / 10 % 10) << 8 |
                            static_cast<uint32_t>('0' + number % 10) << 16;
    char word[4];
    std::memcpy(word, &digits, 4);
    out.append(word, 3);
    return prefix.size() + 3;
  }
  char digits[24];
  const std::size_t n = token_digits(number, digits);
  out.append(digits, n);
  return prefix.size() + n;
}

std::string token_prefix(std::string_view type) {
  std::string p = "AWS_";
  p += type;
  p += '_';
  return p;
}

// Equality of the short type names, inline: a library memcmp call costs more than the
// comparison itself.
bool same_bytes(const char* a, const char* b, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

uint64_t load64(const char* p) noexcept {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// Equality of a key found in an index with the one looked up, inline: identifiers and
// tokens are 8-40 bytes, compared a word at a time (the last word overlapping), where a
// library memcmp call per lookup cost 2 % of masking.
bool same_key(std::string_view a, std::string_view b) noexcept {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  if (n < 8) return same_bytes(a.data(), b.data(), n);
  uint64_t diff = 0;
  for (std::size_t i = 0; i + 8 < n; i += 8) diff |= load64(a.data() + i) ^ load64(b.data() + i);
  return (diff | (load64(a.data() + n - 8) ^ load64(b.data() + n - 8))) == 0;
}

// The 128-bit product folded to 64 bits: every bit of either factor reaches every bit of
// the result in one multiply.
uint64_t fold_mul(uint64_t a, uint64_t b) noexcept {
  const unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

constexpr uint64_t kSeed0 = 0xa0761d6478bd642fULL;
constexpr uint64_t kSeed1 = 0xe7037ed1a0b428dbULL;
constexpr uint64_t kSeed2 = 0x8ebc6af09c88c6e3ULL;

}  // namespace

// 16 bytes per folded multiply, the last 16 (or fewer) read as two overlapping loads: a
// 20-byte identifier costs two multiplies in a row, where an xor-shift-multiply chain
// per 8 bytes cost four, each waiting for the one before.
std::size_t string_hash::operator()(std::string_view s) const noexcept {
  const char* p = s.data();
  const std::size_t n = s.size();
  uint64_t seed = kSeed0 ^ (n * kSeed1);
  uint64_t a = 0, b = 0;
  if (n >= 8) {
    std::size_t i = 0;
    for (; n - i > 16; i += 16) seed = fold_mul(load64(p + i) ^ kSeed1, load64(p + i + 8) ^ seed);
    a = load64(p + (n - i > 8 ? i : n - 8));  // the last 9-16 bytes, or the last 8 twice
    b = load64(p + n - 8);
  } else if (n >= 4) {
    uint32_t x, y;
    std::memcpy(&x, p, 4);
    std::memcpy(&y, p + n - 4, 4);
    a = (uint64_t{x} << 32) | y;
  } else if (n > 0) {
    a = static_cast<unsigned char>(p[0]) | (uint64_t{static_cast<unsigned char>(p[n / 2])} << 8) |
        (uint64_t{static_cast<unsigned char>(p[n - 1])} << 16);
  }
  return static_cast<std::size_t>(fold_mul(kSeed2 ^ n, fold_mul(a ^ kSeed1, b ^ seed)));
}

std::string mask_map::make_token(std::string_view type, unsigned long number) {
  std::string t;
  append_token_text(t, token_prefix(type), number);
  return t;
}

void mask_map::reserve(std::size_t n) {
  entries_.reserve(entries_.size() + n);
  arena_.reserve(arena_.size() + n * 32);
  grow(by_value_, false, (entries_.size() + n) * 2);
}

std::size_t mask_map::find(const index& ix, bool by_token, std::string_view key,
                           uint64_t h) const noexcept {
  if (ix.slots.empty()) return npos;
  const std::size_t mask = ix.slots.size() - 1;
  const uint64_t tag = h >> 32;
  for (std::size_t i = h & mask;; i = (i + 1) & mask) {
    const uint64_t s = ix.slots[i];
    if (s == 0) return npos;
    if ((s >> 32) != tag) continue;
    const std::size_t pos = static_cast<std::size_t>(s & 0xffffffffu) - 1;
    const record& r = entries_[pos];
    if (same_key(by_token ? token_at(r) : value_at(r), key)) return pos;
  }
}

void mask_map::add(index& ix, bool by_token, uint64_t h, std::size_t position) const {
  if ((ix.used + 1) * 2 > ix.slots.size())
    grow(ix, by_token, std::max<std::size_t>(16, ix.slots.size() * 2));
  const std::size_t mask = ix.slots.size() - 1;
  std::size_t i = h & mask;
  while (ix.slots[i] != 0) i = (i + 1) & mask;
  ix.slots[i] = ((h >> 32) << 32) | (static_cast<uint64_t>(position) + 1);
  ++ix.used;
}

void mask_map::grow(index& ix, bool by_token, std::size_t min_slots) const {
  std::size_t n = 16;
  while (n < min_slots) n *= 2;
  if (n <= ix.slots.size()) return;
  ix.slots.assign(n, 0);
  ix.used = 0;
  const string_hash hash;
  const std::size_t indexed = by_token ? tokens_indexed_ : entries_.size();
  for (std::size_t pos = 0; pos < indexed; ++pos) {
    const record& r = entries_[pos];
    add(ix, by_token, hash(by_token ? token_at(r) : value_at(r)), pos);
  }
}

void mask_map::index_tokens() const {
  if (tokens_indexed_ == entries_.size()) return;
  grow(by_token_, true, entries_.size() * 2);
  const string_hash hash;
  for (; tokens_indexed_ < entries_.size(); ++tokens_indexed_) {
    add(by_token_, true, hash(token_at(entries_[tokens_indexed_])), tokens_indexed_);
  }
}

uint32_t mask_map::type_index(std::string_view type) {
  // Callers pass the engine's own type names, so the same type usually comes with the same
  // pointer: a one-entry cache per pointer hash skips the comparisons with every type.
  const std::size_t slot = static_cast<std::size_t>(
      (reinterpret_cast<std::uintptr_t>(type.data()) * 0x9E3779B97F4A7C15ULL) >> 60);
  if (const uint32_t c = type_cache_[slot]; c < types_.size()) {
    const std::string& name = types_[c].name;
    if (name.size() == type.size() && same_bytes(name.data(), type.data(), type.size())) return c;
  }
  std::size_t i = 0;
  while (i < types_.size() && types_[i].name != type) ++i;
  if (i == types_.size()) {
    if (types_.empty()) types_.reserve(16);  // a request's usual types, without moving slots
    types_.push_back({std::string(type), token_prefix(type), 0, {}});
    types_.back().by_number.reserve(64);  // one allocation for a request's usual count
  }
  type_cache_[slot] = static_cast<uint32_t>(i);
  return static_cast<uint32_t>(i);
}

template <typename WritePair>
std::size_t mask_map::append(uint32_t type, std::size_t value_size, uint64_t value_hash,
                             WritePair&& write_pair) {
  const auto begin = static_cast<uint32_t>(arena_.size());
  const std::size_t token_size = write_pair(arena_);
  entries_.push_back(
      {begin, static_cast<uint32_t>(value_size), static_cast<uint32_t>(token_size), type});
  add(by_value_, false, value_hash, entries_.size() - 1);
  max_token_len_ = std::max(max_token_len_, token_size);
  return entries_.size() - 1;
}

std::string_view mask_map::token_for(std::string_view type, std::string_view value) {
  const uint64_t h = string_hash{}(value);
  if (std::size_t pos = find(by_value_, false, value, h); pos != npos)
    return token_at(entries_[pos]);
  return token_at(entries_[issue(type_index(type), value, h, nullptr)]);
}

void mask_map::append_token(uint32_t slot, std::string_view value, std::string& out) {
  const uint64_t h = string_hash{}(value);
  if (std::size_t pos = find(by_value_, false, value, h); pos != npos) {
    out.append(token_at(entries_[pos]));
    return;
  }
  issue(slot, value, h, &out);
}

std::size_t mask_map::issue(uint32_t t, std::string_view value, uint64_t h, std::string* out) {
  const type_slot& slot = types_[t];
  unsigned long n = ++types_[t].issued;
  if (has_inserted_) {
    while (value_of(make_token(slot.name, n))) n = ++types_[t].issued;  // taken
  }
  // The token is written to `out` from the same sources as to the arena, not copied from
  // the arena's bytes just written (see append_token_text).
  if (out != nullptr) append_token_text(*out, slot.prefix, n);
  const std::size_t pos = append(t, value.size(), h, [&](std::string& arena) {
    arena.append(value);
    return append_token_text(arena, slot.prefix, n);
  });
  if (!has_inserted_) types_[t].by_number.push_back(static_cast<uint32_t>(pos));  // number n
  return pos;
}

bool mask_map::insert(std::string_view type, std::string_view token, std::string_view value) {
  const string_hash hash;
  const uint64_t vh = hash(value);
  index_tokens();
  const std::size_t bt = find(by_token_, true, token, hash(token));
  const std::size_t bv = find(by_value_, false, value, vh);
  if (bt != npos || bv != npos) return bt != npos && bt == bv;
  has_inserted_ = true;
  const uint32_t t = type_index(type);
  append(t, value.size(), vh, [&](std::string& arena) {
    arena.append(value);
    arena.append(token);
    return token.size();
  });
  std::string_view parsed_type;
  unsigned long n = 0;
  if (parse_token(token, parsed_type, n) && parsed_type == type) {
    types_[t].issued = std::max(types_[t].issued, n);
  }
  return true;
}

bool mask_map::parse_token(std::string_view token, std::string_view& type, unsigned long& number) {
  if (!token.starts_with("AWS_")) return false;
  std::size_t us = token.rfind('_');
  if (us <= 4 || us + 1 >= token.size()) return false;
  std::string_view digits = token.substr(us + 1);
  if (digits.size() < 3 || (digits.size() > 3 && digits[0] == '0') || digits.size() > 18)
    return false;
  unsigned long n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<unsigned long>(c - '0');
  }
  type = token.substr(4, us - 4);
  for (char c : type) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  number = n;
  return true;
}

std::optional<std::string_view> mask_map::value_of(std::string_view token) const {
  if (!has_inserted_) {  // every token is AWS_<TYPE>_<number> issued in order
    std::string_view type;
    unsigned long n = 0;
    if (!parse_token(token, type, n) || n == 0) return std::nullopt;
    for (const type_slot& slot : types_) {
      if (slot.name != type) continue;
      if (n > slot.by_number.size()) return std::nullopt;
      const record& r = entries_[slot.by_number[n - 1]];
      if (token_at(r) != token) return std::nullopt;
      return value_at(r);
    }
    return std::nullopt;
  }
  index_tokens();
  std::size_t pos = find(by_token_, true, token, string_hash{}(token));
  if (pos == npos) return std::nullopt;
  return value_at(entries_[pos]);
}

std::optional<std::string_view> mask_map::token_of(std::string_view value) const noexcept {
  std::size_t pos = find(by_value_, false, value, string_hash{}(value));
  if (pos == npos) return std::nullopt;
  return token_at(entries_[pos]);
}

mask_map::entry mask_map::at(std::size_t i) const noexcept {
  const record& r = entries_[i];
  return {token_at(r), value_at(r), types_[r.type].name};
}

std::vector<mask_map::entry> mask_map::entries() const {
  std::vector<entry> out;
  out.reserve(entries_.size());
  for (std::size_t i = 0; i < entries_.size(); ++i) out.push_back(at(i));
  return out;
}

}  // namespace gh::aws_masker
