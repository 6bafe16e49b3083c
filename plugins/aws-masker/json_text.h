// Minimal JSON text scanning for aws-masker: find strings and members without building a
// document, decode a string's escapes (remembering where each decoded byte came from),
// and escape text back. Lets the masker rewrite string contents in place and keep every
// other byte of a request as it was, and lets the SSE restorer edit one field of a
// `data:` line. Never throws; malformed input is reported by return values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gh::aws_masker::json_text {

constexpr std::size_t npos = std::string_view::npos;

// The bytes of a 64-byte block escaped by a backslash, from the block's backslash bitmap:
// runs of backslashes that start on an odd bit are told apart from those on an even bit
// by one carrying addition (the method of simdjson's string scanner), without a branch
// per backslash. `carry` is 1 when the block's first byte is escaped, and is updated for
// the next block.
[[gnu::always_inline]] inline uint64_t escaped_bytes(uint64_t backslashes,
                                                     uint64_t& carry) noexcept {
  constexpr uint64_t even_bits = 0x5555555555555555ULL;
  const uint64_t backslash = backslashes & ~carry;
  const uint64_t follows_escape = (backslash << 1) | carry;
  const uint64_t odd_starts = backslash & ~even_bits & ~follows_escape;
  unsigned long long even_starts = 0;
  carry = __builtin_uaddll_overflow(odd_starts, backslash, &even_starts) ? 1 : 0;
  return (even_bits ^ (uint64_t{even_starts} << 1)) & follows_escape;
}

// The blanking of one 64-byte block of blank_escapes(), after `in` (the block, zeros after
// the string's end) was copied to `out`: each escape in `escaped` (escaped_bytes() without
// the quotes: \" stays) is written as two blanks, its backslash maybe the last byte of the
// block before. False when an escaped byte is not n, r or t (a backslash ending the string
// escapes one of the zeros, and fails here). Shared by blank_escapes and the masker's
// fused pass (native_scan.cc), so both blank by the same rule; the fused pass's AVX-512
// form applies it a block at a time with vector compares (blank_copy_avx512).
[[gnu::always_inline]] inline bool blank_block(const char* in, uint64_t escaped,
                                               char* out) noexcept {
  for (uint64_t e = escaped; e != 0; e &= e - 1) {
    const auto k = static_cast<std::size_t>(__builtin_ctzll(e));
    if (in[k] != 'n' && in[k] != 'r' && in[k] != 't') return false;
    out[k] = ' ';
    out[static_cast<std::ptrdiff_t>(k) - 1] = ' ';
  }
  return true;
}

std::size_t skip_ws(std::string_view t, std::size_t pos) noexcept;
// `pos` is at an opening quote; returns the index after the closing quote (npos when
// unterminated) and whether the string holds a backslash.
std::size_t scan_string(std::string_view t, std::size_t pos, bool& has_escape) noexcept;
// Skips one value (string, number, literal, object, array) starting at `pos` (no
// leading whitespace); returns the index after it, npos on malformed input.
std::size_t skip_value(std::string_view t, std::size_t pos) noexcept;
// In the object starting at `pos` ('{'), finds member `key` (an unescaped name) and
// returns its value's [begin, end); false when absent or malformed.
bool find_member(std::string_view t, std::size_t pos, std::string_view key, std::size_t& begin,
                 std::size_t& end) noexcept;

// Where one escape sequence ended, in decoded and in raw bytes.
struct escape_mark {
  // No zeroing when a vector of marks is resized: unescape sizes it for the worst case
  // and writes only the marks it needs.
  escape_mark() noexcept {}  // NOLINT(modernize-use-equals-default)
  escape_mark(uint32_t decoded, uint32_t raw) noexcept : decoded_end(decoded), raw_end(raw) {}
  uint32_t decoded_end;
  uint32_t raw_end;
};
// Decodes the contents of a JSON string (between the quotes). When `marks` is given, it
// receives one entry per escape so raw_offset() can map decoded positions back. False on
// a malformed escape.
bool unescape(std::string_view raw, std::string& out, std::vector<escape_mark>* marks = nullptr);
// The raw offset of decoded position `decoded` (not inside a multi-byte \u sequence).
std::size_t raw_offset(const std::vector<escape_mark>& marks, std::size_t decoded) noexcept;
// raw_offset for positions visited in increasing order (the sorted matches of one
// string): amortized O(1) instead of a binary search per position.
class offset_cursor {
 public:
  explicit offset_cursor(const std::vector<escape_mark>& marks) noexcept : marks_(marks) {}
  std::size_t raw(std::size_t decoded) noexcept {
    // Galloping: a string of pasted CLI output holds thousands of escapes between a few
    // hundred matches, so the next mark is found in log steps rather than one by one.
    std::size_t step = 1;
    while (next_ + step <= marks_.size() && marks_[next_ + step - 1].decoded_end <= decoded) {
      next_ += step;
      step *= 2;
    }
    for (; step > 1; step /= 2) {
      const std::size_t half = step / 2;
      if (next_ + half <= marks_.size() && marks_[next_ + half - 1].decoded_end <= decoded)
        next_ += half;
    }
    if (next_ == 0) return decoded;
    const escape_mark& m = marks_[next_ - 1];
    return m.raw_end + (decoded - m.decoded_end);
  }

 private:
  const std::vector<escape_mark>& marks_;
  std::size_t next_ = 0;
};
// The vector path for long strings whose escapes are all one-character ones (pasted CLI
// output: \" and \n every few bytes): each 64-byte block is decoded by removing its escape
// backslashes with a byte shuffle, and the offsets are kept per block (the decoded offset
// at its start, the bitmap of its backslashes) instead of one mark per escape. False, with
// `out` and `blocks` unspecified, when the string is shorter than a block, holds a \u or
// malformed escape, or the CPU lacks SSSE3: then unescape() does the work.
struct block_offsets {
  std::vector<uint32_t> decoded_start;
  std::vector<uint64_t> removed;  // the escape backslashes of each block
  std::size_t raw_size = 0;
  std::size_t decoded_size = 0;
};
bool unescape_blocks(std::string_view raw, std::string& out, block_offsets& blocks);
// raw_offset for block_offsets, positions visited in increasing order. A position on a
// decoded escape maps to its backslash, as with the marks.
class block_cursor {
 public:
  explicit block_cursor(const block_offsets& b) noexcept : b_(b) {}
  std::size_t raw(std::size_t decoded) noexcept;

 private:
  const block_offsets& b_;
  std::size_t block_ = 0;
};
// The in-place alternative to decoding, for matching: `out` gets the contents of a JSON
// string (between the quotes) byte for byte, except that each \n, \r and \t escape is
// written as two spaces, so every position in `out` is the same position in `raw` (no
// offset mapping) and the escaped letter cannot glue a word byte to what follows ("\ni-..."
// reads as whitespace before "i-..."). \" is kept as it is: a backslash is never part of
// an identifier, and the catalogue's key patterns accept \" (text pasted from JSON).
// False (`out` unspecified) when the string holds another escape (\/, \u, \b, \f, and
// \\, whose decoded backslash those key patterns would take as an escape) or a malformed
// one, or the CPU lacks SSE2: then the caller decodes it.
bool blank_escapes(std::string_view raw, std::string& out);
// Appends `s` escaped for the inside of a JSON string.
void escape_append(std::string_view s, std::string& out);
bool needs_escape(std::string_view s) noexcept;

}  // namespace gh::aws_masker::json_text
