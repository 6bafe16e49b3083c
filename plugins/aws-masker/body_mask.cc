#include "body_mask.h"

#include <cctype>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "json_text.h"

namespace gh::aws_masker {
namespace {

using json_text::npos;

struct string_item {
  uint32_t begin;  // contents, between the quotes
  uint32_t end;
  bool escaped;
  bool skip = false;
  int context_type = -1;  // a type id when the member name says what the value is
};

struct frame {
  bool object;
  bool expect_key = true;
  bool base64 = false;
  int data_item = -1;
  std::string_view key;
};

int context_type_for(const mask_engine& engine, std::string_view key) {
  if (key.size() < 5 || key.size() > 40) return -1;
  char buf[40];
  std::size_t n = 0;
  for (char c : key) {
    if (std::isalnum(static_cast<unsigned char>(c)))
      buf[n++] = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  std::string_view k(buf, n);
  if (k == "secretaccesskey" || k == "awssecretaccesskey") return engine.type_id("SECRET_KEY");
  if (k == "sessiontoken" || k == "awssessiontoken" || k == "securitytoken" ||
      k == "awssecuritytoken") {
    return engine.type_id("SESSION_TOKEN");
  }
  if (k == "kmskeyid" || k == "keyid" || k == "targetkeyid") return engine.type_id("KMS_KEY");
  return -1;
}

// How many leading bytes of a decoded value its context type masks (0: none). A secret
// or token is the value's whole leading base64-like run, whatever follows it (a host or IP
// glued to it joins it as an overlapping match); a KMS key id is the whole value or none.
std::size_t context_value_length(const mask_engine& engine, int type, std::string_view v) {
  if (type == engine.type_id("SECRET_KEY") || type == engine.type_id("SESSION_TOKEN"))
    return secret_run(v);
  if (v.size() != 36) return 0;  // KMS key id: UUID or mrk-<32 hex>
  for (char c : v)
    if (!std::isxdigit(static_cast<unsigned char>(c)) && c != '-' && c != 'm' && c != 'r' &&
        c != 'k')
      return 0;
  return v.size();
}

// Whether `s` holds a backslash: asked once per match of an escaped string, so inline and
// 16 bytes at a time (the last block overlapping) rather than a library call per match.
bool holds_backslash(std::string_view s) noexcept {
#if defined(__SSE2__)
  if (s.size() >= 16) {
    const __m128i bs = _mm_set1_epi8('\\');
    auto block = [&](std::size_t at) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + at));
      return _mm_movemask_epi8(_mm_cmpeq_epi8(v, bs)) != 0;
    };
    for (std::size_t at = 0; at + 16 < s.size(); at += 16)
      if (block(at)) return true;
    return block(s.size() - 16);
  }
#endif
  for (char c : s)
    if (c == '\\') return true;
  return false;
}

bool walk(std::string_view t, const mask_engine& engine, std::vector<string_item>& items) {
  thread_local std::vector<frame> stack;
  stack.clear();
  std::size_t i = 0;
  bool seen_value = false;
  while (true) {
    i = json_text::skip_ws(t, i);
    if (i >= t.size()) break;
    char c = t[i];
    if (stack.empty() && seen_value) return false;  // trailing garbage
    switch (c) {
      case '{':
      case '[':
        if (stack.size() > 512) return false;
        stack.push_back(frame{c == '{', true, false, -1, {}});
        ++i;
        continue;
      case '}':
      case ']': {
        if (stack.empty() || stack.back().object != (c == '}')) return false;
        frame& f = stack.back();
        if (f.base64 && f.data_item >= 0) items[static_cast<std::size_t>(f.data_item)].skip = true;
        stack.pop_back();
        if (stack.empty()) seen_value = true;
        ++i;
        continue;
      }
      case ',':
        if (stack.empty()) return false;
        stack.back().expect_key = stack.back().object;
        ++i;
        continue;
      case ':':
        if (stack.empty() || !stack.back().object) return false;
        ++i;
        continue;
      case '"': {
        bool esc = false;
        std::size_t e = json_text::scan_string(t, i, esc);
        if (e == npos) return false;
        string_item item{static_cast<uint32_t>(i + 1), static_cast<uint32_t>(e - 1), esc};
        std::string_view raw = t.substr(i + 1, e - i - 2);
        if (!stack.empty() && stack.back().object && stack.back().expect_key) {
          stack.back().key = raw;
          stack.back().expect_key = false;
        } else if (!stack.empty() && stack.back().object) {
          frame& f = stack.back();
          if (f.key == "type" && raw == "base64") f.base64 = true;
          if (f.key == "data") f.data_item = static_cast<int>(items.size());
          item.context_type = context_type_for(engine, f.key);
        }
        if (stack.empty()) seen_value = true;
        items.push_back(item);
        i = e;
        continue;
      }
      default: {
        std::size_t e = json_text::skip_value(t, i);
        if (e == npos) return false;
        if (stack.empty()) seen_value = true;
        i = e;
      }
    }
  }
  return stack.empty() && seen_value;
}

}  // namespace

namespace {

enum class json_outcome { malformed, unchanged, masked };

// mask_json, and with `copy_unchanged` false, a text with nothing to mask is not copied
// (`unchanged`, `out` left as it was).
json_outcome mask_json_into(const mask_engine& engine, std::string_view in, mask_map& map,
                            std::string& out, mask_stats* stats, json_scan scan,
                            bool copy_unchanged) {
  constexpr auto malformed = json_outcome::malformed;
  if (in.size() >= UINT32_MAX) return malformed;
  // Per-thread buffers: a request on a worker reuses the previous request's capacity.
  // Fields of one width: a brace-initialised pending was assembled on the stack with 16-,
  // 2- and 1-byte stores and copied with a 4-byte load across the last two, which stalled
  // store forwarding on every match (~4 % of masking).
  struct pending {
    uint32_t raw_begin;
    uint32_t raw_end;
    uint32_t value_begin;  // in `values`, or in `in` when `decoded` is false
    uint32_t value_end;
    uint32_t type;
    uint32_t decoded;  // 0 or 1
  };
  struct buffers {
    std::vector<string_item> items;
    std::vector<pending> todo;
    std::vector<match> found;
    std::vector<match> extra;
    std::string decoded;
    std::string values;
    std::vector<json_text::escape_mark> offsets;
    json_text::block_offsets blocks;
  };
  thread_local buffers b;
  b.items.clear();
  if (!walk(in, engine, b.items)) return malformed;
  // Every match first, tokens after: a malformed escape must not leave tokens issued.
  b.todo.clear();
  b.values.clear();
  // A string with escapes is matched in place (json_text::blank_escapes: same positions,
  // no decoded copy, no offset mapping) unless it holds an escape other than \" \n \r \t
  // (\/ inside an ARN, \u: only decoding reads them right) or custom patterns take part;
  // then it is decoded and match positions are mapped back to raw offsets.
  const bool in_place_ok = !engine.has_custom_patterns();
  enum class outcome { done, malformed, decode };
  auto scan_item = [&](const string_item& it, bool in_place) {
    std::string_view raw = in.substr(it.begin, it.end - it.begin);
    std::string_view text = raw;
    bool by_blocks = false;  // offsets in b.blocks, else in b.offsets
    if (it.escaped && in_place && it.context_type < 0) {
      // The common case (pasted CLI output): blanked and scanned in one pass.
      if (!engine.find_in_place(raw, b.decoded, b.found)) return outcome::decode;
      text = std::string_view(b.decoded.data(), raw.size());
    } else {
      if (it.escaped && in_place) {
        if (!json_text::blank_escapes(raw, b.decoded)) return outcome::decode;
        text = b.decoded;
      } else if (it.escaped) {
        by_blocks = json_text::unescape_blocks(raw, b.decoded, b.blocks);
        if (!by_blocks && !json_text::unescape(raw, b.decoded, &b.offsets))
          return outcome::malformed;
        text = b.decoded;
      }
      b.extra.clear();
      if (it.context_type >= 0) {
        if (const std::size_t n = context_value_length(engine, it.context_type, text))
          b.extra.push_back(
              {0, static_cast<uint32_t>(n), static_cast<uint16_t>(it.context_type), 10});
      }
      engine.find(text, b.found, b.extra.empty() ? nullptr : &b.extra);
    }
    if (b.found.empty()) return outcome::done;
    const bool mapped = it.escaped && !in_place;
    if (it.escaped && in_place) {
      // In place, a match is its own raw bytes only if it holds no escape: no catalogue
      // match does (a backslash or blank ends every identifier), but should one, the
      // string is decoded instead of issuing a token for escaped text. The native
      // scanners' matches cannot (match::clean) and are not read again.
      for (const match& m : b.found) {
        if (m.clean == 0 && (raw[m.begin] != text[m.begin] ||
                             holds_backslash(raw.substr(m.begin, m.end - m.begin))))
          return outcome::decode;
      }
    }
    json_text::offset_cursor cursor(b.offsets);
    json_text::block_cursor block_cursor(b.blocks);
    auto to_raw = [&](std::size_t pos) {
      if (!mapped) return pos;
      return by_blocks ? block_cursor.raw(pos) : cursor.raw(pos);
    };
    for (const match& m : b.found) {
      const auto rb = static_cast<uint32_t>(it.begin + to_raw(m.begin));
      const auto re = static_cast<uint32_t>(it.begin + to_raw(m.end));
      if (!mapped) {  // the value is its own raw bytes: no copy
        b.todo.push_back({rb, re, rb, re, m.type, 0});
        continue;
      }
      auto vb = static_cast<uint32_t>(b.values.size());
      b.values.append(text.substr(m.begin, m.end - m.begin));
      b.todo.push_back({rb, re, vb, static_cast<uint32_t>(b.values.size()), m.type, 1});
    }
    return outcome::done;
  };
  for (const string_item& it : b.items) {
    if (it.skip || it.end == it.begin) continue;
    outcome o = scan_item(it, in_place_ok && scan == json_scan::in_place);
    if (o == outcome::decode) o = scan_item(it, false);
    if (o == outcome::malformed) return malformed;
  }
  const bool masked = !b.todo.empty();
  if (masked || copy_unchanged) {
    out.reserve(out.size() + in.size() + in.size() / 8);
    map.reserve(map.size() + b.todo.size());
    // The map's slot of each engine type, looked up on first use in this body.
    constexpr uint32_t kNoSlot = UINT32_MAX;
    thread_local std::vector<uint32_t> slot_of;
    slot_of.assign(engine.type_names().size(), kNoSlot);
    std::size_t pos = 0;  // copied up to here
    const std::string_view values = b.values;
    for (const pending& p : b.todo) {
      out.append(in.data() + pos, p.raw_begin - pos);
      uint32_t& slot = slot_of[p.type];
      if (slot == kNoSlot) slot = map.slot_of_type(engine.type_names()[p.type]);
      map.append_token(
          slot, (p.decoded ? values : in).substr(p.value_begin, p.value_end - p.value_begin), out);
      if (stats != nullptr) stats->add(static_cast<uint16_t>(p.type));
      pos = p.raw_end;
    }
    out.append(in.data() + pos, in.size() - pos);
  }
  // A huge body must not pin its size in every worker's buffers for the process lifetime.
  constexpr std::size_t kKeep = 1 << 20;
  if (b.decoded.capacity() > kKeep || b.values.capacity() > kKeep ||
      b.offsets.capacity() > kKeep / sizeof(json_text::escape_mark) ||
      b.blocks.removed.capacity() > kKeep / 64) {
    b = buffers{};
  }
  return masked ? json_outcome::masked : json_outcome::unchanged;
}

}  // namespace

bool mask_json(const mask_engine& engine, std::string_view in, mask_map& map, std::string& out,
               mask_stats* stats, json_scan scan) {
  return mask_json_into(engine, in, map, out, stats, scan, true) != json_outcome::malformed;
}

bool is_json_media_type(std::string_view ct) noexcept {
  std::size_t semi = ct.find(';');
  std::string_view base = ct.substr(0, semi);
  while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
  auto ends_with_ci = [&](std::string_view suffix) {
    if (base.size() < suffix.size()) return false;
    for (std::size_t i = 0; i < suffix.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(base[base.size() - suffix.size() + i])) !=
          suffix[i])
        return false;
    }
    return true;
  };
  return ends_with_ci("/json") || ends_with_ci("+json");
}

namespace {

// mask_body; with `copy_unchanged` false, true only when `out` received the masked text.
bool mask_body_into(const mask_engine& engine, std::string_view content_type, bool json_aware,
                    std::string_view in, mask_map& map, std::string& out, mask_stats* stats,
                    bool copy_unchanged) {
  if (json_aware && is_json_media_type(content_type)) {
    const std::size_t mark = out.size();
    switch (mask_json_into(engine, in, map, out, stats, json_scan::in_place, copy_unchanged)) {
      case json_outcome::masked:
        return true;
      case json_outcome::unchanged:
        return copy_unchanged;
      case json_outcome::malformed:
        out.resize(mark);
        break;
    }
  }
  return engine.mask(in, map, out, stats, nullptr, copy_unchanged) || copy_unchanged;
}

}  // namespace

void mask_body(const mask_engine& engine, std::string_view content_type, bool json_aware,
               std::string_view in, mask_map& map, std::string& out, mask_stats* stats) {
  mask_body_into(engine, content_type, json_aware, in, map, out, stats, true);
}

bool mask_body_if_needed(const mask_engine& engine, std::string_view content_type, bool json_aware,
                         std::string_view in, mask_map& map, std::string& out, mask_stats* stats) {
  return mask_body_into(engine, content_type, json_aware, in, map, out, stats, false);
}

}  // namespace gh::aws_masker
