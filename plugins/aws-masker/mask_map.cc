#include "mask_map.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace gh::aws_masker {

std::size_t string_hash::operator()(std::string_view s) const noexcept {
  const char* p = s.data();
  std::size_t n = s.size();
  uint64_t h = 0x9E3779B97F4A7C15ULL ^ (n * 0xff51afd7ed558ccdULL);
  auto mix = [](uint64_t x) {
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    return x;
  };
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = mix(h ^ w) + 0x9E3779B97F4A7C15ULL;
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = mix(h ^ w ^ (uint64_t{n} << 56));
  }
  return static_cast<std::size_t>(mix(h));
}

std::string mask_map::make_token(std::string_view type, unsigned long number) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + number % 10);
    number /= 10;
  } while (number != 0);
  while (n < 3) digits[n++] = '0';
  std::string t;
  t.reserve(5 + type.size() + static_cast<std::size_t>(n));
  t += "AWS_";
  t += type;
  t += '_';
  while (n > 0) t += digits[--n];
  return t;
}

void mask_map::reserve(std::size_t n) {
  grow(by_value_, false, n * 2);
  grow(by_token_, true, n * 2);
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
    const entry& e = entries_[pos];
    if ((by_token ? e.token : e.value) == key) return pos;
  }
}

void mask_map::add(index& ix, bool by_token, uint64_t h, std::size_t position) {
  if ((ix.used + 1) * 2 > ix.slots.size())
    grow(ix, by_token, std::max<std::size_t>(16, ix.slots.size() * 2));
  const std::size_t mask = ix.slots.size() - 1;
  std::size_t i = h & mask;
  while (ix.slots[i] != 0) i = (i + 1) & mask;
  ix.slots[i] = ((h >> 32) << 32) | (static_cast<uint64_t>(position) + 1);
  ++ix.used;
}

void mask_map::grow(index& ix, bool by_token, std::size_t min_slots) {
  std::size_t n = 16;
  while (n < min_slots) n *= 2;
  if (n <= ix.slots.size()) return;
  ix.slots.assign(n, 0);
  ix.used = 0;
  const string_hash hash;
  for (std::size_t pos = 0; pos < entries_.size(); ++pos) {
    const entry& e = entries_[pos];
    add(ix, by_token, hash(by_token ? e.token : e.value), pos);
  }
}

std::size_t mask_map::emplace_entry(std::string_view type, std::string token,
                                    std::string_view value, uint64_t value_hash) {
  entries_.push_back({std::move(token), std::string(value), std::string(type)});
  const std::size_t pos = entries_.size() - 1;
  const entry& e = entries_.back();
  add(by_value_, false, value_hash, pos);
  add(by_token_, true, string_hash{}(e.token), pos);
  max_token_len_ = std::max(max_token_len_, e.token.size());
  return pos;
}

unsigned long& mask_map::counter(std::string_view type) {
  for (auto& [name, n] : counters_) {
    if (name == type) return n;
  }
  return counters_.emplace_back(std::string(type), 0).second;
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

const std::string& mask_map::token_for(std::string_view type, std::string_view value) {
  const uint64_t h = string_hash{}(value);
  if (std::size_t pos = find(by_value_, false, value, h); pos != npos) return entries_[pos].token;
  unsigned long& c = counter(type);
  std::string token = make_token(type, ++c);
  while (has_inserted_ && value_of(token) != nullptr) token = make_token(type, ++c);  // taken
  return entries_[emplace_entry(type, std::move(token), value, h)].token;
}

bool mask_map::insert(std::string_view type, std::string_view token, std::string_view value) {
  const string_hash hash;
  const uint64_t vh = hash(value);
  const std::size_t bt = find(by_token_, true, token, hash(token));
  const std::size_t bv = find(by_value_, false, value, vh);
  if (bt != npos || bv != npos) return bt != npos && bt == bv;
  has_inserted_ = true;
  emplace_entry(type, std::string(token), value, vh);
  std::string_view parsed_type;
  unsigned long n = 0;
  if (parse_token(token, parsed_type, n) && parsed_type == type) {
    unsigned long& c = counter(type);
    c = std::max(c, n);
  }
  return true;
}

const std::string* mask_map::value_of(std::string_view token) const noexcept {
  std::size_t pos = find(by_token_, true, token, string_hash{}(token));
  return pos == npos ? nullptr : &entries_[pos].value;
}

const std::string* mask_map::token_of(std::string_view value) const noexcept {
  std::size_t pos = find(by_value_, false, value, string_hash{}(value));
  return pos == npos ? nullptr : &entries_[pos].token;
}

}  // namespace gh::aws_masker
