#include "native_scan.h"

#include "json_text.h"
#include "simd.h"

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

// The class masks of one 64-byte block (bit k: byte k), and for the in-place JSON pass
// its quotes and backslashes.
struct block_classes {
  uint64_t dash = 0, colon = 0, digit = 0, alpha = 0, lead = 0, hex = 0, dot = 0;
  uint64_t quotes = 0, backslashes = 0;
};

// Where a pass writes the bitmaps: the arrays' addresses taken once, since the byte stores
// of the same pass (the blanked copy) could alias the vectors' own pointers for all the
// compiler knows, and would make it reload them for every block.
struct bits_out {
  uint64_t* dash;
  uint64_t* colon;
  uint64_t* digit;
  uint64_t* alpha;
  uint64_t* lead;
  uint64_t* hex;
  uint64_t* dot;
  explicit bits_out(text_bits& b) noexcept
      : dash(b.dash.data()),
        colon(b.colon.data()),
        digit(b.digit.data()),
        alpha(b.alpha.data()),
        lead(b.lead.data()),
        hex(b.hex.data()),
        dot(b.dot.data()) {}
  void store(std::size_t w, const block_classes& c) const noexcept {
    dash[w] = c.dash;
    colon[w] = c.colon;
    digit[w] = c.digit;
    alpha[w] = c.alpha;
    lead[w] = c.lead;
    hex[w] = c.hex;
    dot[w] = c.dot;
  }
};

template <bool Escapes>
block_classes classes_scalar(const char* p, char lead1, char lead2) noexcept {
  block_classes c;
  for (unsigned i = 0; i < 64; ++i) {
    const uint64_t bit = uint64_t{1} << i;
    const char x = p[i];
    if (x == '-') c.dash |= bit;
    if (x == ':') c.colon |= bit;
    if (is_digit(x)) c.digit |= bit;
    if (is_word(x) && !is_digit(x)) c.alpha |= bit;
    if (x == lead1 || x == lead2) c.lead |= bit;
    if (is_lower_hex(x)) c.hex |= bit;
    if (x == '.') c.dot |= bit;
    if (Escapes && x == '"') c.quotes |= bit;
    if (Escapes && x == '\\') c.backslashes |= bit;
  }
  return c;
}

#if defined(__SSE2__)
template <bool Escapes>
[[gnu::always_inline]] inline block_classes classes_sse2(const char* p, char lead1,
                                                         char lead2) noexcept {
  const __m128i l1 = _mm_set1_epi8(lead1);
  const __m128i l2 = _mm_set1_epi8(lead2);
  const __m128i lo = _mm_set1_epi8('0');
  const __m128i hi = _mm_set1_epi8('9');
  const __m128i lower_a = _mm_set1_epi8('a');
  const __m128i lower_z = _mm_set1_epi8('z');
  const __m128i lower_f = _mm_set1_epi8('f');
  block_classes c;
#pragma GCC unroll 4
  for (int k = 0; k < 4; ++k) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    const unsigned shift = 16u * static_cast<unsigned>(k);
    auto bits = [&](__m128i m) {
      return uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(m))} << shift;
    };
    const __m128i digit = _mm_and_si128(_mm_cmpeq_epi8(_mm_max_epu8(v, lo), v),
                                        _mm_cmpeq_epi8(_mm_min_epu8(v, hi), v));
    const __m128i af = _mm_and_si128(_mm_cmpeq_epi8(_mm_max_epu8(v, lower_a), v),
                                     _mm_cmpeq_epi8(_mm_min_epu8(v, lower_f), v));
    const __m128i l = _mm_or_si128(v, _mm_set1_epi8(0x20));  // 'A'-'Z' -> 'a'-'z'
    const __m128i letter = _mm_and_si128(_mm_cmpeq_epi8(_mm_max_epu8(l, lower_a), l),
                                         _mm_cmpeq_epi8(_mm_min_epu8(l, lower_z), l));
    c.dash |= bits(_mm_cmpeq_epi8(v, _mm_set1_epi8('-')));
    c.colon |= bits(_mm_cmpeq_epi8(v, _mm_set1_epi8(':')));
    c.digit |= bits(digit);
    c.hex |= bits(_mm_or_si128(digit, af));
    c.dot |= bits(_mm_cmpeq_epi8(v, _mm_set1_epi8('.')));
    c.alpha |= bits(_mm_or_si128(letter, _mm_cmpeq_epi8(v, _mm_set1_epi8('_'))));
    c.lead |= bits(_mm_or_si128(_mm_cmpeq_epi8(v, l1), _mm_cmpeq_epi8(v, l2)));
    if constexpr (Escapes) {
      c.quotes |= bits(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')));
      c.backslashes |= bits(_mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
    }
  }
  return c;
}
#endif

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define GH_MASKER_AVX2 1
// The same, 32 bytes per instruction: this pass touches every byte of every string, and
// AVX2 halves its cost on the machines that have it (checked once, at run time).
[[gnu::always_inline]] __attribute__((target("avx2"))) inline uint64_t bits256(
    __m256i m, unsigned shift) noexcept {
  return uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(m))} << shift;
}

template <bool Escapes>
__attribute__((target("avx2"))) inline block_classes classes_avx2(
    const char* p, char lead1, char lead2) noexcept {
  const __m256i l1 = _mm256_set1_epi8(lead1);
  const __m256i l2 = _mm256_set1_epi8(lead2);
  const __m256i lo = _mm256_set1_epi8('0');
  const __m256i hi = _mm256_set1_epi8('9');
  const __m256i lower_a = _mm256_set1_epi8('a');
  const __m256i lower_z = _mm256_set1_epi8('z');
  const __m256i lower_f = _mm256_set1_epi8('f');
  block_classes c;
#pragma GCC unroll 2
  for (int k = 0; k < 2; ++k) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * k));
    const unsigned shift = 32u * static_cast<unsigned>(k);
    const __m256i digit = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_max_epu8(v, lo), v),
                                           _mm256_cmpeq_epi8(_mm256_min_epu8(v, hi), v));
    const __m256i af = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_max_epu8(v, lower_a), v),
                                        _mm256_cmpeq_epi8(_mm256_min_epu8(v, lower_f), v));
    const __m256i l = _mm256_or_si256(v, _mm256_set1_epi8(0x20));  // 'A'-'Z' -> 'a'-'z'
    const __m256i letter = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_max_epu8(l, lower_a), l),
                                            _mm256_cmpeq_epi8(_mm256_min_epu8(l, lower_z), l));
    c.dash |= bits256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('-')), shift);
    c.colon |= bits256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(':')), shift);
    c.digit |= bits256(digit, shift);
    c.hex |= bits256(_mm256_or_si256(digit, af), shift);
    c.dot |= bits256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('.')), shift);
    c.alpha |= bits256(_mm256_or_si256(letter, _mm256_cmpeq_epi8(v, _mm256_set1_epi8('_'))), shift);
    c.lead |= bits256(_mm256_or_si256(_mm256_cmpeq_epi8(v, l1), _mm256_cmpeq_epi8(v, l2)), shift);
    if constexpr (Escapes) {
      c.quotes |= bits256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('"')), shift);
      c.backslashes |= bits256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('\\')), shift);
    }
  }
  return c;
}
#endif

#if defined(GH_MASKER_AVX2)
#define GH_MASKER_AVX512 1
// AVX-512BW: each class is one compare straight into a 64-bit mask for the whole block,
// and a masked load reads the last, partial block (zeros after the text) without a copy.
__attribute__((target("avx512bw"))) inline block_classes classes_avx512(__m512i v, char lead1,
                                                                       char lead2) noexcept {
  const __m512i l = _mm512_or_si512(v, _mm512_set1_epi8(0x20));  // 'A'-'Z' -> 'a'-'z'
  const __mmask64 digit =
      _mm512_cmplt_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8('0')), _mm512_set1_epi8(10));
  const __mmask64 af =
      _mm512_cmplt_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8('a')), _mm512_set1_epi8(6));
  const __mmask64 letter =
      _mm512_cmplt_epu8_mask(_mm512_sub_epi8(l, _mm512_set1_epi8('a')), _mm512_set1_epi8(26));
  block_classes c;
  c.dash = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('-'));
  c.colon = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(':'));
  c.digit = digit;
  c.hex = _kor_mask64(digit, af);
  c.dot = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('.'));
  c.alpha = _kor_mask64(letter, _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('_')));
  c.lead = _kor_mask64(_mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(lead1)),
                       _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(lead2)));
  c.quotes = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('"'));
  c.backslashes = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\\'));
  return c;
}

#endif

// The bytes of block w of an n-byte text in use (all 64 but in the last, partial block).
inline uint64_t valid_bytes(std::size_t n, std::size_t w) noexcept {
  const std::size_t left = n - w * 64;
  return left >= 64 ? ~uint64_t{0} : (uint64_t{1} << left) - 1;
}

// Block w of the n bytes at p: its address, or the address of `tail` holding its bytes
// followed by zeros when it is the last, partial block; `valid` gets its bytes' bits.
[[gnu::always_inline]] inline const char* block_at(const char* p, std::size_t n, std::size_t w,
                                                   char (&tail)[64], uint64_t& valid) noexcept {
  valid = valid_bytes(n, w);
  if (valid == ~uint64_t{0}) return p + w * 64;
  std::memset(tail, 0, sizeof tail);
  std::memcpy(tail, p + w * 64, n - w * 64);
  return tail;
}

// Every block's bitmaps. The zeros after a partial block are in no class, except as a
// lead letter of '\0' (no upper-case IDs), which `valid` removes.
template <block_classes (*Classify)(const char*, char, char)>
[[gnu::always_inline]] inline void build_words_with(const char* p, std::size_t n, text_bits& b,
                                                    char lead1, char lead2) noexcept {
  alignas(64) char tail[64];
  const bits_out to(b);
  const std::size_t words = b.words;
  for (std::size_t w = 0; w < words; ++w) {
    uint64_t valid = 0;
    block_classes c = Classify(block_at(p, n, w, tail, valid), lead1, lead2);
    c.lead &= valid;
    to.store(w, c);
  }
}

// json_text::blank_escapes and the bitmaps of its result in one pass: each block is
// classified once, as read. The blanking changes no class but the escaped letter's (n, r
// and t are letters; the backslash and the blanks are in no class), so the raw block's
// bitmaps with those letters removed are the blanked block's. Same result and failures as
// blank_escapes followed by build_bits.
template <block_classes (*Classify)(const char*, char, char)>
[[gnu::always_inline]] inline bool blank_words_with(std::string_view raw, std::string& out,
                                                    text_bits& b, char lead1,
                                                    char lead2) noexcept {
  const std::size_t n = raw.size();
  if (out.size() < n) out.resize(n);  // grown only: see scan_json_in_place
  alignas(64) char tail[64];
  const bits_out to(b);
  const std::size_t words = b.words;
  char* const dest = out.data();
  uint64_t carry = 0;  // 1: the next block's first byte is escaped
  for (std::size_t w = 0; w < words; ++w) {
    uint64_t valid = 0;
    const char* q = block_at(raw.data(), n, w, tail, valid);
    block_classes c = Classify(q, lead1, lead2);
    char* o = dest + w * 64;
    if (valid == ~uint64_t{0})
      std::memcpy(o, q, 64);  // a fixed size: vector moves, not a call
    else
      std::memcpy(o, q, n - w * 64);
    const uint64_t escaped = json_text::escaped_bytes(c.backslashes, carry) & ~c.quotes;
    if (!json_text::blank_block(q, escaped, o)) return false;
    c.alpha &= ~escaped;
    c.lead &= valid;
    to.store(w, c);
  }
  return carry == 0;
}

#if defined(__SSE2__)
void build_words_sse2(const char* p, std::size_t n, text_bits& b, char l1, char l2) {
  build_words_with<classes_sse2<false>>(p, n, b, l1, l2);
}
bool blank_words_sse2(std::string_view raw, std::string& out, text_bits& b, char l1, char l2) {
  return blank_words_with<classes_sse2<true>>(raw, out, b, l1, l2);
}
#endif
#if defined(GH_MASKER_AVX2)
__attribute__((target("avx2"))) void build_words_avx2(const char* p, std::size_t n,
                                                      text_bits& b, char l1, char l2) {
  build_words_with<classes_avx2<false>>(p, n, b, l1, l2);
}
__attribute__((target("avx2"))) bool blank_words_avx2(std::string_view raw, std::string& out,
                                                      text_bits& b, char l1, char l2) {
  return blank_words_with<classes_avx2<true>>(raw, out, b, l1, l2);
}
#endif
#if defined(GH_MASKER_AVX512)
thread_local std::vector<uint64_t> tls_quotes, tls_escapes;

// Every block's bitmaps (build_words_with); with Escapes, also the quotes and backslashes
// of each block, into tls_quotes and tls_escapes.
template <bool Escapes>
__attribute__((target("avx512bw"))) void classify_avx512(const char* p, std::size_t n,
                                                       text_bits& b, char lead1,
                                                       char lead2) noexcept {
  const bits_out to(b);
  uint64_t* const quotes = Escapes ? tls_quotes.data() : nullptr;  // addresses taken once
  uint64_t* const backslashes = Escapes ? tls_escapes.data() : nullptr;
  for (std::size_t w = 0; w < b.words; ++w) {
    const uint64_t valid = valid_bytes(n, w);
    block_classes c = classes_avx512(_mm512_maskz_loadu_epi8(valid, p + w * 64), lead1, lead2);
    c.lead &= valid;
    to.store(w, c);
    if constexpr (Escapes) {
      quotes[w] = c.quotes;
      backslashes[w] = c.backslashes;
    }
  }
}

void build_words_avx512(const char* p, std::size_t n, text_bits& b, char l1, char l2) {
  classify_avx512<false>(p, n, b, l1, l2);
}

// blank_words_with in three passes, none with a branch per escape: the bitmaps (AVX-512),
// the escapes from the backslashes (plain code: the carry from block to block, which GCC
// would keep in mask registers, moving it to and fro on every block, when mixed with the
// vector code), then the blanked copy, each block blended with blanks and stored whole
// (AVX-512). The per-escape loop of the other forms mispredicts its exit on most blocks.
// False when an escaped byte is not n, r or t: json_text::blank_block's rule, a block at a
// time (the tests compare this form's output with the others').
__attribute__((target("avx512bw"))) bool blank_copy_avx512(std::string_view raw, char* dest,
                                                         std::size_t words) noexcept {
  const uint64_t* const escaped = tls_escapes.data();
  const __m512i blank = _mm512_set1_epi8(' ');
  for (std::size_t w = 0; w < words; ++w) {
    const uint64_t valid = valid_bytes(raw.size(), w);
    const __m512i v = _mm512_maskz_loadu_epi8(valid, raw.data() + w * 64);
    const uint64_t e = escaped[w];
    const uint64_t ntr = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('n')) |
                         _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('r')) |
                         _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('t'));
    if ((e & ~ntr) != 0) return false;
    // An escape's backslash is the byte before it, maybe the last of this block for an
    // escape at the start of the next.
    const uint64_t next = w + 1 < words ? escaped[w + 1] : 0;
    const uint64_t blanks = e | (e >> 1) | (next << 63);
    _mm512_mask_storeu_epi8(dest + w * 64, valid, _mm512_mask_blend_epi8(blanks, v, blank));
  }
  return true;
}

bool blank_words_avx512(std::string_view raw, std::string& out, text_bits& b, char l1,
                        char l2) {
  if (out.size() < raw.size()) out.resize(raw.size());  // grown only: see scan_json_in_place
  // Sized as the bitmaps are (size_bits): grown, and freed after a huge text.
  if (tls_quotes.size() < b.words || tls_quotes.size() > b.dash.size()) {
    std::vector<uint64_t>(b.dash.size()).swap(tls_quotes);
    std::vector<uint64_t>(b.dash.size()).swap(tls_escapes);
  }
  classify_avx512<true>(raw.data(), raw.size(), b, l1, l2);
  uint64_t carry = 0;
  for (std::size_t w = 0; w < b.words; ++w) {
    const uint64_t e = json_text::escaped_bytes(tls_escapes[w], carry) & ~tls_quotes[w];
    tls_escapes[w] = e;
    b.alpha[w] &= ~e;
  }
  return carry == 0 && blank_copy_avx512(raw, out.data(), b.words);
}
#endif

// Sizes `b` for a text of n bytes (the vectors only grow, up to a bound).
void size_bits(std::size_t n, text_bits& b) {
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
}

void build_bits(std::string_view t, text_bits& b, char lead1, char lead2) {
  size_bits(t.size(), b);
  switch (simd()) {
#if defined(GH_MASKER_AVX512)
    case simd_level::avx512:
      return build_words_avx512(t.data(), t.size(), b, lead1, lead2);
#endif
#if defined(GH_MASKER_AVX2)
    case simd_level::avx2:
      return build_words_avx2(t.data(), t.size(), b, lead1, lead2);
#endif
#if defined(__SSE2__)
    case simd_level::sse2:
      return build_words_sse2(t.data(), t.size(), b, lead1, lead2);
#endif
    default:
      return build_words_with<classes_scalar<false>>(t.data(), t.size(), b, lead1, lead2);
  }
}

// blank_words_with for the CPU's level.
bool blank_bits(std::string_view raw, std::string& out, text_bits& b, char lead1, char lead2) {
  size_bits(raw.size(), b);
  switch (simd()) {
#if defined(GH_MASKER_AVX512)
    case simd_level::avx512:
      return blank_words_avx512(raw, out, b, lead1, lead2);
#endif
#if defined(GH_MASKER_AVX2)
    case simd_level::avx2:
      return blank_words_avx2(raw, out, b, lead1, lead2);
#endif
#if defined(__SSE2__)
    case simd_level::sse2:
      return blank_words_sse2(raw, out, b, lead1, lead2);
#endif
    default:
      return blank_words_with<classes_scalar<true>>(raw, out, b, lead1, lead2);
  }
}

bool same_bytes(const char* a, const char* b, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// The 64 bits of a bitmap from bit `bit` of word w on, given words w (`cur`) and w + 1
// (`next`, 0 past the end): bit k of the result is about the byte k after that position.
// Branch-free for bit = 0 as well (the second shift is then by 64 in two steps).
inline uint64_t bits_from(uint64_t cur, uint64_t next, unsigned bit) noexcept {
  return (cur >> bit) | ((next << 1) << (63 - bit));
}

// Word w + 1 of a bitmap, 0 past the last.
inline uint64_t next_word(const std::vector<uint64_t>& b, std::size_t w, std::size_t words) noexcept {
  return w + 1 < words ? b[w + 1] : 0;
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

// Whether a lowercase MAC address ("0e:ff:22:f6:06:44") starts at `s` and nothing that
// could extend an address follows it: check::ipv6 refuses it (five colons, no "::"), and
// it is the usual IPv6 trigger of describe-instances output, so it is not reported.
// Read off the bitmaps: the colons of the 18 bytes from `s`, the hex digits of the 17.
bool mac_address_at(const text_bits& tb, std::size_t s) noexcept {
  const std::size_t w = s >> 6;
  const auto bit = static_cast<unsigned>(s & 63);
  auto from = [&](const std::vector<uint64_t>& b) {
    return bits_from(b[w], next_word(b, w, tb.words), bit);
  };
  constexpr uint64_t kColons = 0x4924;    // bytes 2, 5, 8, 11, 14
  constexpr uint64_t kHex = 0x1ffff & ~kColons;
  const uint64_t colons = from(tb.colon);
  const uint64_t after = from(tb.digit) | from(tb.alpha) | colons | from(tb.dot);
  return (colons & 0x3ffff) == kColons && (from(tb.hex) & 0x1ffff) == kHex &&
         ((after >> 17) & 1) == 0;
}

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
    case scanner::ip_anchor:
      ip_anchor_ = id;
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
  build_bits(text, tls_bits, lead1(), lead2());
  scan_bits(text, out);
}

bool native_scanner::scan_json_in_place(std::string_view raw, std::string& blanked,
                                        std::vector<raw_match>& out) const {
  if (raw.empty() || raw.size() >= UINT32_MAX || empty()) {
    if (!json_text::blank_escapes(raw, blanked)) return false;
    scan(blanked, out);
    return true;
  }
  if (!blank_bits(raw, blanked, tls_bits, lead1(), lead2())) return false;
  scan_bits(std::string_view(blanked.data(), raw.size()), out);
  return true;
}

void native_scanner::scan_bits(std::string_view text, std::vector<raw_match>& out) const {
  if (!prefixes_.empty() || ip_anchor_ >= 0) scan_dashes(text, out);
  if (account_ >= 0 || ipv4_ >= 0) scan_digit_runs(text, out);
  if (ipv6_ >= 0) scan_ipv6(text, out);
  if (!uppers_.empty()) scan_upper_ids(text, out);
}

// "<prefix>-<hex>": every dash followed by exactly 8 or 17 lowercase hex digits and a
// non-word byte, preceded by a known prefix that does not continue a word or a dashed name.
// The dashes are visited one by one (a few per 64 bytes of AWS output) and the 18 bits of
// the hex and word bitmaps after each tell its tail in two compares; only the prefixes
// ending with the byte before the dash are compared. A dash after "ip" (any case) and
// before a digit is the anchor of an EC2 private host name (its check reads the rest).
void native_scanner::scan_dashes(std::string_view t, std::vector<raw_match>& out) const {
  const char* b = t.data();
  const std::size_t n = t.size();
  const text_bits& tb = tls_bits;
  const std::size_t words = tb.words;
  for (std::size_t w = 0; w < words; ++w) {
    if (tb.dash[w] == 0) continue;
    const uint64_t hex = tb.hex[w], hex_next = next_word(tb.hex, w, words);
    const uint64_t word = tb.digit[w] | tb.alpha[w];
    const uint64_t word_next = next_word(tb.digit, w, words) | next_word(tb.alpha, w, words);
    for (uint64_t m = tb.dash[w]; m != 0; m &= m - 1) {
      const unsigned bit = static_cast<unsigned>(__builtin_ctzll(m));
      const std::size_t d = (w << 6) + bit;
      if (d == 0) continue;
      if (ip_anchor_ >= 0 && d >= 2 && (b[d - 2] | 0x20) == 'i' && (b[d - 1] | 0x20) == 'p' &&
          d + 1 < n && is_digit(b[d + 1])) {
        out.push_back({static_cast<unsigned>(ip_anchor_), static_cast<uint32_t>(d - 2),
                       static_cast<uint32_t>(d + 1)});
      }
      if (prefixes_.empty()) continue;
      // Bit k: the byte k + 1 after the dash.
      const uint64_t h = bits_from(hex, hex_next, bit) >> 1;
      const uint64_t wb = bits_from(word, word_next, bit) >> 1;
      std::size_t tail = 0;
      if ((h & 0x1ffff) == 0x1ffff && ((wb >> 17) & 1) == 0)
        tail = 17;
      else if ((h & 0xff) == 0xff && ((wb >> 8) & 1) == 0)
        tail = 8;
      else
        continue;
      const std::vector<uint16_t>& candidates = by_last_[static_cast<unsigned char>(b[d - 1])];
      const std::size_t e = d + 1 + tail;
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
      if (e != 0 && !mac_address_at(tb, s)) {
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
