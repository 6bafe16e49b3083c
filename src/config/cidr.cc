#include "config/cidr.h"

#include <algorithm>
#include <charconv>

namespace gh::config {
namespace {

template <typename Range>
void insert_merged(std::vector<Range>& ranges, Range r) {
  ranges.push_back(r);
  std::sort(ranges.begin(), ranges.end(),
            [](const Range& a, const Range& b) { return a.low < b.low; });
  std::vector<Range> merged;
  merged.reserve(ranges.size());
  for (const auto& x : ranges) {
    // Adjacent or overlapping ranges merge (x.low - 1 cannot underflow past high when low > 0).
    if (!merged.empty() && (x.low <= merged.back().high || x.low - 1 == merged.back().high)) {
      merged.back().high = std::max(merged.back().high, x.high);
    } else {
      merged.push_back(x);
    }
  }
  ranges = std::move(merged);
}

template <typename Range, typename T>
bool in_ranges(const std::vector<Range>& ranges, T value) noexcept {
  auto it = std::upper_bound(ranges.begin(), ranges.end(), value,
                             [](T v, const Range& r) { return v < r.low; });
  if (it == ranges.begin()) return false;
  --it;
  return value <= it->high;
}

unsigned __int128 to_u128(const boost::asio::ip::address_v6::bytes_type& b) noexcept {
  unsigned __int128 v = 0;
  for (auto byte : b) v = (v << 8) | byte;
  return v;
}

}  // namespace

bool cidr_set::add(std::string_view text, std::string* error) {
  auto fail = [&] {
    if (error) *error = "invalid ip or cidr range: '" + std::string(text) + "'";
    return false;
  };
  std::string_view addr_text = text;
  int prefix = -1;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    addr_text = text.substr(0, slash);
    auto p = text.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (p.empty() || ec != std::errc() || ptr != p.data() + p.size() || prefix < 0) return fail();
  }
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(std::string(addr_text), ec);
  if (ec) return fail();
  if (address.is_v4()) {
    if (prefix > 32) return fail();
    if (prefix < 0) prefix = 32;
    std::uint32_t value = address.to_v4().to_uint();
    std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
    insert_merged(v4_, v4_range{value & mask, (value & mask) | ~mask});
    return true;
  }
  if (prefix > 128) return fail();
  if (prefix < 0) prefix = 128;
  u128 value = to_u128(address.to_v6().to_bytes());
  u128 mask = prefix == 0 ? 0 : ~u128{0} << (128 - prefix);
  insert_merged(v6_, v6_range{value & mask, (value & mask) | ~mask});
  return true;
}

std::optional<cidr_set> cidr_set::parse(const std::vector<std::string>& entries,
                                        std::string* error) {
  cidr_set set;
  for (const auto& e : entries)
    if (!set.add(e, error)) return std::nullopt;
  return set;
}

bool cidr_set::contains(const boost::asio::ip::address_v4& a) const noexcept {
  return in_ranges(v4_, a.to_uint());
}

bool cidr_set::contains(const boost::asio::ip::address_v6& a) const noexcept {
  if (a.is_v4_mapped() && contains(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a)))
    return true;
  return in_ranges(v6_, to_u128(a.to_bytes()));
}

bool cidr_set::contains(const boost::asio::ip::address& a) const noexcept {
  return a.is_v4() ? contains(a.to_v4()) : contains(a.to_v6());
}

bool is_ip_or_cidr(std::string_view text) {
  cidr_set probe;
  return probe.add(text);
}

}  // namespace gh::config
