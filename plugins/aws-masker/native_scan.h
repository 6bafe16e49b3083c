// The raw-match finder for the catalogue patterns that are pure character classes.
//
// Resource IDs ("vpc-" + 17 hex), 12-digit account IDs, IPv4/IPv6 addresses and the
// upper-case IDs (Route 53 zones, CloudFront distributions) are cheap
// for a person to spot and expensive for an automaton: their classes ([0-9a-f], \d) occur
// on most bytes of AWS output, so Vectorscan walks them state by state (measured: ~190 of
// ~210 microseconds per 50 KB). native_scanner finds, in one pass with memchr and a SIMD
// digit bitmap, every raw match of those patterns that the pattern's check (catalogue.h)
// could accept — the same set Vectorscan would have produced after the check, which the
// unit tests compare on random and adversarial text. The mask engine merges its output
// with Vectorscan's. Immutable once built; scan() uses thread-local buffers.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "catalogue.h"

namespace gh::aws_masker {

struct raw_match {
  unsigned id;  // index of the pattern in the engine
  uint32_t from;
  uint32_t to;
  // The scanner already applied the pattern's whole check (resource IDs: the bitmaps test
  // exactly what check::resource_id tests), so the engine takes the match as it is.
  bool checked = false;
};

class native_scanner {
 public:
  // Registers catalogue pattern `id` (a non-vectorscan scanner kind). Throws
  // std::logic_error for an upper_id regex not of the shape the scanner implements.
  void add(unsigned id, const pattern_def& p);
  bool empty() const noexcept {
    return prefixes_.empty() && account_ < 0 && ipv4_ < 0 && ipv6_ < 0 && ip_anchor_ < 0 &&
           uppers_.empty();
  }
  // Appends the raw matches in `text` (any order).
  void scan(std::string_view text, std::vector<raw_match>& out) const;
  // For the contents of a JSON string matched in place: the first raw.size() bytes of
  // `blanked` receive json_text::blank_escapes(raw), and the raw matches in them are
  // appended, the copy and the scanners' bitmaps made in one pass. `blanked` is grown,
  // never shrunk (a reused buffer resized to each string would be zero-filled again each
  // time). False (nothing appended, `blanked` unspecified) where blank_escapes fails.
  bool scan_json_in_place(std::string_view raw, std::string& blanked,
                          std::vector<raw_match>& out) const;

 private:
  struct prefix {
    std::string literal;
    unsigned id;
    // The literal as the little-endian words of the 8 bytes just before a dash (near) and
    // the 8 before those (far), with masks of the bytes it covers (see make_prefix).
    uint64_t near = 0, near_mask = 0, far = 0, far_mask = 0;
  };
  static prefix make_prefix(std::string_view literal, unsigned id);
  // The leading letters of the upper-case IDs ('\0': none).
  char lead1() const noexcept { return uppers_.empty() ? '\0' : uppers_.front().letter; }
  char lead2() const noexcept { return uppers_.empty() ? '\0' : uppers_.back().letter; }
  // The scanners, on the bitmaps already built for `text`.
  void scan_bits(std::string_view text, std::vector<raw_match>& out) const;
  // Resource IDs and the "ip-" anchor: both start at a dash.
  void scan_dashes(std::string_view t, std::vector<raw_match>& out) const;
  void scan_digit_runs(std::string_view t, std::vector<raw_match>& out) const;
  void scan_ipv6(std::string_view t, std::vector<raw_match>& out) const;
  void scan_upper_ids(std::string_view t, std::vector<raw_match>& out) const;

  std::vector<prefix> prefixes_;
  // Indexes into prefixes_ by the literal's last byte (the byte before the dash).
  std::array<std::vector<uint16_t>, 256> by_last_;
  long account_ = -1;
  long ipv4_ = -1;
  long ipv6_ = -1;
  long ip_anchor_ = -1;
  // L[0-9A-Z]{min,max}: at most two leading letters, matched by the text bitmaps.
  struct upper {
    char letter;
    std::size_t min_tail;
    std::size_t max_tail;
    unsigned id;
  };
  static upper parse_upper_id(std::string_view regex, unsigned id);
  std::vector<upper> uppers_;
};

}  // namespace gh::aws_masker
