#include "restorer.h"

#include <algorithm>
#include <cstring>

#include "json_text.h"

namespace gh::aws_masker {
namespace {

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_token_char(char c) noexcept { return (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_'; }

// Index after the blank line that ends the event starting at `from`, or npos.
std::size_t event_end(std::string_view t, std::size_t from) noexcept {
  for (std::size_t i = t.find('\n', from); i != std::string_view::npos; i = t.find('\n', i + 1)) {
    if (i + 1 < t.size() && t[i + 1] == '\n') return i + 2;
    if (i + 2 < t.size() && t[i + 1] == '\r' && t[i + 2] == '\n') return i + 3;
  }
  return std::string_view::npos;
}

bool string_value(std::string_view json, std::size_t obj, std::string_view key, std::size_t& b,
                  std::size_t& e) {
  if (!json_text::find_member(json, obj, key, b, e)) return false;
  return e - b >= 2 && json[b] == '"';
}

}  // namespace

std::size_t stream_restorer::process(std::string_view t, bool final, std::string& out) const {
  if (map_ == nullptr || map_->empty()) {
    out.append(t);
    return t.size();
  }
  const std::size_t max_len = map_->max_token_length();
  std::size_t copied = 0;
  std::size_t p = 0;
  while (p < t.size()) {
    const void* a = std::memchr(t.data() + p, 'A', t.size() - p);
    if (a == nullptr) break;
    std::size_t s = static_cast<std::size_t>(static_cast<const char*>(a) - t.data());
    std::size_t avail = t.size() - s;
    if (avail < 4) {
      // Too short for a token. A later 'A' may still begin one ("AAW" + "S_EC2_001"), so
      // the tail is held from the first 'A' that starts a prefix of "AWS_", not given up.
      if (final) break;
      if (std::string_view("AWS_").starts_with(t.substr(s))) {
        out.append(t.substr(copied, s - copied));
        return s;
      }
      p = s + 1;
      continue;
    }
    if (std::memcmp(t.data() + s, "AWS_", 4) != 0) {
      p = s + 1;
      continue;
    }
    std::size_t e = s + 4;
    while (e < t.size() && is_token_char(t[e])) ++e;
    if (e == t.size() && !final && e - s <= max_len) {
      out.append(t.substr(copied, s - copied));
      return s;
    }
    std::size_t lim = std::min(e, s + max_len);
    bool restored = false;
    for (std::size_t q = lim; q > s + 4 && !restored; --q) {
      if (!is_digit(t[q - 1]) || (q < t.size() && is_digit(t[q]))) continue;
      const std::optional<std::string_view> v = map_->value_of(t.substr(s, q - s));
      if (!v) continue;
      out.append(t.substr(copied, s - copied));
      if (escape_ == restore_escape::json) {
        json_text::escape_append(*v, out);
      } else {
        out += *v;
      }
      copied = p = q;
      restored = true;
    }
    if (!restored) p = s + 1;
  }
  out.append(t.substr(copied));
  return t.size();
}

void stream_restorer::feed(std::string_view in, std::string& out) {
  if (held_.empty()) {
    std::size_t n = process(in, false, out);
    held_.assign(in.substr(n));
    return;
  }
  held_.append(in);
  std::string buf = std::move(held_);
  std::size_t n = process(buf, false, out);
  held_.assign(std::string_view(buf).substr(n));
}

void stream_restorer::finish(std::string& out) {
  process(held_, true, out);
  held_.clear();
}

void stream_restorer::restore_all(const mask_map& map, restore_escape escape, std::string_view in,
                                  std::string& out) {
  stream_restorer r(&map, escape);
  r.process(in, true, out);
}

void sse_restorer::feed(std::string_view in, std::string& out) {
  if (raw_mode_) {
    raw_.feed(in, out);
    return;
  }
  pending_.append(in);
  std::string_view t = pending_;
  std::size_t done = 0;
  // Search for the end of the event from just before the new bytes.
  std::size_t from = pending_.size() - in.size();
  from = from >= 2 ? from - 2 : 0;
  for (std::size_t e = event_end(t, std::max(done, from)); e != std::string_view::npos;
       e = event_end(t, done)) {
    on_event(t.substr(done, e - done), out);
    done = e;
  }
  pending_.erase(0, done);
  if (pending_.size() > max_event_) {
    for (auto& [index, b] : blocks_) flush_block(index, b, out);
    blocks_.clear();
    raw_mode_ = true;
    std::string rest = std::move(pending_);
    pending_.clear();
    raw_.feed(rest, out);
  }
}

void sse_restorer::finish(std::string& out) {
  if (raw_mode_) {
    raw_.finish(out);
    return;
  }
  if (!pending_.empty()) on_event(pending_, out);
  pending_.clear();
  for (auto& [index, b] : blocks_) flush_block(index, b, out);
  blocks_.clear();
}

void sse_restorer::flush_block(int index, block_state& b, std::string& out) {
  restored_.clear();
  b.restorer.finish(restored_);
  if (restored_.empty()) return;
  out += "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":";
  out += std::to_string(index);
  out += ",\"delta\":{\"type\":\"";
  out += b.delta_type;
  out += "\",\"";
  out += b.field;
  out += "\":\"";
  json_text::escape_append(restored_, out);
  out += "\"}}\n\n";
}

// The fields of one content_block_delta event that the restorer rewrites.
struct sse_delta {
  int index = -1;
  std::string_view delta_type;
  std::string_view field;
  std::size_t field_begin = 0;  // the field's string, quotes included
  std::size_t field_end = 0;
};

namespace {

std::string_view field_for(std::string_view delta_type) {
  return delta_type == "text_delta"         ? "text"
         : delta_type == "thinking_delta"   ? "thinking"
         : delta_type == "input_json_delta" ? "partial_json"
                                            : "";
}

bool expect(std::string_view json, std::size_t& k, std::string_view lit) {
  if (json.substr(k, lit.size()) != lit) return false;
  k += lit.size();
  return true;
}

// The exact serialisation the Messages API sends,
// {"type":"content_block_delta","index":N,"delta":{"type":"X_delta","F":"..."}}, read
// with a few compares; anything else goes through the generic member search.
bool fast_delta(std::string_view json, sse_delta& d) {
  std::size_t k = 0;
  if (!expect(json, k, R"({"type":"content_block_delta","index":)")) return false;
  std::size_t digits = k;
  int index = 0;
  while (k < json.size() && is_digit(json[k]) && k - digits < 7)
    index = index * 10 + (json[k++] - '0');
  if (k == digits || !expect(json, k, R"(,"delta":{"type":")")) return false;
  std::size_t q = json.find('"', k);
  if (q == std::string_view::npos) return false;
  d.delta_type = json.substr(k, q - k);
  d.field = field_for(d.delta_type);
  k = q;
  if (d.field.empty() || !expect(json, k, R"(",")") || !expect(json, k, d.field) ||
      !expect(json, k, R"(":)")) {
    return false;
  }
  bool esc = false;
  if (k >= json.size() || json[k] != '"') return false;
  std::size_t e = json_text::scan_string(json, k, esc);
  if (e == json_text::npos) return false;
  d.index = index;
  d.field_begin = k;
  d.field_end = e;
  return true;
}

}  // namespace

void sse_restorer::on_event(std::string_view ev, std::string& out) {
  std::size_t d = ev.starts_with("data:") ? 0 : ev.find("\ndata:");
  if (d == std::string_view::npos) {
    out.append(ev);
    return;
  }
  if (d != 0) ++d;
  std::size_t json_begin = d + 5;
  if (json_begin < ev.size() && ev[json_begin] == ' ') ++json_begin;
  std::size_t line_end = ev.find('\n', json_begin);
  std::string_view json = ev.substr(json_begin, line_end - json_begin);
  if (!json.empty() && json.back() == '\r') json.remove_suffix(1);
  sse_delta df;
  if (!fast_delta(json, df) && !generic_delta(json, out, ev, df)) return;
  std::string_view raw = json.substr(df.field_begin + 1, df.field_end - df.field_begin - 2);
  const int index = df.index;
  auto held = blocks_.find(index);
  if ((held == blocks_.end() || held->second.restorer.held() == 0) &&
      raw.find('A') == std::string_view::npos) {
    out.append(ev);  // no token can start here and nothing is carried: as is
    return;
  }
  if (!json_text::unescape(raw, decoded_)) {
    out.append(ev);
    return;
  }
  auto [it, fresh] = blocks_.try_emplace(index);
  block_state& b = it->second;
  if (fresh) {
    b.restorer = stream_restorer(
        map_, df.field == "partial_json" ? restore_escape::json : restore_escape::none);
    b.field = df.field;
    b.delta_type = df.delta_type;
  }
  restored_.clear();
  b.restorer.feed(decoded_, restored_);
  if (restored_ == decoded_) {
    out.append(ev);
    return;
  }
  std::size_t abs_b = json_begin + df.field_begin + 1;
  std::size_t abs_e = json_begin + df.field_end - 1;
  out.append(ev.substr(0, abs_b));
  json_text::escape_append(restored_, out);
  out.append(ev.substr(abs_e));
}

// Any other event shape: handles block stops and message ends (flushing carried bytes),
// passes non-delta events through, and fills `df` for a rewritable delta (true).
bool sse_restorer::generic_delta(std::string_view json, std::string& out, std::string_view ev,
                                 sse_delta& df) {
  std::size_t tb = 0, te = 0;
  if (!string_value(json, 0, "type", tb, te)) {
    out.append(ev);
    return false;
  }
  std::string_view type = json.substr(tb + 1, te - tb - 2);
  std::size_t ib = 0, ie = 0;
  int index = -1;
  if (json_text::find_member(json, 0, "index", ib, ie)) {
    index = 0;
    for (std::size_t k = ib; k < ie && index < 1000000; ++k) {
      if (!is_digit(json[k])) {
        out.append(ev);
        return false;
      }
      index = index * 10 + (json[k] - '0');
    }
  }
  if (type == "content_block_stop") {
    if (auto it = blocks_.find(index); it != blocks_.end()) {
      flush_block(index, it->second, out);
      blocks_.erase(it);
    }
    out.append(ev);
    return false;
  }
  if (type == "message_delta" || type == "message_stop" || type == "error") {
    for (auto& [i, b] : blocks_) flush_block(i, b, out);
    blocks_.clear();
  }
  std::size_t db = 0, de = 0, dtb = 0, dte = 0;
  if (type != "content_block_delta" || index < 0 ||
      !json_text::find_member(json, 0, "delta", db, de) ||
      !string_value(json, db, "type", dtb, dte)) {
    out.append(ev);
    return false;
  }
  df.delta_type = json.substr(dtb + 1, dte - dtb - 2);
  df.field = field_for(df.delta_type);
  if (df.field.empty() || !string_value(json, db, df.field, df.field_begin, df.field_end)) {
    out.append(ev);
    return false;
  }
  df.index = index;
  return true;
}

}  // namespace gh::aws_masker
