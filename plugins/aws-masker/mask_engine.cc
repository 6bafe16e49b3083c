#include "mask_engine.h"

#include <hs/hs.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <initializer_list>
#include <stdexcept>

#include "catalogue.h"

namespace gh::aws_masker {
namespace {

std::atomic<uint64_t> next_generation{1};

// An anchor found in the text, and a run of text around anchors that Vectorscan scans.
struct anchor_hit {
  uint32_t end;  // one past the anchor's last byte
  unsigned id;
};

struct window {
  uint32_t begin;
  uint32_t end;
};

// One scratch per thread, grown to fit every database this thread has scanned with.
struct thread_scratch {
  hs_scratch_t* scratch = nullptr;
  std::vector<uint64_t> fitted;  // generations the scratch already fits
  std::vector<raw_match> raw;
  std::vector<anchor_hit> hits;
  std::vector<window> windows;
  std::vector<match> cands;
  std::vector<match> sorted;       // resolve(): cands in position order
  std::vector<uint32_t> block_at;  // resolve(): where each 64-byte block's candidates go
  ~thread_scratch() {
    if (scratch != nullptr) hs_free_scratch(scratch);
  }
  bool fit(std::initializer_list<const hs_database_t*> dbs, uint64_t gen) {
    if (std::find(fitted.begin(), fitted.end(), gen) != fitted.end()) return true;
    for (const hs_database_t* db : dbs) {
      if (db != nullptr && hs_alloc_scratch(db, &scratch) != HS_SUCCESS) return false;
    }
    if (fitted.size() > 64) fitted.clear();
    fitted.push_back(gen);
    return true;
  }
};

thread_local thread_scratch tls;

// Matches of a scan over text.substr(base).
struct match_sink {
  std::vector<raw_match>* out;
  uint32_t base;
};

int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned, void* ctx) {
  auto* sink = static_cast<match_sink*>(ctx);
  sink->out->push_back(
      {id, sink->base + static_cast<uint32_t>(from), sink->base + static_cast<uint32_t>(to)});
  return 0;
}

struct anchor_sink {
  std::vector<anchor_hit>* hits;
  std::size_t most;  // more hits than this: stop (the whole text is scanned instead)
};

int on_anchor(unsigned id, unsigned long long, unsigned long long to, unsigned, void* ctx) {
  auto* sink = static_cast<anchor_sink*>(ctx);
  sink->hits->push_back({static_cast<uint32_t>(to), id});
  return sink->hits->size() > sink->most ? 1 : 0;
}

// anchor_byte() as a table: bit 0 plain, bit 1 spaced.
const std::array<uint8_t, 256> kAnchorBytes = [] {
  std::array<uint8_t, 256> t{};
  for (unsigned c = 0; c < 256; ++c) {
    t[c] = static_cast<uint8_t>((anchor_byte(static_cast<unsigned char>(c), false) ? 1 : 0) |
                                (anchor_byte(static_cast<unsigned char>(c), true) ? 2 : 0));
  }
  return t;
}();

// One Vectorscan database; throws naming the failing expression.
hs_database_t* compile(const std::vector<std::string>& exprs, const std::vector<unsigned>& flags,
                       const std::vector<unsigned>& ids) {
  if (exprs.empty()) return nullptr;
  std::vector<const char*> cexprs;
  for (const auto& e : exprs) cexprs.push_back(e.c_str());
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile_multi(cexprs.data(), flags.data(), ids.data(), static_cast<unsigned>(ids.size()),
                       HS_MODE_BLOCK, nullptr, &db, &err) != HS_SUCCESS) {
    std::string msg = "aws-masker: pattern compilation failed";
    if (err != nullptr && err->message != nullptr) {
      msg += ": ";
      msg += err->message;
      if (err->expression >= 0)
        msg += " (" + exprs[static_cast<std::size_t>(err->expression)] + ")";
    }
    hs_free_compile_error(err);
    throw std::runtime_error(msg);
  }
  return db;
}

bool valid_type_name(std::string_view t) {
  if (t.empty() || t.size() > 40 || !(t[0] >= 'A' && t[0] <= 'Z')) return false;
  return std::all_of(t.begin(), t.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

std::vector<std::string> mask_engine::builtin_types() {
  std::vector<std::string> out;
  for (const auto& p : default_catalogue()) {
    if (std::find(out.begin(), out.end(), p.type) == out.end()) out.push_back(p.type);
  }
  for (const auto& d : derived_types()) out.push_back(d);
  return out;
}

std::string mask_engine::check_regex(const std::string& regex) {
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile(regex.c_str(), HS_FLAG_SOM_LEFTMOST, HS_MODE_BLOCK, nullptr, &db, &err) !=
      HS_SUCCESS) {
    std::string msg = err != nullptr && err->message != nullptr ? err->message : "invalid";
    hs_free_compile_error(err);
    return msg;
  }
  hs_free_database(db);
  return {};
}

uint16_t mask_engine::intern_type(const std::string& name) {
  auto it = type_ids_.find(name);
  if (it != type_ids_.end()) return it->second;
  auto id = static_cast<uint16_t>(type_names_.size());
  type_names_.push_back(name);
  type_ids_.emplace(name, id);
  return id;
}

mask_engine::mask_engine(const engine_options& options) : generation_(next_generation++) {
  struct expressions {
    std::vector<std::string> exprs;
    std::vector<unsigned> flags;
    std::vector<unsigned> ids;
    void add(std::string e, unsigned f, unsigned id) {
      exprs.push_back(std::move(e));
      flags.push_back(f);
      ids.push_back(id);
    }
  } catalogue, anchors, custom;
  for (const auto& p : default_catalogue()) {
    auto id = static_cast<unsigned>(patterns_.size());
    patterns_.push_back(
        {intern_type(p.type), static_cast<uint8_t>(p.specificity), static_cast<uint8_t>(p.kind),
         static_cast<uint8_t>(p.scan != scanner::vectorscan)});
    if (p.scan != scanner::vectorscan) {
      native_.add(id, p);
      continue;
    }
    if (p.anchors.empty()) throw std::logic_error("aws-masker: no anchors for " + p.regex);
    catalogue.add(p.regex, p.hs_flags | HS_FLAG_SOM_LEFTMOST, id);
    for (const auto& a : p.anchors) {
      // Hyperscan literals: escape everything but letters and digits.
      std::string lit;
      for (char c : a) {
        if (!std::isalnum(static_cast<unsigned char>(c))) lit += '\\';
        lit += c;
      }
      // One literal per text; found caseless if any of its patterns is caseless.
      std::size_t k = 0;
      while (k < anchors.exprs.size() && anchors.exprs[k] != lit) ++k;
      if (k == anchors.exprs.size()) {
        anchors.add(lit, 0, static_cast<unsigned>(k));
        anchor_spaced_.push_back(0);
      }
      anchors.flags[k] |= p.hs_flags & HS_FLAG_CASELESS;
      anchor_spaced_[k] |= p.spaced ? 1 : 0;
    }
  }
  for (const auto& d : derived_types()) derived_ids_.emplace_back(d, intern_type(d));
  has_custom_ = !options.custom_patterns.empty();
  for (const auto& c : options.custom_patterns) {
    if (!valid_type_name(c.type)) {
      throw std::runtime_error("custom_patterns: invalid type '" + c.type + "'");
    }
    if (std::string e = check_regex(c.regex); !e.empty()) {
      throw std::runtime_error("custom_patterns: pattern for " + c.type + ": " + e);
    }
    custom.add(c.regex, HS_FLAG_SOM_LEFTMOST, static_cast<unsigned>(patterns_.size()));
    patterns_.push_back({intern_type(c.type), 9, static_cast<uint8_t>(check::none), 0});
  }
  disabled_.assign(type_names_.size(), false);
  for (const auto& d : options.disabled_types) {
    int id = type_id(d);
    if (id < 0) throw std::runtime_error("disabled_types: unknown type '" + d + "'");
    disabled_[static_cast<std::size_t>(id)] = true;
  }
  for (const auto& a : options.allow_list) allow_.insert(a);

  db_ = compile(catalogue.exprs, catalogue.flags, catalogue.ids);
  try {
    anchors_db_ = compile(anchors.exprs, anchors.flags, anchors.ids);
    custom_db_ = compile(custom.exprs, custom.flags, custom.ids);
  } catch (...) {
    free_databases();
    throw;
  }
}

void mask_engine::free_databases() noexcept {
  for (hs_database* db : {db_, anchors_db_, custom_db_}) {
    if (db != nullptr) hs_free_database(db);
  }
  db_ = anchors_db_ = custom_db_ = nullptr;
}

mask_engine::~mask_engine() { free_databases(); }

uint16_t mask_engine::derived_id(std::string_view name) const noexcept {
  for (const auto& [n, id] : derived_ids_) {
    if (n == name) return id;
  }
  return static_cast<uint16_t>(type_id(name));
}

int mask_engine::type_id(std::string_view name) const noexcept {
  auto it = type_ids_.find(name);
  return it == type_ids_.end() ? -1 : it->second;
}

void mask_engine::find(std::string_view text, std::vector<match>& out,
                       const std::vector<match>* extra) const {
  tls.raw.clear();
  native_.scan(text, tls.raw);
  finish(text, out, extra);
}

bool mask_engine::find_in_place(std::string_view raw, std::string& blanked,
                                std::vector<match>& out) const {
  tls.raw.clear();
  if (!native_.scan_json_in_place(raw, blanked, tls.raw)) return false;
  finish(std::string_view(blanked.data(), raw.size()), out, nullptr);
  return true;
}

void mask_engine::finish(std::string_view text, std::vector<match>& out,
                         const std::vector<match>* extra) const {
  out.clear();
  auto& raw = tls.raw;
  auto& cands = tls.cands;
  cands.clear();
  const auto keep = [&](const match& m) { return m.end > m.begin && !disabled_[m.type]; };
  if (extra != nullptr) {
    for (const match& m : *extra)
      if (keep(m)) cands.push_back(m);
  }
  vectorscan_matches(text, raw);
  check_result r;
  for (const raw_match& m : raw) {
    const compiled_pattern& p = patterns_[m.id];
    match c{m.from, m.to, p.type, p.specificity, p.clean};
    if (!m.checked) {
      if (!apply_check(static_cast<check>(p.kind), text, m.from, m.to, r)) continue;
      if (!r.derived_type.empty()) c.type = derived_id(r.derived_type);
      c.begin = static_cast<uint32_t>(r.from);
      c.end = static_cast<uint32_t>(r.to);
    }
    if (keep(c)) cands.push_back(c);
  }
  resolve(text, cands, out);
}

void mask_engine::vectorscan_matches(std::string_view text, std::vector<raw_match>& out,
                                     bool whole) const {
  if (text.empty() || text.size() >= UINT32_MAX ||
      !tls.fit({db_, anchors_db_, custom_db_}, generation_))
    return;
  const auto n = static_cast<uint32_t>(text.size());
  auto scan = [&](const hs_database_t* db, uint32_t begin, uint32_t end) {
    match_sink sink{&out, begin};
    hs_scan(db, text.data() + begin, end - begin, 0, tls.scratch, on_match, &sink);
  };
  if (custom_db_ != nullptr) scan(custom_db_, 0, n);
  if (db_ == nullptr) return;
  if (whole || anchors_db_ == nullptr) return scan(db_, 0, n);
  auto& hits = tls.hits;
  hits.clear();
  // Past one anchor per 1 KB (plus 16) the anchor scan stops and the whole text is
  // scanned instead: such text nearly always has more windows than is worth scanning one
  // by one (below), stopping early saves the rest of the anchor scan, and the hits kept
  // stay few whatever the text.
  anchor_sink sink{&hits, n / 1024 + 16};
  if (hs_scan(anchors_db_, text.data(), n, 0, tls.scratch, on_anchor, &sink) == HS_SCAN_TERMINATED)
    return scan(db_, 0, n);
  if (hits.empty()) return;
  const auto by_end = [](const anchor_hit& x, const anchor_hit& y) { return x.end < y.end; };
  if (!std::is_sorted(hits.begin(), hits.end(), by_end))
    std::sort(hits.begin(), hits.end(), by_end);
  // The run of anchor bytes around each anchor (plain or spaced, as its pattern's matches
  // are). A plain run inside a spaced one is the spaced one's part; hits in a run already
  // built are skipped, so each byte is read a bounded number of times.
  auto& windows = tls.windows;
  windows.clear();
  const auto* b = reinterpret_cast<const unsigned char*>(text.data());
  // A Vectorscan call costs about what scanning ~1 KB does, whatever its length (its
  // state is set up per call): where windows are denser than one per 2 KB, one scan of
  // the whole text is cheaper (measured on 51 KB of output with a host name, an ARN and
  // an AIPA ID per instance: 120 windows took 1.6 times a whole-text scan).
  const std::size_t most_windows = n / 2048;
  uint32_t plain_end = 0, spaced_end = 0;
  for (const anchor_hit& h : hits) {
    const uint32_t at = h.end - 1;
    const uint8_t kind = anchor_spaced_[h.id] != 0 ? 2 : 1;
    if (at < spaced_end || (kind == 1 && at < plain_end)) continue;
    uint32_t begin = at, end = at + 1;
    while (begin > 0 && (kAnchorBytes[b[begin - 1]] & kind) != 0) --begin;
    while (end < n && (kAnchorBytes[b[end]] & kind) != 0) ++end;
    windows.push_back({begin, end});
    if (windows.size() > most_windows) return scan(db_, 0, n);
    (kind == 2 ? spaced_end : plain_end) = end;
  }
  // Windows closer than 1 KB are scanned as one: a run of text from a window's start to a
  // window's end holds no match but the windows' own.
  constexpr uint32_t kJoinGap = 1024;
  std::sort(windows.begin(), windows.end(),
            [](const window& a, const window& b) { return a.begin < b.begin; });
  window cur = windows.front();
  for (const window& w : windows) {
    if (w.begin < cur.end + kJoinGap) {
      cur.end = std::max(cur.end, w.end);
      continue;
    }
    scan(db_, cur.begin, cur.end);
    cur = w;
  }
  scan(db_, cur.begin, cur.end);
}

void mask_engine::resolve(std::string_view text, std::vector<match>& cands,
                          std::vector<match>& out) const {
  auto by_position = [](const match& a, const match& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
  };
  // Position order. The candidates arrive as a few runs, each in order (one per scanner),
  // interleaved along the text: merging them chose the next among the runs per candidate,
  // a branch mispredicted about every other time (8 % of masking). A counting sort by
  // 64-byte block puts them in order in two branch-free passes; the few in one block are
  // then ordered by an insertion pass that rarely moves anything. Sparse candidates (few
  // per block of a long text) are sorted instead.
  const std::vector<match>* ordered = &cands;
  if (!std::is_sorted(cands.begin(), cands.end(), by_position)) {
    const std::size_t blocks = text.size() / 64 + 1;
    if (cands.size() * 4 < blocks) {
      std::stable_sort(cands.begin(), cands.end(), by_position);
    } else {
      std::vector<uint32_t>& at = tls.block_at;
      std::vector<match>& sorted = tls.sorted;
      at.assign(blocks + 1, 0);
      for (const match& m : cands) ++at[(m.begin >> 6) + 1];
      for (std::size_t b = 1; b <= blocks; ++b) at[b] += at[b - 1];
      sorted.resize(cands.size());
      for (const match& m : cands) sorted[at[m.begin >> 6]++] = m;
      for (std::size_t i = 1; i < sorted.size(); ++i) {
        const match m = sorted[i];
        std::size_t j = i;
        for (; j > 0 && by_position(m, sorted[j - 1]); --j) sorted[j] = sorted[j - 1];
        sorted[j] = m;
      }
      ordered = &sorted;
    }
  }
  // Precedence among overlapping candidates: longest, then most specific, then leftmost.
  // Only candidates overlapping each other (a cluster) compete, so each cluster is
  // resolved on its own and a lone candidate is taken as is. A cluster is masked whole, as
  // one value typed by its winner: where candidates are nested that whole is the outer
  // one, and where two overlap partly, dropping the loser would leave its other part in
  // clear (a secret's prefix before a longer hostname).
  auto precedes = [](const match& a, const match& b) {
    uint32_t la = a.end - a.begin, lb = b.end - b.begin;
    if (la != lb) return la > lb;
    if (a.specificity != b.specificity) return a.specificity > b.specificity;
    return a.begin < b.begin;
  };
  auto flush = [&](const match& whole) {
    if (allow_.empty() || !allow_.contains(text.substr(whole.begin, whole.end - whole.begin)))
      out.push_back(whole);
  };
  if (ordered->empty()) return;
  const match* first = ordered->data();
  uint32_t begin = first->begin, reach = first->end;
  const match* winner = first;
  uint8_t clean = first->clean;
  for (const match* c = first + 1; c != ordered->data() + ordered->size(); ++c) {
    if (c->begin < reach) {
      reach = std::max(reach, c->end);
      if (precedes(*c, *winner)) winner = c;
      clean &= c->clean;
      continue;
    }
    flush({begin, reach, winner->type, winner->specificity, clean});
    begin = c->begin;
    reach = c->end;
    winner = c;
    clean = c->clean;
  }
  flush({begin, reach, winner->type, winner->specificity, clean});
}

bool mask_engine::mask(std::string_view text, mask_map& map, std::string& out, mask_stats* stats,
                       const std::vector<match>* extra, bool copy_unchanged) const {
  thread_local std::vector<match> found;
  find(text, found, extra);
  if (found.empty() && !copy_unchanged) return false;
  std::size_t pos = 0;
  for (const match& m : found) {
    out.append(text.substr(pos, m.begin - pos));
    map.append_token(map.slot_of_type(type_names_[m.type]), text.substr(m.begin, m.end - m.begin),
                     out);
    if (stats != nullptr) stats->add(m.type);
    pos = m.end;
  }
  out.append(text.substr(pos));
  return !found.empty();
}

}  // namespace gh::aws_masker
