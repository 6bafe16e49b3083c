#include "native_scan.h"

#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace gh::aws_masker {
namespace {

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_lower_hex(char c) noexcept { return is_digit(c) || (c >= 'a' && c <= 'f'); }
bool is_hex(char c) noexcept { return is_lower_hex(c) || (c >= 'A' && c <= 'F'); }
bool is_word(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

// One bit per byte of `t`: set where the byte is an ASCII digit. Bits past the end are 0.
void digit_bitmap(std::string_view t, std::vector<uint64_t>& bits) {
  const std::size_t n = t.size();
  bits.assign((n + 63) / 64, 0);
  const char* p = t.data();
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i lo = _mm_set1_epi8('0');
  const __m128i hi = _mm_set1_epi8('9');
  auto mask16 = [&](const char* q) -> uint64_t {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
    __m128i ge = _mm_cmpeq_epi8(_mm_max_epu8(v, lo), v);
    __m128i le = _mm_cmpeq_epi8(_mm_min_epu8(v, hi), v);
    return static_cast<uint16_t>(_mm_movemask_epi8(_mm_and_si128(ge, le)));
  };
  for (; i + 64 <= n; i += 64) {
    bits[i >> 6] = mask16(p + i) | (mask16(p + i + 16) << 16) | (mask16(p + i + 32) << 32) |
                   (mask16(p + i + 48) << 48);
  }
#endif
  for (; i < n; ++i) {
    if (is_digit(p[i])) bits[i >> 6] |= uint64_t{1} << (i & 63);
  }
}

// Four maximal runs of 1-3 digits joined by single dots, starting at `s`; the end or 0.
std::size_t ipv4_end(std::string_view t, std::size_t s) noexcept {
  std::size_t i = s;
  for (int group = 0; group < 4; ++group) {
    if (group > 0) {
      if (i >= t.size() || t[i] != '.') return 0;
      ++i;
    }
    std::size_t g = i;
    while (i < t.size() && is_digit(t[i]) && i - g < 4) ++i;
    if (i == g || i - g > 3) return 0;
  }
  return i;
}

thread_local std::vector<uint64_t> tls_bits;

}  // namespace

void native_scanner::add(unsigned id, scanner kind, std::string_view literal) {
  switch (kind) {
    case scanner::resource_id:
      prefixes_.push_back({std::string(literal), id});
      // Longer prefixes first: "tgw-attach" is tried before "tgw" would be.
      std::stable_sort(prefixes_.begin(), prefixes_.end(), [](const prefix& a, const prefix& b) {
        return a.literal.size() > b.literal.size();
      });
      break;
    case scanner::account:
      account_ = id;
      break;
    case scanner::ipv4:
      ipv4_ = id;
      break;
    case scanner::ipv6:
      ipv6_ = id;
      break;
    case scanner::vectorscan:
      break;
  }
}

void native_scanner::scan(std::string_view text, std::vector<raw_match>& out) const {
  if (text.empty() || text.size() >= UINT32_MAX) return;
  if (!prefixes_.empty()) scan_resource_ids(text, out);
  if (account_ >= 0 || ipv4_ >= 0) scan_digit_runs(text, out);
  if (ipv6_ >= 0) scan_ipv6(text, out);
}

// "<prefix>-<hex>": every dash followed by exactly 8 or 17 lowercase hex digits and a
// non-word byte, preceded by a known prefix that does not continue a word or a dashed name.
void native_scanner::scan_resource_ids(std::string_view t, std::vector<raw_match>& out) const {
  const char* b = t.data();
  const std::size_t n = t.size();
  std::size_t p = 0;
  while (p < n) {
    const void* q = std::memchr(b + p, '-', n - p);
    if (q == nullptr) break;
    const std::size_t d = static_cast<std::size_t>(static_cast<const char*>(q) - b);
    p = d + 1;
    std::size_t e = d + 1;
    while (e < n && e - d <= 18 && is_lower_hex(b[e])) ++e;
    const std::size_t len = e - d - 1;
    if ((len != 8 && len != 17) || (e < n && is_word(b[e]))) continue;
    const char last = b[d - (d > 0 ? 1 : 0)];
    for (const prefix& pf : prefixes_) {
      const std::size_t l = pf.literal.size();
      if (l > d || pf.literal.back() != last || std::memcmp(b + d - l, pf.literal.data(), l) != 0) {
        continue;
      }
      const std::size_t s = d - l;
      if (s > 0 && (is_word(b[s - 1]) || b[s - 1] == '-')) continue;
      out.push_back({pf.id, static_cast<uint32_t>(s), static_cast<uint32_t>(e)});
    }
    p = e;
  }
}

// Digit runs: a run of exactly 12 is an account candidate; a run of 1-3 followed by a dot
// may start an IPv4 address. Runs come from a bitmap, 64 bytes per word: the bits where
// digit-ness changes alternate between run starts and run ends.
void native_scanner::scan_digit_runs(std::string_view t, std::vector<raw_match>& out) const {
  const std::size_t n = t.size();
  digit_bitmap(t, tls_bits);
  uint64_t carry = 0;  // the last byte of the previous word was a digit
  std::size_t start = 0;
  auto run = [&](std::size_t s, std::size_t e) {
    const std::size_t len = e - s;
    if (len == 12 && account_ >= 0) {
      out.push_back(
          {static_cast<unsigned>(account_), static_cast<uint32_t>(s), static_cast<uint32_t>(e)});
    } else if (len <= 3 && ipv4_ >= 0 && e < n && t[e] == '.') {
      if (std::size_t end = ipv4_end(t, s); end != 0) {
        out.push_back(
            {static_cast<unsigned>(ipv4_), static_cast<uint32_t>(s), static_cast<uint32_t>(end)});
      }
    }
  };
  for (std::size_t w = 0; w < tls_bits.size(); ++w) {
    const uint64_t m = tls_bits[w];
    uint64_t edges = m ^ ((m << 1) | carry);
    carry = m >> 63;
    while (edges != 0) {
      const std::size_t pos = (w << 6) + static_cast<std::size_t>(__builtin_ctzll(edges));
      edges &= edges - 1;
      if ((m >> (pos & 63)) & 1) {
        start = pos;
      } else {
        run(start, pos);
      }
    }
  }
  if (carry != 0) run(start, n);  // a run reaching the end of the text
}

// IPv6 triggers ("::" or hex{1,4}:hex{0,4}:) at the start of a run of address-like bytes:
// the check rejects any match whose previous byte is a word byte, ':', '.' or '-'.
void native_scanner::scan_ipv6(std::string_view t, std::vector<raw_match>& out) const {
  const char* b = t.data();
  const std::size_t n = t.size();
  std::size_t p = 0;
  while (p < n) {
    const void* q = std::memchr(b + p, ':', n - p);
    if (q == nullptr) break;
    const std::size_t c = static_cast<std::size_t>(static_cast<const char*>(q) - b);
    p = c + 1;
    std::size_t s = c;
    while (s > 0 && c - s < 5 && is_hex(b[s - 1])) --s;
    if (c - s > 4) continue;
    const char pv = s > 0 ? b[s - 1] : '\0';
    if (is_word(pv) || pv == ':' || pv == '.' || pv == '-') continue;
    std::size_t e = 0;
    if (s == c) {
      if (c + 1 < n && b[c + 1] == ':') e = c + 2;
    } else {
      std::size_t k = c + 1;
      while (k < n && k - c <= 4 && is_hex(b[k])) ++k;
      if (k < n && k - c <= 5 && b[k] == ':') e = k + 1;
    }
    if (e != 0) {
      out.push_back(
          {static_cast<unsigned>(ipv6_), static_cast<uint32_t>(s), static_cast<uint32_t>(e)});
    }
  }
}

}  // namespace gh::aws_masker
