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

// One bit per byte of the text, for the bytes the scanners start from: '-' (resource
// IDs), ':' (IPv6) and ASCII digits (accounts, IPv4), and for the classes their shapes are
// made of. Built in one vector pass; the scanners combine whole words of bits to find the
// few positions where a shape can start, instead of testing bytes per occurrence.
// Bits past the end of the text are 0.
struct text_bits {
  std::vector<uint64_t> dash;
  std::vector<uint64_t> colon;
  std::vector<uint64_t> digit;
  std::vector<uint64_t> alpha;  // letters and '_': with digits, the word bytes
  std::vector<uint64_t> lead;   // the leading letters of the upper-case IDs
  std::vector<uint64_t> hex;    // [0-9a-f]
  std::vector<uint64_t> dot;    // '.'
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
  const __m128i lower_f = _mm_set1_epi8('f');
  const __m128i period = _mm_set1_epi8('.');
  for (; (w + 1) * 64 <= n; ++w) {
    uint64_t d = 0, c = 0, g = 0, a = 0, u = 0, h = 0, t = 0;
    for (int k = 0; k < 4; ++k) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + w * 64 + 16 * k));
      const __m128i ge = _mm_cmpeq_epi8(_mm_max_epu8(v, lo), v);
      const __m128i le = _mm_cmpeq_epi8(_mm_min_epu8(v, hi), v);
      const unsigned shift = 16u * static_cast<unsigned>(k);
      d |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, dash)))} << shift;
      c |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, colon)))} << shift;
      const __m128i digit = _mm_and_si128(ge, le);
      g |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(digit))} << shift;
      const __m128i af = _mm_and_si128(_mm_cmpeq_epi8(_mm_max_epu8(v, lower_a), v),
                                       _mm_cmpeq_epi8(_mm_min_epu8(v, lower_f), v));
      h |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(_mm_or_si128(digit, af)))} << shift;
      t |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, period)))} << shift;
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
    b.hex[w] = h;
    b.dot[w] = t;
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
  const __m256i lower_f = _mm256_set1_epi8('f');
  const __m256i period = _mm256_set1_epi8('.');
  for (; (w + 1) * 64 <= n; ++w) {
    uint64_t d = 0, c = 0, g = 0, a = 0, u = 0, h = 0, t = 0;
    for (int k = 0; k < 2; ++k) {
      const __m256i v =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + w * 64 + 32 * k));
      const __m256i ge = _mm256_cmpeq_epi8(_mm256_max_epu8(v, lo), v);
      const __m256i le = _mm256_cmpeq_epi8(_mm256_min_epu8(v, hi), v);
      const unsigned shift = 32u * static_cast<unsigned>(k);
      d |= uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, dash)))} << shift;
      c |= uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, colon)))} << shift;
      const __m256i digit = _mm256_and_si256(ge, le);
      g |= uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(digit))} << shift;
      const __m256i af = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_max_epu8(v, lower_a), v),
                                          _mm256_cmpeq_epi8(_mm256_min_epu8(v, lower_f), v));
      h |= uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_or_si256(digit, af)))} << shift;
      t |= uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, period)))} << shift;
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
    b.hex[w] = h;
    b.dot[w] = t;
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
    b.hex.resize(words);
    b.dot.resize(words);
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
    uint64_t d = 0, c = 0, g = 0, a = 0, u = 0, h = 0, t = 0;
    for (std::size_t i = w * 64; i < std::min(n, w * 64 + 64); ++i) {
      const uint64_t bit = uint64_t{1} << (i & 63);
      if (p[i] == '-') d |= bit;
      if (p[i] == ':') c |= bit;
      if (is_digit(p[i])) g |= bit;
      if (is_word(p[i]) && !is_digit(p[i])) a |= bit;
      if (p[i] == lead1 || p[i] == lead2) u |= bit;
      if (is_lower_hex(p[i])) h |= bit;
      if (p[i] == '.') t |= bit;
    }
    b.dash[w] = d;
    b.colon[w] = c;
    b.digit[w] = g;
    b.alpha[w] = a;
    b.lead[w] = u;
    b.hex[w] = h;
    b.dot[w] = t;
  }
}

bool same_bytes(const char* a, const char* b, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// Bits w and w + 1 of `b` as one 128-bit value (0 past the last word): bit p + k of it,
// shifted down by k, says something about the byte k after position p of word w.
unsigned __int128 pair(const std::vector<uint64_t>& b, std::size_t w, std::size_t words) noexcept {
  const uint64_t next = w + 1 < words ? b[w + 1] : 0;
  return (static_cast<unsigned __int128>(next) << 64) | b[w];
}

// Four maximal runs of 1-3 digits joined by single dots, starting at `s`; the end or 0.
// An address and the byte after it fit in 16 bytes: where those can be loaded, the groups
// are read off the digit and dot masks of one vector (the candidates are mostly times
// such as "10:30:56.000Z", refused at their second group).
std::size_t ipv4_end(std::string_view t, std::size_t s) noexcept {
#if defined(__SSE2__)
  if (s + 16 <= t.size()) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t.data() + s));
    const __m128i digit = _mm_and_si128(_mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8('0')), v),
                                        _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8('9')), v));
    const auto not_digit = static_cast<uint32_t>(~_mm_movemask_epi8(digit));  // bit 16 up: set
    const auto dots =
        static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('.'))));
    unsigned i = 0;
    for (int group = 0; group < 4; ++group) {
      if (group > 0) {
        if (((dots >> i) & 1) == 0) return 0;
        ++i;
      }
      const auto len = static_cast<unsigned>(__builtin_ctz(not_digit >> i));
      if (len == 0 || len > 3) return 0;
      i += len;
    }
    return s + i;
  }
#endif
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


// The literal right-aligned in the 16 bytes before a dash: its last 8 bytes against the
// word loaded from the 8 bytes before the dash, the rest against the 8 before those.
native_scanner::prefix native_scanner::make_prefix(std::string_view literal, unsigned id) {
  prefix pf{std::string(literal), id};
  for (std::size_t i = 0; i < literal.size(); ++i) {
    const std::size_t from_end = literal.size() - 1 - i;  // 0 = the byte before the dash
    const auto byte = static_cast<uint64_t>(static_cast<unsigned char>(literal[i]));
    const unsigned shift = static_cast<unsigned>(8 * (7 - from_end % 8));
    uint64_t& word = from_end < 8 ? pf.near : pf.far;
    uint64_t& mask = from_end < 8 ? pf.near_mask : pf.far_mask;
    word |= byte << shift;
    mask |= uint64_t{0xff} << shift;
  }
  return pf;
}

void native_scanner::add(unsigned id, const pattern_def& p) {
  const std::string_view literal = p.literal;
  switch (p.scan) {
    case scanner::resource_id:
      if (literal.empty() || literal.size() > 16)
        throw std::logic_error("aws-masker: resource ID prefix of 1-16 bytes expected: " +
                               std::string(literal));
      prefixes_.push_back(make_prefix(literal, id));
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
// The dashes with such a tail are found a word of bits at a time (dates, names and dashed
// words are never visited); only the prefixes ending with the byte before the dash are
// compared.
void native_scanner::scan_resource_ids(std::string_view t, std::vector<raw_match>& out) const {
  const char* b = t.data();
  const text_bits& tb = tls_bits;
  for (std::size_t w = 0; w < tb.words; ++w) {
    if (tb.dash[w] == 0) continue;
    const unsigned __int128 hex = pair(tb.hex, w, tb.words);
    const unsigned __int128 word = pair(tb.digit, w, tb.words) | pair(tb.alpha, w, tb.words);
    const unsigned __int128 hex2 = hex & (hex >> 1);
    const unsigned __int128 hex4 = hex2 & (hex2 >> 2);
    const unsigned __int128 hex8 = hex4 & (hex4 >> 4);       // hex at p .. p + 7
    const unsigned __int128 hex17 = hex8 & (hex8 >> 8) & (hex >> 16);  // p .. p + 16
    const uint64_t tail8 = static_cast<uint64_t>(hex8 >> 1) & ~static_cast<uint64_t>(word >> 9);
    const uint64_t tail17 =
        static_cast<uint64_t>(hex17 >> 1) & ~static_cast<uint64_t>(word >> 18);
    for (uint64_t m = tb.dash[w] & (tail8 | tail17); m != 0; m &= m - 1) {
      const unsigned bit = static_cast<unsigned>(__builtin_ctzll(m));
      const std::size_t d = (w << 6) + bit;
      if (d == 0) continue;
      const std::vector<uint16_t>& candidates = by_last_[static_cast<unsigned char>(b[d - 1])];
      const std::size_t e = d + 1 + ((tail8 >> bit) & 1 ? 8 : 17);
      // The 16 bytes before the dash, for comparing prefixes a word at a time.
      uint64_t near = 0, far = 0;
      const bool loaded = d >= 16;
      if (loaded) {
        std::memcpy(&near, b + d - 8, 8);
        std::memcpy(&far, b + d - 16, 8);
      }
      for (const uint16_t k : candidates) {
        const prefix& pf = prefixes_[k];
        const std::size_t l = pf.literal.size();
        if (loaded) {
          if (((near ^ pf.near) & pf.near_mask) != 0 || ((far ^ pf.far) & pf.far_mask) != 0)
            continue;
        } else if (l > d || !same_bytes(b + d - l, pf.literal.data(), l)) {
          continue;
        }
        const std::size_t s = d - l;
        if (s > 0 && (is_word(b[s - 1]) || b[s - 1] == '-')) continue;
        out.push_back({pf.id, static_cast<uint32_t>(s), static_cast<uint32_t>(e), true});
      }
    }
  }
}

// Digit runs not glued to a word byte on their left (only those can pass either check):
// a run of exactly 12 is an account candidate; a run of 1-3 followed by a dot may start an
// IPv4 address. Both shapes are found a word of bits at a time, so the digits of dates,
// hex IDs and counters are never visited one run at a time.
void native_scanner::scan_digit_runs(std::string_view t, std::vector<raw_match>& out) const {
  const text_bits& tb = tls_bits;
  const uint64_t want_account = account_ >= 0 ? ~uint64_t{0} : 0;
  const uint64_t want_ipv4 = ipv4_ >= 0 ? ~uint64_t{0} : 0;
  uint64_t carry = 0;  // the last byte of the previous word was a word byte
  for (std::size_t w = 0; w < tb.words; ++w) {
    const uint64_t digits = tb.digit[w];
    const uint64_t word = digits | tb.alpha[w];
    const uint64_t starts = digits & ~((word << 1) | carry);
    carry = word >> 63;
    if (starts == 0) continue;
    const unsigned __int128 g = pair(tb.digit, w, tb.words);
    const unsigned __int128 dot = pair(tb.dot, w, tb.words);
    const unsigned __int128 g2 = g & (g >> 1);
    const unsigned __int128 g4 = g2 & (g2 >> 2);
    const unsigned __int128 g12 = g4 & (g4 >> 4) & (g4 >> 8);  // digits at p .. p + 11
    const uint64_t account =
        want_account & static_cast<uint64_t>(g12) & ~static_cast<uint64_t>(g >> 12);
    const unsigned __int128 g_1 = g >> 1;
    const uint64_t dotted = want_ipv4 & static_cast<uint64_t>((dot >> 1) | (g_1 & (dot >> 2)) |
                                                              (g_1 & (g >> 2) & (dot >> 3)));
    for (uint64_t m = starts & (account | dotted); m != 0; m &= m - 1) {
      const unsigned bit = static_cast<unsigned>(__builtin_ctzll(m));
      const std::size_t s = (w << 6) + bit;
      if ((account >> bit) & 1) {
        out.push_back({static_cast<unsigned>(account_), static_cast<uint32_t>(s),
                       static_cast<uint32_t>(s + 12)});
      } else if (std::size_t end = ipv4_end(t, s); end != 0) {
        out.push_back(
            {static_cast<unsigned>(ipv4_), static_cast<uint32_t>(s), static_cast<uint32_t>(end)});
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
