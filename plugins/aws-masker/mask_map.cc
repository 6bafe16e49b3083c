#include "mask_map.h"

#include <algorithm>
#include <cstdio>

namespace gh::aws_masker {

std::string mask_map::make_token(std::string_view type, unsigned long number) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%03lu", number);
  std::string t;
  t.reserve(5 + type.size() + 4);
  t += "AWS_";
  t += type;
  t += '_';
  t += digits;
  return t;
}

bool mask_map::parse_token(std::string_view token, std::string_view& type, unsigned long& number) {
  if (!token.starts_with("AWS_")) return false;
  std::size_t us = token.rfind('_');
  if (us <= 4 || us + 1 >= token.size()) return false;
  std::string_view digits = token.substr(us + 1);
  if (digits.size() < 3 || (digits.size() > 3 && digits[0] == '0') || digits.size() > 18) return false;
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
  if (auto it = by_value_.find(value); it != by_value_.end()) return entries_[it->second].token;
  auto c = counters_.find(type);
  if (c == counters_.end()) c = counters_.emplace(std::string(type), 0).first;
  std::string token;
  do {  // skip numbers taken by inserted pairs
    token = make_token(type, ++c->second);
  } while (by_token_.contains(token));
  entries_.push_back({std::move(token), std::string(value), std::string(type)});
  const entry& e = entries_.back();
  by_value_.emplace(e.value, entries_.size() - 1);
  by_token_.emplace(e.token, entries_.size() - 1);
  max_token_len_ = std::max(max_token_len_, e.token.size());
  return e.token;
}

bool mask_map::insert(std::string_view type, std::string_view token, std::string_view value) {
  auto bt = by_token_.find(token);
  auto bv = by_value_.find(value);
  if (bt != by_token_.end() || bv != by_value_.end()) {
    return bt != by_token_.end() && bv != by_value_.end() && bt->second == bv->second;
  }
  entries_.push_back({std::string(token), std::string(value), std::string(type)});
  const entry& e = entries_.back();
  by_value_.emplace(e.value, entries_.size() - 1);
  by_token_.emplace(e.token, entries_.size() - 1);
  max_token_len_ = std::max(max_token_len_, e.token.size());
  std::string_view parsed_type;
  unsigned long n = 0;
  if (parse_token(token, parsed_type, n) && parsed_type == type) {
    auto c = counters_.find(type);
    if (c == counters_.end()) c = counters_.emplace(std::string(type), 0).first;
    c->second = std::max(c->second, n);
  }
  return true;
}

const std::string* mask_map::value_of(std::string_view token) const noexcept {
  auto it = by_token_.find(token);
  return it == by_token_.end() ? nullptr : &entries_[it->second].value;
}

const std::string* mask_map::token_of(std::string_view value) const noexcept {
  auto it = by_value_.find(value);
  return it == by_value_.end() ? nullptr : &entries_[it->second].token;
}

}  // namespace gh::aws_masker
