#include "json_text.h"

#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
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

#if defined(__SSE2__)
// Bit k set where p[k] == '"' (quotes) or '\\' (backslashes), for 64 bytes at p.
struct block_masks {
  uint64_t quotes;
  uint64_t backslashes;
};
block_masks masks64(const char* p) noexcept {
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
#endif

}  // namespace

std::size_t skip_ws(std::string_view t, std::size_t pos) noexcept {
  while (pos < t.size() && (t[pos] == ' ' || t[pos] == '\n' || t[pos] == '\r' || t[pos] == '\t')) {
    ++pos;
  }
  return pos;
}

// Pasted CLI output makes strings dense with escapes (every quote and newline), so the
// closing quote is found 64 bytes at a time: bitmaps of quotes and backslashes, each
// backslash marking the next byte as escaped, without stopping at every escape.
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
  bool carry = false;  // the first byte of the block is escaped
  for (; i + 64 <= n; i += 64) {
    const block_masks m = masks64(p + i);
    uint64_t escaped = carry ? 1 : 0;
    uint64_t b = m.backslashes & ~escaped;
    carry = false;
    while (b != 0) {
      const unsigned k = static_cast<unsigned>(__builtin_ctzll(b));
      if (k == 63) {
        carry = true;
        break;
      }
      escaped |= uint64_t{1} << (k + 1);
      b &= ~((uint64_t{2} << (k + 1)) - 1);  // clears bits 0..k+1
    }
    if (const uint64_t q = m.quotes & ~escaped; q != 0) {
      const auto k = static_cast<unsigned>(__builtin_ctzll(q));
      if ((m.backslashes & ((uint64_t{1} << k) - 1)) != 0) has_escape = true;
      return i + k + 1;
    }
    if (m.backslashes != 0) has_escape = true;
  }
  if (carry) ++i;
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
  if (marks != nullptr) marks->clear();
  // Decoding never lengthens (\uXXXX is 6 bytes for at most 3, a surrogate pair 12 for 4),
  // so the output is written through a pointer into a buffer sized once; 16 spare bytes
  // let runs between escapes be copied a whole vector at a time.
  out.resize(raw.size() + 16);
  char* o = out.data();
  const char* p = raw.data();
  const std::size_t n = raw.size();
  std::size_t oi = 0;
  std::size_t i = 0;
  while (i < n) {
#if defined(__SSE2__)
    if (i + 16 <= n) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(o + oi), v);
      const int m = _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
      if (m == 0) {
        i += 16;
        oi += 16;
        continue;
      }
      const auto k = static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(m)));
      i += k;
      oi += k;
    }
#endif
    if (p[i] != '\\') {
      o[oi++] = p[i++];
      continue;
    }
    if (i + 1 >= n) return false;
    const char e = p[i + 1];
    i += 2;
    switch (e) {
      case '"':
        o[oi++] = '"';
        break;
      case '\\':
        o[oi++] = '\\';
        break;
      case '/':
        o[oi++] = '/';
        break;
      case 'b':
        o[oi++] = '\b';
        break;
      case 'f':
        o[oi++] = '\f';
        break;
      case 'n':
        o[oi++] = '\n';
        break;
      case 'r':
        o[oi++] = '\r';
        break;
      case 't':
        o[oi++] = '\t';
        break;
      case 'u': {
        unsigned cp = 0;
        if (!read_u16(raw, i, cp)) return false;
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= n && p[i] == '\\' && p[i + 1] == 'u') {
          unsigned lo = 0;
          if (read_u16(raw, i + 2, lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
          }
        }
        oi += put_utf8(cp, o + oi);  // a lone surrogate becomes WTF-8
        break;
      }
      default:
        return false;
    }
    if (marks != nullptr) marks->push_back({static_cast<uint32_t>(oi), static_cast<uint32_t>(i)});
  }
  out.resize(oi);
  return true;
}

std::size_t raw_offset(const std::vector<escape_mark>& marks, std::size_t decoded) noexcept {
  auto it = std::upper_bound(marks.begin(), marks.end(), decoded,
                             [](std::size_t d, const escape_mark& m) { return d < m.decoded_end; });
  if (it == marks.begin()) return decoded;
  --it;
  return it->raw_end + (decoded - it->decoded_end);
}

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
