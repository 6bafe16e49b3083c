#include "native_scan.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace gh::aws_masker {
namespace {

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_lower_hex(char c) noexcept { return is_digit(c) || (c >= 'a' && c <= 'f'); }
bool is_hex(char c) noexcept { return is_lower_hex(c) || (c >= 'A' && c <= 'F'); }
bool is_word(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

// One bit per byte of the text, for the three bytes the scanners start from: '-'
// (resource IDs), ':' (IPv6) and ASCII digits (accounts, IPv4). Built in one vector pass;
// the scanners then visit only the set bits instead of calling memchr per occurrence.
// Bits past the end of the text are 0.
struct text_bits {
  std::vector<uint64_t> dash;
  std::vector<uint64_t> colon;
  std::vector<uint64_t> digit;
  std::vector<uint64_t> alpha;  // letters and '_': with digits, the word bytes
  std::vector<uint64_t> lead;   // the leading letters of the upper-case IDs
  std::size_t words = 0;        // in use; the vectors only grow (no zeroing per text)
};

// The four bitmaps of the whole 64-byte words of `p` (n bytes) from word `w` on; returns
// the first word not done (the tail is left to the scalar loop).
#if defined(__SSE2__)
std::size_t build_words_sse2(const char* p, std::size_t n, std::size_t w, text_bits& b,
                             char lead1, char lead2) {
  const __m128i l1 = _mm_set1_epi8(lead1);
  const __m128i l2 = _mm_set1_epi8(lead2);
  const __m128i dash = _mm_set1_epi8('-');
  const __m128i colon = _mm_set1_epi8(':');
  const __m128i lo = _mm_set1_epi8('0');
  const __m128i hi = _mm_set1_epi8('9');
  const __m128i lower_a = _mm_set1_epi8('a');
  const __m128i lower_z = _mm_set1_epi8('z');
  const __m128i case_bit = _mm_set1_epi8(0x20);
  const __m128i underscore = _mm_set1_epi8('_');
  for (; (w + 1) * 64 <= n; ++w) {
    uint64_t d = 0, c = 0, g = 0, a = 0, u = 0;
    for (int k = 0; k < 4; ++k) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + w * 64 + 16 * k));
      const __m128i ge = _mm_cmpeq_epi8(_mm_max_epu8(v, lo), v);
      const __m128i le = _mm_cmpeq_epi8(_mm_min_epu8(v, hi), v);
      const unsigned shift = 16u * static_cast<unsigned>(k);
      d |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, dash)))} << shift;
      c |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, colon)))} << shift;
      g |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(_mm_and_si128(ge, le)))} << shift;
      const __m128i l = _mm_or_si128(v, case_bit);  // 'A'-'Z' -> 'a'-'z'
      const __m128i letter = _mm_and_si128(_mm_cmpeq_epi8(_mm_max_epu8(l, lower_a), l),
                                           _mm_cmpeq_epi8(_mm_min_epu8(l, lower_z), l));
      a |= uint64_t{static_cast<uint16_t>(
               _mm_movemask_epi8(_mm_or_si128(letter, _mm_cmpeq_epi8(v, underscore))))}
           << shift;
      u |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(
               _mm_or_si128(_mm_cmpeq_epi8(v, l1), _mm_cmpeq_epi8(v, l2))))}
           << shift;
    }
    b.dash[w] = d;
    b.colon[w] = c;
    b.digit[w] = g;
    b.alpha[w] = a;
    b.lead[w] = u;
  }
  return w;
}
#endif

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define GH_MASKER_AVX2 1
// The same, 32 bytes per instruction: this pass touches every byte of every string, and
// AVX2 halves its cost on the machines that have it (checked once, at run time).
__attribute__((target("avx2"))) std::size_t build_words_avx2(const char* p, std::size_t n,
                                                             std::size_t w, text_bits& b,
                                                             char lead1, char lead2) {
  const __m256i l1 = _mm256_set1_epi8(lead1);
  const __m256i l2 = _mm256_set1_epi8(lead2);
  const __m256i dash = _mm256_set1_epi8('-');
  const __m256i colon = _mm256_set1_epi8(':');
  const __m256i lo = _mm256_set1_epi8('0');
  const __m256i hi = _mm256_set1_epi8('9');
  const __m256i lower_a = _mm256_set1_epi8('a');
  const __m256i lower_z = _mm256_set1_epi8('z');
  const __m256i case_bit = _mm256_set1_epi8(0x20);
  const __m256i underscore = _mm256_set1_epi8('_');
  for (; (w + 1) * 64 <= n; ++w) {
    uint64_t d = 0, c = 0, g = 0, a = 0, u = 0;
    for (int k = 0; k < 2; ++k) {
      const __m256i v =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + w * 64 + 32 * k));
      const __m256i ge = _mm256_cmpeq_epi8(_mm256_max_epu8(v, lo), v);
      const __m256i le = _mm256_cmpeq_epi8(_mm256_min_epu8(v, hi), v);
      const unsigned shift = 32u * static_cast<unsigned>(k);
      d |= uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, dash)))} << shift;
      c |= uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, colon)))} << shift;
      g |= uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_and_si256(ge, le)))} << shift;
      const __m256i l = _mm256_or_si256(v, case_bit);  // 'A'-'Z' -> 'a'-'z'
      const __m256i letter = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_max_epu8(l, lower_a), l),
                                              _mm256_cmpeq_epi8(_mm256_min_epu8(l, lower_z), l));
      a |= uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_or_si256(letter, _mm256_cmpeq_epi8(v, underscore))))} << shift;
      u |= uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(
               _mm256_or_si256(_mm256_cmpeq_epi8(v, l1), _mm256_cmpeq_epi8(v, l2))))}
           << shift;
    }
    b.dash[w] = d;
    b.colon[w] = c;
    b.digit[w] = g;
    b.alpha[w] = a;
    b.lead[w] = u;
  }
  return w;
}

bool cpu_has_avx2() noexcept {
  static const bool has = __builtin_cpu_supports("avx2") != 0;
  return has;
}
#endif

void build_bits(std::string_view t, text_bits& b, char lead1, char lead2) {
  const std::size_t n = t.size();
  const std::size_t words = (n + 63) / 64;
  b.words = words;
  if (b.dash.size() > 16384 && b.dash.size() > 4 * words) {
    b = text_bits{};  // a huge text must not pin its bitmaps in every worker
    b.words = words;
  }
  if (b.dash.size() < words) {
    b.dash.resize(words);
    b.colon.resize(words);
    b.digit.resize(words);
    b.alpha.resize(words);
    b.lead.resize(words);
  }
  const char* p = t.data();
  std::size_t w = 0;
#if defined(GH_MASKER_AVX2)
  if (cpu_has_avx2()) w = build_words_avx2(p, n, w, b, lead1, lead2);
#endif
#if defined(__SSE2__)
  w = build_words_sse2(p, n, w, b, lead1, lead2);
#endif
  for (; w < words; ++w) {
    uint64_t d = 0, c = 0, g = 0, a = 0, u = 0;
    for (std::size_t i = w * 64; i < std::min(n, w * 64 + 64); ++i) {
      const uint64_t bit = uint64_t{1} << (i & 63);
      if (p[i] == '-') d |= bit;
      if (p[i] == ':') c |= bit;
      if (is_digit(p[i])) g |= bit;
      if (is_word(p[i]) && !is_digit(p[i])) a |= bit;
      if (p[i] == lead1 || p[i] == lead2) u |= bit;
    }
    b.dash[w] = d;
    b.colon[w] = c;
    b.digit[w] = g;
    b.alpha[w] = a;
    b.lead[w] = u;
  }
}

// The length of the run of lowercase hex digits at p (at most `avail` bytes), counted up
// to 19: a resource ID's tail is 8 or 17, and anything longer is not one. One vector
// comparison instead of a branch per byte (the run lengths after a dash are random).
std::size_t lower_hex_run(const char* p, std::size_t avail) noexcept {
#if defined(__SSE2__)
  if (avail >= 32) {
    auto hex16 = [](const char* q) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
      const __m128i digit = _mm_and_si128(_mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8('0')), v),
                                          _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8('9')), v));
      const __m128i af = _mm_and_si128(_mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8('a')), v),
                                       _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8('f')), v));
      return static_cast<uint32_t>(
          static_cast<uint16_t>(_mm_movemask_epi8(_mm_or_si128(digit, af))));
    };
    const uint32_t hex = hex16(p) | (hex16(p + 16) << 16);
    return static_cast<std::size_t>(std::min(__builtin_ctz(~hex | (1u << 19)), 19));
  }
#endif
  std::size_t e = 0;
  while (e < avail && e < 19 && is_lower_hex(p[e])) ++e;
  return e;
}

bool same_bytes(const char* a, const char* b, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// Calls f(position) for every set bit, in increasing order.
template <typename F>
void for_each_bit(const std::vector<uint64_t>& bits, std::size_t words, F&& f) {
  for (std::size_t w = 0; w < words; ++w) {
    for (uint64_t m = bits[w]; m != 0; m &= m - 1) {
      f((w << 6) + static_cast<std::size_t>(__builtin_ctzll(m)));
    }
  }
}

// The first position at or after `s` whose bit is clear (the end of a run of set bits).
std::size_t run_end(const std::vector<uint64_t>& bits, std::size_t words, std::size_t s) noexcept {
  std::size_t w = s >> 6;
  uint64_t clear = ~bits[w] & (~uint64_t{0} << (s & 63));
  while (clear == 0) {
    if (++w == words) return w << 6;
    clear = ~bits[w];
  }
  return (w << 6) + static_cast<std::size_t>(__builtin_ctzll(clear));
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

thread_local text_bits tls_bits;

bool is_upper_or_digit(char c) noexcept { return is_digit(c) || (c >= 'A' && c <= 'Z'); }

}  // namespace

// "L[0-9A-Z]{min,max}": the catalogue's regex stays the definition the scanner follows.
native_scanner::upper native_scanner::parse_upper_id(std::string_view regex, unsigned id) {
  constexpr std::string_view kClass = "[0-9A-Z]{";
  std::size_t min_tail = 0, max_tail = 0;
  const std::size_t comma = regex.find(',');
  const bool shaped = regex.size() > kClass.size() + 4 && regex[0] >= 'A' && regex[0] <= 'Z' &&
                      regex.substr(1, kClass.size()) == kClass && regex.back() == '}' &&
                      comma != std::string_view::npos;
  if (shaped) {
    for (char c : regex.substr(1 + kClass.size(), comma - 1 - kClass.size()))
      min_tail = min_tail * 10 + static_cast<std::size_t>(c - '0');
    for (char c : regex.substr(comma + 1, regex.size() - comma - 2))
      max_tail = max_tail * 10 + static_cast<std::size_t>(c - '0');
  }
  if (!shaped || min_tail == 0 || max_tail < min_tail || max_tail > 64)
    throw std::logic_error("aws-masker: upper_id regex of an unexpected shape: " +
                           std::string(regex));
  return {regex[0], min_tail, max_tail, id};
}


void native_scanner::add(unsigned id, const pattern_def& p) {
  const std::string_view literal = p.literal;
  switch (p.scan) {
    case scanner::resource_id:
      prefixes_.push_back({std::string(literal), id});
      // Longer prefixes first: "tgw-attach" is tried before "tgw" would be.
      std::stable_sort(prefixes_.begin(), prefixes_.end(), [](const prefix& a, const prefix& b) {
        return a.literal.size() > b.literal.size();
      });
      for (auto& bucket : by_last_) bucket.clear();
      for (std::size_t k = 0; k < prefixes_.size(); ++k) {
        by_last_[static_cast<unsigned char>(prefixes_[k].literal.back())].push_back(
            static_cast<uint16_t>(k));
      }
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
    case scanner::upper_id:
      uppers_.push_back(parse_upper_id(p.regex, id));
      if (uppers_.size() > 2) throw std::logic_error("aws-masker: more than two upper-case IDs");
      break;
    case scanner::vectorscan:
      break;
  }
}

void native_scanner::scan(std::string_view text, std::vector<raw_match>& out) const {
  if (text.empty() || text.size() >= UINT32_MAX || empty()) return;
  const char lead1 = uppers_.empty() ? '\0' : uppers_.front().letter;
  build_bits(text, tls_bits, lead1, uppers_.empty() ? '\0' : uppers_.back().letter);
  if (!prefixes_.empty()) scan_resource_ids(text, out);
  if (account_ >= 0 || ipv4_ >= 0) scan_digit_runs(text, out);
  if (ipv6_ >= 0) scan_ipv6(text, out);
  if (!uppers_.empty()) scan_upper_ids(text, out);
}

// "<prefix>-<hex>": every dash followed by exactly 8 or 17 lowercase hex digits and a
// non-word byte, preceded by a known prefix that does not continue a word or a dashed name.
// Only the prefixes ending with the byte before the dash are compared.
void native_scanner::scan_resource_ids(std::string_view t, std::vector<raw_match>& out) const {
  const char* b = t.data();
  const std::size_t n = t.size();
  for_each_bit(tls_bits.dash, tls_bits.words, [&](std::size_t d) {
    if (d == 0) return;
    const std::vector<uint16_t>& candidates = by_last_[static_cast<unsigned char>(b[d - 1])];
    if (candidates.empty()) return;  // dates, numbers: no prefix ends with that byte
    const std::size_t len = lower_hex_run(b + d + 1, n - d - 1);
    const std::size_t e = d + 1 + len;
    if ((len != 8 && len != 17) || (e < n && is_word(b[e]))) return;
    for (const uint16_t k : candidates) {
      const prefix& pf = prefixes_[k];
      const std::size_t l = pf.literal.size();
      if (l > d || !same_bytes(b + d - l, pf.literal.data(), l)) continue;
      const std::size_t s = d - l;
      if (s > 0 && (is_word(b[s - 1]) || b[s - 1] == '-')) continue;
      out.push_back({pf.id, static_cast<uint32_t>(s), static_cast<uint32_t>(e)});
    }
  });
}

// Digit runs: a run of exactly 12 is an account candidate; a run of 1-3 followed by a dot
// may start an IPv4 address. Only runs not glued to a word byte on their left can be
// accepted by either check, so the digits inside hex IDs and version-like words are
// skipped at their first byte.
void native_scanner::scan_digit_runs(std::string_view t, std::vector<raw_match>& out) const {
  const std::vector<uint64_t>& digits = tls_bits.digit;
  const std::size_t n = t.size();
  const std::vector<uint64_t>& alpha = tls_bits.alpha;
  uint64_t carry = 0;  // the last byte of the previous word was a word byte
  for (std::size_t w = 0; w < tls_bits.words; ++w) {
    const uint64_t m = digits[w];
    const uint64_t word = m | alpha[w];
    uint64_t starts = m & ~((word << 1) | carry);
    carry = word >> 63;
    for (; starts != 0; starts &= starts - 1) {
      const std::size_t s = (w << 6) + static_cast<std::size_t>(__builtin_ctzll(starts));
      const std::size_t e = std::min(run_end(digits, tls_bits.words, s), n);
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
    }
  }
}

// IPv6 triggers ("::" or hex{1,4}:hex{0,4}:) at the start of a run of address-like bytes:
// the check rejects any match whose previous byte is a word byte, ':', '.' or '-'.
void native_scanner::scan_ipv6(std::string_view t, std::vector<raw_match>& out) const {
  const char* b = t.data();
  const std::size_t n = t.size();
  const text_bits& tb = tls_bits;
  uint64_t word_carry = 0;  // the last byte of the previous word was a word byte
  for (std::size_t w = 0; w < tb.words; ++w) {
    const uint64_t word = tb.digit[w] | tb.alpha[w];
    const uint64_t next_colon = w + 1 < tb.words ? tb.colon[w + 1] & 1 : 0;
    // A trigger's colon follows a hex digit ("fe80:") or starts "::"; the colons that end
    // JSON member names ("Key": ) are neither and are not visited.
    uint64_t cands =
        tb.colon[w] & ((word << 1) | word_carry | (tb.colon[w] >> 1) | (next_colon << 63));
    word_carry = word >> 63;
    for (; cands != 0; cands &= cands - 1) {
      const std::size_t c = (w << 6) + static_cast<std::size_t>(__builtin_ctzll(cands));
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
}

// Upper-case IDs: a whole word (no word byte on either side) made of the leading letter and
// min..max bytes of [0-9A-Z]. Vectorscan's leftmost start for such a word's end is the
// word's first byte, and the check refuses every other raw match (a word byte beside it),
// so this one candidate per word is the whole of what the check could accept.
void native_scanner::scan_upper_ids(std::string_view t, std::vector<raw_match>& out) const {
  const char* b = t.data();
  const std::size_t n = t.size();
  const text_bits& tb = tls_bits;
  uint64_t carry = 0;  // the last byte of the previous word was a word byte
  for (std::size_t w = 0; w < tb.words; ++w) {
    const uint64_t word = tb.digit[w] | tb.alpha[w];
    uint64_t starts = tb.lead[w] & ~((word << 1) | carry);
    carry = word >> 63;
    for (; starts != 0; starts &= starts - 1) {
      const std::size_t s = (w << 6) + static_cast<std::size_t>(__builtin_ctzll(starts));
      const upper& u = uppers_.front().letter == b[s] ? uppers_.front() : uppers_.back();
      std::size_t e = s + 1;
      while (e < n && e - s <= u.max_tail + 1 && is_upper_or_digit(b[e])) ++e;
      const std::size_t tail = e - s - 1;
      if (tail < u.min_tail || tail > u.max_tail || (e < n && is_word(b[e]))) continue;
      out.push_back({u.id, static_cast<uint32_t>(s), static_cast<uint32_t>(e)});
    }
  }
}

}  // namespace gh::aws_masker
