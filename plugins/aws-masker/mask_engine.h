// The masking engine: finds AWS identifiers in text and replaces them by tokens.
//
// Built once per config snapshot (the plugin's Config, the CLI): the default catalogue
// (catalogue.h) plus the user's custom patterns are compiled into ONE Vectorscan
// block-mode database, except the pure character-class patterns (resource IDs, accounts,
// IP addresses) that native_scan.h finds faster. Scanning yields raw matches; the catalogue's
// checks turn them into candidates; overlapping candidates are masked as one value typed by
// precedence — longest first, then the most specific type, then the leftmost — so a value
// inside a larger identifier is masked once, and two that overlap partly are masked together,
// never half. An allow-list and per-type switches apply last. The engine is immutable and
// shared by all workers; each thread keeps its own Vectorscan scratch.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "mask_map.h"
#include "native_scan.h"

struct hs_database;

namespace gh::aws_masker {

struct custom_pattern {
  std::string type;   // token type, [A-Z][A-Z0-9_]*
  std::string regex;  // Vectorscan (PCRE subset) syntax
};

struct engine_options {
  std::vector<custom_pattern> custom_patterns;
  std::vector<std::string> allow_list;      // exact values never masked
  std::vector<std::string> disabled_types;  // built-in (or custom) types switched off
};

struct match {
  uint32_t begin = 0;
  uint32_t end = 0;
  uint16_t type = 0;
  uint8_t specificity = 0;
  // 1: found by a pattern whose matches hold only [0-9A-Za-z_.:-] (native_scan.h's), so
  // in a string matched in place they are their own raw bytes (no escape inside).
  uint8_t clean = 0;
};

// Counters filled while masking: matches per type id, and how many were masked.
struct mask_stats {
  std::vector<uint32_t> per_type;
  uint64_t masked = 0;
  void add(uint16_t type) {
    if (per_type.size() <= type) per_type.resize(type + 1u, 0);
    ++per_type[type];
    ++masked;
  }
};

class mask_engine {
 public:
  // Compiles the catalogue and the custom patterns. Throws std::runtime_error naming the
  // offending pattern or type (config time only).
  explicit mask_engine(const engine_options& options);
  ~mask_engine();
  mask_engine(const mask_engine&) = delete;
  mask_engine& operator=(const mask_engine&) = delete;

  // The accepted matches in `text`, sorted by position, non-overlapping, allow-listed
  // values and disabled types removed. `extra` are candidates found by other means (JSON
  // member names) that take part in the overlap resolution.
  void find(std::string_view text, std::vector<match>& out,
            const std::vector<match>* extra = nullptr) const;

  // find() on the contents of a JSON string matched in place: the first raw.size() bytes
  // of `blanked` receive json_text::blank_escapes(raw) (native_scanner::scan_json_in_place)
  // and `out` the matches in them. False where blank_escapes fails (then decode instead).
  bool find_in_place(std::string_view raw, std::string& blanked, std::vector<match>& out) const;

  // Appends `text` to `out` with every match replaced by its token from `map`; returns
  // whether anything was. With `copy_unchanged` false, a text with no match is not
  // appended.
  bool mask(std::string_view text, mask_map& map, std::string& out, mask_stats* stats = nullptr,
            const std::vector<match>* extra = nullptr, bool copy_unchanged = true) const;

  // Whether user patterns take part: they may depend on exact bytes (a newline, a quote),
  // so JSON strings are then matched decoded only (body_mask.cc).
  bool has_custom_patterns() const noexcept { return has_custom_; }
  const std::vector<std::string>& type_names() const noexcept { return type_names_; }
  // -1 when unknown.
  int type_id(std::string_view name) const noexcept;
  // Every built-in type (the catalogue plus derived ones), for validation and docs.
  static std::vector<std::string> builtin_types();
  // Checks that `regex` compiles; returns an error message or "".
  static std::string check_regex(const std::string& regex);

  // Vectorscan's raw matches in `text` (catalogue and custom patterns), appended in no
  // particular order: the catalogue's found only around its anchors (below) or, with
  // `whole`, over the whole text. Both give the same matches; tests and the fuzz target
  // compare.
  void vectorscan_matches(std::string_view text, std::vector<raw_match>& out,
                          bool whole = false) const;

 private:
  struct compiled_pattern {
    uint16_t type;
    uint8_t specificity;
    uint8_t kind;  // check
    uint8_t clean;  // see match::clean
  };
  // Adds Vectorscan's raw matches to the native scanner's (in the thread's buffer), checks
  // them and resolves overlaps into `out`.
  void finish(std::string_view text, std::vector<match>& out,
              const std::vector<match>* extra) const;
  void resolve(std::string_view text, std::vector<match>& cands, std::vector<match>& out) const;
  uint16_t intern_type(const std::string& name);
  void free_databases() noexcept;

  uint16_t derived_id(std::string_view name) const noexcept;

  // The catalogue's Vectorscan patterns. Every match holds one of their anchors
  // (pattern_def::anchors), found first by `anchors_db_` (literals, Teddy-fast); each
  // match lies in the run of anchor_byte()s around its anchor, so only those runs are
  // scanned. On AWS output without ARNs, key names or AWS hostnames that is nothing,
  // against ~9 us per 43 KB for a whole-text scan.
  hs_database* db_ = nullptr;
  hs_database* anchors_db_ = nullptr;
  std::vector<uint8_t> anchor_spaced_;  // per anchor id: its pattern's matches are spaced
  // The custom patterns, scanned over the whole text (they may hold any byte).
  hs_database* custom_db_ = nullptr;
  native_scanner native_;
  std::vector<std::pair<std::string_view, uint16_t>> derived_ids_;
  uint64_t generation_ = 0;
  bool has_custom_ = false;
  std::vector<compiled_pattern> patterns_;
  std::vector<std::string> type_names_;
  std::unordered_map<std::string, uint16_t, string_hash, std::equal_to<>> type_ids_;
  std::vector<bool> disabled_;
  std::unordered_set<std::string, string_hash, std::equal_to<>> allow_;
};

}  // namespace gh::aws_masker
