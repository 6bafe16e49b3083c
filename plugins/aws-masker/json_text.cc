#include "json_text.h"

#include "simd.h"

#include <algorithm>
#include <array>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#include <tmmintrin.h>
#endif

namespace gh::aws_masker::json_text {
namespace {

int hex_val(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool read_u16(std::string_view raw, std::size_t i, unsigned& v) noexcept {
  if (i + 4 > raw.size()) return false;
  v = 0;
  for (std::size_t k = 0; k < 4; ++k) {
    int h = hex_val(raw[i + k]);
    if (h < 0) return false;
    v = v * 16 + static_cast<unsigned>(h);
  }
  return true;
}

// Writes the UTF-8 form of `cp` at `o`; returns its length.
std::size_t put_utf8(unsigned cp, char* o) noexcept {
  if (cp < 0x80) {
    o[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    o[0] = static_cast<char>(0xC0 | (cp >> 6));
    o[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = static_cast<char>(0xE0 | (cp >> 12));
    o[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    o[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = static_cast<char>(0xF0 | (cp >> 18));
  o[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  o[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  o[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

// The decoded byte of each one-character escape (\n -> newline); 0 for \u and invalid ones.
constexpr std::array<char, 256> kSimpleEscapes = [] {
  std::array<char, 256> t{};
  t['"'] = '"';
  t['\\'] = '\\';
  t['/'] = '/';
  t['b'] = '\b';
  t['f'] = '\f';
  t['n'] = '\n';
  t['r'] = '\r';
  t['t'] = '\t';
  return t;
}();

#if defined(__SSE2__)
// Bit k set where p[k] == '"' (quotes) or '\\' (backslashes), for 64 bytes at p.
struct block_masks {
  uint64_t quotes;
  uint64_t backslashes;
};
[[gnu::always_inline]] inline block_masks masks64(const char* p) noexcept {
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  block_masks m{0, 0};
  for (int k = 0; k < 4; ++k) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    m.quotes |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)))}
                << (16 * k);
    m.backslashes |=
        uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, backslash)))}
        << (16 * k);
  }
  return m;
}

__attribute__((target("avx2"))) inline block_masks masks64_avx2(const char* p) noexcept {
  const __m256i quote = _mm256_set1_epi8('"');
  const __m256i backslash = _mm256_set1_epi8('\\');
  const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
  block_masks m;
  m.quotes = uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, quote)))} |
             uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, quote)))}
                 << 32;
  m.backslashes =
      uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, backslash)))} |
      uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, backslash)))} << 32;
  return m;
}

// The whole 64-byte blocks of a string from p[i] on: the index after its closing quote,
// or npos with `i` at the first block not looked at (`carry`: its first byte is escaped).
template <block_masks (*Masks)(const char*)>
[[gnu::always_inline]] inline std::size_t string_end_with(const char* p, std::size_t n,
                                                          std::size_t& i, bool& has_escape,
                                                          uint64_t& carry) noexcept {
  // Locals, not the references, in the loop: a carry kept in memory would put a store and
  // a load on the chain from each block to the next.
  uint64_t c = carry;
  uint64_t any_backslash = 0;
  std::size_t at = i;
  std::size_t end = npos;
  for (; at + 64 <= n; at += 64) {
    const block_masks m = Masks(p + at);
    const uint64_t escaped = escaped_bytes(m.backslashes, c);
    if (const uint64_t q = m.quotes & ~escaped; q != 0) {
      const auto k = static_cast<unsigned>(__builtin_ctzll(q));
      any_backslash |= m.backslashes & ((uint64_t{1} << k) - 1);
      end = at + k + 1;
      break;
    }
    any_backslash |= m.backslashes;
  }
  if (any_backslash != 0) has_escape = true;
  i = at;
  carry = c;
  return end;
}

__attribute__((target("avx2"))) std::size_t string_end_avx2(const char* p, std::size_t n,
                                                            std::size_t& i, bool& has_escape,
                                                            uint64_t& carry) noexcept {
  return string_end_with<masks64_avx2>(p, n, i, has_escape, carry);
}

#endif

// Decodes the escape at raw[i] (a backslash) into o; advances i past it and returns the
// number of bytes written, or 0 on a malformed escape.
[[gnu::always_inline]] inline std::size_t decode_escape(std::string_view raw, std::size_t& i,
                                                        char* o) noexcept {
  const std::size_t n = raw.size();
  const char* p = raw.data();
  if (i + 1 >= n) return 0;
  const char e = p[i + 1];
  i += 2;
  // A table, not a switch: escapes alternate unpredictably (\" and \n in pasted JSON),
  // and an indirect jump per escape mispredicts.
  if (const char d = kSimpleEscapes[static_cast<unsigned char>(e)]; d != 0) {
    o[0] = d;
    return 1;
  }
  if (e != 'u') return 0;
  unsigned cp = 0;
  if (!read_u16(raw, i, cp)) return 0;
  i += 4;
  if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= n && p[i] == '\\' && p[i + 1] == 'u') {
    unsigned lo = 0;
    if (read_u16(raw, i + 2, lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
      i += 6;
    }
  }
  return put_utf8(cp, o);  // a lone surrogate becomes WTF-8
}

}  // namespace

std::size_t skip_ws(std::string_view t, std::size_t pos) noexcept {
  while (pos < t.size() && (t[pos] == ' ' || t[pos] == '\n' || t[pos] == '\r' || t[pos] == '\t')) {
    ++pos;
  }
  return pos;
}

// Pasted CLI output makes strings dense with escapes (every quote and newline), so the
// closing quote is found 64 bytes at a time: the first quote not escaped ends the string.
std::size_t scan_string(std::string_view t, std::size_t pos, bool& has_escape) noexcept {
  has_escape = false;
  const char* p = t.data();
  const std::size_t n = t.size();
  std::size_t i = pos + 1;
#if defined(__SSE2__)
  if (i + 16 <= n) {  // most strings (member names, short values) end in their first 16 bytes
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const unsigned q =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('"'))));
    const unsigned b =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
    if (q != 0 && (b == 0 || __builtin_ctz(q) < __builtin_ctz(b))) {
      return i + static_cast<std::size_t>(__builtin_ctz(q)) + 1;
    }
  }
  uint64_t carry = 0;  // 1: the first byte of the block is escaped
  if (i + 64 <= n) {
    const std::size_t end = simd() >= simd_level::avx2
                                ? string_end_avx2(p, n, i, has_escape, carry)
                                : string_end_with<masks64>(p, n, i, has_escape, carry);
    if (end != npos) return end;
  }
  if (carry != 0) ++i;
#endif
  while (i < n) {
    if (p[i] == '"') return i + 1;
    if (p[i] == '\\') {
      has_escape = true;
      i += 2;
    } else {
      ++i;
    }
  }
  return npos;
}

std::size_t skip_value(std::string_view t, std::size_t pos) noexcept {
  if (pos >= t.size()) return npos;
  char c = t[pos];
  if (c == '"') {
    bool esc = false;
    return scan_string(t, pos, esc);
  }
  if (c == '{' || c == '[') {
    int depth = 0;
    std::size_t i = pos;
    while (i < t.size()) {
      char d = t[i];
      if (d == '"') {
        bool esc = false;
        i = scan_string(t, i, esc);
        if (i == npos) return npos;
        continue;
      }
      if (d == '{' || d == '[') ++depth;
      if (d == '}' || d == ']') {
        if (--depth == 0) return i + 1;
      }
      ++i;
    }
    return npos;
  }
  std::size_t i = pos;
  while (i < t.size() && (std::strchr("+-.0123456789eEtrufalsn", t[i]) != nullptr)) ++i;
  return i == pos ? npos : i;
}

bool find_member(std::string_view t, std::size_t pos, std::string_view key, std::size_t& begin,
                 std::size_t& end) noexcept {
  if (pos >= t.size() || t[pos] != '{') return false;
  std::size_t i = skip_ws(t, pos + 1);
  while (i < t.size() && t[i] == '"') {
    bool esc = false;
    std::size_t k_end = scan_string(t, i, esc);
    if (k_end == npos) return false;
    std::string_view name = t.substr(i + 1, k_end - i - 2);
    i = skip_ws(t, k_end);
    if (i >= t.size() || t[i] != ':') return false;
    i = skip_ws(t, i + 1);
    std::size_t v_end = skip_value(t, i);
    if (v_end == npos) return false;
    if (name == key) {
      begin = i;
      end = v_end;
      return true;
    }
    i = skip_ws(t, v_end);
    if (i < t.size() && t[i] == ',') i = skip_ws(t, i + 1);
  }
  return false;
}

bool unescape(std::string_view raw, std::string& out, std::vector<escape_mark>* marks) {
  // Decoding never lengthens (\uXXXX is 6 bytes for at most 3, a surrogate pair 12 for 4),
  // so the output is written through a pointer into a buffer sized once; 16 spare bytes
  // let runs between escapes be copied a whole vector at a time. Marks are written the
  // same way: a push_back per escape would reload and store the vector's end through
  // memory every time.
  out.resize(raw.size() + 16);
  // An escape takes at least two raw bytes, so raw.size() / 2 marks are always enough.
  escape_mark discarded;
  if (marks != nullptr) marks->resize(raw.size() / 2 + 1);
  char* o = out.data();
  const char* p = raw.data();
  const std::size_t n = raw.size();
  std::size_t oi = 0;
  std::size_t i = 0;                                       // raw bytes before i are decoded
  std::size_t nm = 0;                                      // marks written
  const std::size_t mark_step = marks != nullptr ? 1 : 0;  // no marks wanted: one slot reused
  escape_mark* m = marks != nullptr ? marks->data() : &discarded;
  // Copies the run before the escape at `pos`, then decodes the escape.
  auto escape_at = [&](std::size_t pos) __attribute__((always_inline)) {
#if defined(__SSE2__)
    if (pos + 16 <= n) {
      for (std::size_t c = 0; c < pos - i; c += 16) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(o + oi + c),
                         _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i + c)));
      }
    } else {
      std::memcpy(o + oi, p + i, pos - i);
    }
#else
    std::memcpy(o + oi, p + i, pos - i);
#endif
    oi += pos - i;
    i = pos;
    const std::size_t w = decode_escape(raw, i, o + oi);
    oi += w;
    m[nm] = {static_cast<uint32_t>(oi), static_cast<uint32_t>(i)};
    nm += mark_step;
    return w != 0;
  };
#if defined(__SSE2__)
  // Escapes come from each block's bitmap of escaping backslashes, so finding the next one
  // does not wait on decoding the previous one (pasted JSON has one every few bytes).
  uint64_t carry = 0;
  for (std::size_t block = 0; block + 64 <= n; block += 64) {
    const uint64_t backslashes = masks64(p + block).backslashes;
    if (backslashes == 0 && carry == 0) continue;
    for (uint64_t starts = backslashes & ~escaped_bytes(backslashes, carry); starts != 0;
         starts &= starts - 1) {
      const std::size_t pos = block + static_cast<std::size_t>(__builtin_ctzll(starts));
      if (pos < i) continue;  // inside a \u escape already decoded
      // The usual case, a one-character escape after a run shorter than a vector (pasted
      // CLI output: \" and \n every few bytes): one 16-byte copy, one table look-up.
      if (pos - i <= 16 && pos + 18 <= n) {
        if (const char d = kSimpleEscapes[static_cast<unsigned char>(p[pos + 1])]; d != 0) {
          _mm_storeu_si128(reinterpret_cast<__m128i*>(o + oi),
                           _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)));
          oi += pos - i;
          o[oi++] = d;
          i = pos + 2;
          m[nm] = {static_cast<uint32_t>(oi), static_cast<uint32_t>(i)};
          nm += mark_step;
          continue;
        }
      }
      if (!escape_at(pos)) return false;
    }
  }
#endif
  for (const char* b = static_cast<const char*>(std::memchr(p + i, '\\', n - i)); b != nullptr;
       b = i < n ? static_cast<const char*>(std::memchr(p + i, '\\', n - i)) : nullptr) {
    if (!escape_at(static_cast<std::size_t>(b - p))) return false;
  }
  std::memcpy(o + oi, p + i, n - i);
  oi += n - i;
  out.resize(oi);
  if (marks != nullptr) marks->resize(nm);
  return true;
}

std::size_t raw_offset(const std::vector<escape_mark>& marks, std::size_t decoded) noexcept {
  auto it = std::upper_bound(marks.begin(), marks.end(), decoded,
                             [](std::size_t d, const escape_mark& m) { return d < m.decoded_end; });
  if (it == marks.begin()) return decoded;
  --it;
  return it->raw_end + (decoded - it->decoded_end);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
namespace {

// For each 8-bit mask of bytes to drop, the shuffle that packs the kept bytes of an 8-byte
// half to its front (0x80 zeroes the unused tail).
constexpr std::array<uint64_t, 256> kPackKept = [] {
  std::array<uint64_t, 256> t{};
  for (unsigned m = 0; m < 256; ++m) {
    uint64_t v = 0;
    unsigned k = 0;
    for (unsigned j = 0; j < 8; ++j) {
      if ((m >> j & 1u) == 0) v |= uint64_t{j} << (8 * k++);
    }
    for (; k < 8; ++k) v |= uint64_t{0x80} << (8 * k);
    t[m] = v;
  }
  return t;
}();

bool cpu_has_ssse3_popcnt() noexcept {
  static const bool has =
      __builtin_cpu_supports("ssse3") != 0 && __builtin_cpu_supports("popcnt") != 0;
  return has;
}

// Packs the 64 bytes at `in` without those whose bit is set in `drop` to `o` (writes up to
// 8 bytes past the kept ones); returns how many were kept.
__attribute__((target("ssse3,popcnt"))) std::size_t pack_block(const char* in, uint64_t drop, char* o) {
  std::size_t kept = 0;
#pragma GCC unroll 4
  for (int c = 0; c < 4; ++c) {
    const auto lo = static_cast<unsigned>(drop >> (16 * c)) & 0xffu;
    const auto hi = static_cast<unsigned>(drop >> (16 * c + 8)) & 0xffu;
    const __m128i shuffle = _mm_set_epi64x(
        static_cast<long long>(kPackKept[hi] + 0x0808080808080808ULL),
        static_cast<long long>(kPackKept[lo]));
    const __m128i packed = _mm_shuffle_epi8(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + 16 * c)), shuffle);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(o + kept), packed);
    kept += 8 - static_cast<std::size_t>(__builtin_popcount(lo));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(o + kept), _mm_unpackhi_epi64(packed, packed));
    kept += 8 - static_cast<std::size_t>(__builtin_popcount(hi));
  }
  return kept;
}

}  // namespace

bool unescape_blocks(std::string_view raw, std::string& out, block_offsets& bo) {
  const std::size_t n = raw.size();
  if (n < 64 || n >= UINT32_MAX || !cpu_has_ssse3_popcnt()) return false;
  const std::size_t blocks = (n + 63) / 64;
  out.resize(blocks * 64 + 16);
  bo.decoded_start.resize(blocks);
  bo.removed.resize(blocks);
  char* o = out.data();
  std::size_t oi = 0;
  uint64_t carry = 0;  // 1: the next block's first byte is escaped
  alignas(16) char block[64];
  for (std::size_t b = 0; b < blocks; ++b) {
    const std::size_t len = std::min<std::size_t>(64, n - b * 64);
    if (len == 64) {
      std::memcpy(block, raw.data() + b * 64, 64);  // a fixed size: four vector moves
    } else {
      std::memset(block, 0, sizeof block);  // the tail: zeros, kept, cut below
      std::memcpy(block, raw.data() + b * 64, len);
    }
    const uint64_t backslashes = masks64(block).backslashes;
    const uint64_t escaped = escaped_bytes(backslashes, carry);
    const uint64_t starts = backslashes & ~escaped;
    for (uint64_t e = escaped; e != 0; e &= e - 1) {
      const auto k = static_cast<std::size_t>(__builtin_ctzll(e));
      const char d = kSimpleEscapes[static_cast<unsigned char>(block[k])];
      if (d == 0) return false;  // \u, or malformed (a backslash ending the string reads a 0)
      block[k] = d;
    }
    bo.decoded_start[b] = static_cast<uint32_t>(oi);
    bo.removed[b] = starts;
    oi += pack_block(block, starts, o + oi);
  }
  if (carry != 0) return false;  // the last byte is a backslash escaping nothing
  oi -= blocks * 64 - n;         // the zeros after the tail
  out.resize(oi);
  bo.raw_size = n;
  bo.decoded_size = oi;
  return true;
}

[[gnu::always_inline]] inline block_masks masks64_sse2(const char* p) noexcept {
  return masks64(p);
}

template <block_masks (*Masks)(const char*)>
[[gnu::always_inline]] inline bool blank_escapes_with(std::string_view raw, std::string& out) {
  const std::size_t n = raw.size();
  out.resize(n);
  uint64_t carry = 0;  // 1: the next block's first byte is escaped
  for (std::size_t at = 0; at < n; at += 64) {
    const std::size_t len = std::min<std::size_t>(64, n - at);
    char* o = out.data() + at;
    alignas(16) char tail[64];
    const char* p = raw.data() + at;
    if (len < 64) {  // zeros after the end: a backslash ending the string escapes a 0
      std::memset(tail, 0, sizeof tail);
      std::memcpy(tail, p, len);
      p = tail;
    }
    const block_masks m = Masks(p);
    if (len == 64)
      std::memcpy(o, p, 64);  // a fixed size: vector moves, not a call
    else
      std::memcpy(o, p, len);
    // \" stays as it is; every other escaped byte is looked at (pasted CLI output: one \n
    // per line against several \").
    if (!blank_block(p, escaped_bytes(m.backslashes, carry) & ~m.quotes, o)) return false;
  }
  return carry == 0;
}

__attribute__((target("avx2"))) bool blank_escapes_avx2(std::string_view raw, std::string& out) {
  return blank_escapes_with<masks64_avx2>(raw, out);
}

bool blank_escapes(std::string_view raw, std::string& out) {
  switch (simd()) {
    case simd_level::avx2:
    case simd_level::avx512:
      return blank_escapes_avx2(raw, out);
    default:
      return blank_escapes_with<masks64_sse2>(raw, out);
  }
}

// Only called on offsets unescape_blocks() filled, so on a CPU with POPCNT.
__attribute__((target("popcnt"))) std::size_t block_cursor::raw(std::size_t decoded) noexcept {
  if (decoded >= b_.decoded_size) return b_.raw_size;
  // Every block keeps at least 32 bytes (a backslash is followed by the byte it escapes),
  // so the starts increase strictly and the decoded byte lies in the last block starting
  // at or before it.
  while (block_ + 1 < b_.decoded_start.size() && b_.decoded_start[block_ + 1] <= decoded)
    ++block_;
  // The k-th kept byte of the block: the least p with p = k + (backslashes before p),
  // found by iterating from p = k (backslashes are sparse: two or three steps), then one
  // further if p itself is a backslash (never two in a row).
  const std::size_t k = decoded - b_.decoded_start[block_];
  const uint64_t removed = b_.removed[block_];
  auto before = [removed](std::size_t p) {
    return static_cast<std::size_t>(__builtin_popcountll(removed & ((uint64_t{1} << p) - 1)));
  };
  std::size_t p = k;
  for (std::size_t next = k + before(p); next != p; next = k + before(p)) p = next;
  if ((removed >> p & 1u) != 0) ++p;
  std::size_t pos = block_ * 64 + p;
  // The byte after a removed backslash is an escape's decoded byte: the escape begins at the
  // backslash.
  const std::size_t prev = pos - 1;
  const bool escaped = pos > 0 && (b_.removed[prev / 64] >> (prev % 64) & 1u) != 0;
  return escaped ? prev : pos;
}
#else
bool unescape_blocks(std::string_view, std::string&, block_offsets&) { return false; }
bool blank_escapes(std::string_view, std::string&) { return false; }
std::size_t block_cursor::raw(std::size_t decoded) noexcept { return decoded; }  // never used
#endif

bool needs_escape(std::string_view s) noexcept {
  for (char c : s) {
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

void escape_append(std::string_view s, std::string& out) {
  static const char* hex = "0123456789abcdef";
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c != '"' && c != '\\' && c >= 0x20) continue;
    out.append(s.substr(run, i - run));
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 0xF];
    }
  }
  out.append(s.substr(run));
}

}  // namespace gh::aws_masker::json_text
