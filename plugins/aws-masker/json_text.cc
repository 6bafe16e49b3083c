#include "json_text.h"

#include <algorithm>
#include <cstring>

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

void put_utf8(unsigned cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

std::size_t skip_ws(std::string_view t, std::size_t pos) noexcept {
  while (pos < t.size() && (t[pos] == ' ' || t[pos] == '\n' || t[pos] == '\r' || t[pos] == '\t')) {
    ++pos;
  }
  return pos;
}

std::size_t scan_string(std::string_view t, std::size_t pos, bool& has_escape) noexcept {
  has_escape = false;
  std::size_t i = pos + 1;
  const char* base = t.data();
  while (i < t.size()) {
    const void* q = std::memchr(base + i, '"', t.size() - i);
    if (q == nullptr) return npos;
    std::size_t qi = static_cast<std::size_t>(static_cast<const char*>(q) - base);
    std::size_t bs = 0;
    while (qi - bs > pos + 1 && t[qi - bs - 1] == '\\') ++bs;
    if (!has_escape && std::memchr(base + i, '\\', qi - i) != nullptr) has_escape = true;
    if (bs % 2 == 0) return qi + 1;
    i = qi + 1;
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
  out.clear();
  out.reserve(raw.size());
  if (marks != nullptr) marks->clear();
  std::size_t i = 0;
  while (i < raw.size()) {
    const void* bs = std::memchr(raw.data() + i, '\\', raw.size() - i);
    std::size_t j = bs == nullptr ? raw.size() : static_cast<std::size_t>(static_cast<const char*>(bs) - raw.data());
    out.append(raw.substr(i, j - i));
    i = j;
    if (i >= raw.size()) break;
    if (i + 1 >= raw.size()) return false;
    char e = raw[i + 1];
    i += 2;
    switch (e) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        unsigned cp = 0;
        if (!read_u16(raw, i, cp)) return false;
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= raw.size() && raw[i] == '\\' && raw[i + 1] == 'u') {
          unsigned lo = 0;
          if (read_u16(raw, i + 2, lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
          }
        }
        put_utf8(cp, out);  // a lone surrogate becomes WTF-8
        break;
      }
      default:
        return false;
    }
    if (marks != nullptr) marks->push_back({static_cast<uint32_t>(out.size()), static_cast<uint32_t>(i)});
  }
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
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 0xF];
    }
  }
  out.append(s.substr(run));
}

}  // namespace gh::aws_masker::json_text
