// Restoring originals in responses, as they stream.
//
// stream_restorer replaces tokens of one mask_map in a byte stream fed in arbitrary
// chunks. It holds back only a possible token prefix at the end of a chunk (at most the
// map's longest token), so memory is bounded by the token length and bytes that cannot
// start a token (including split UTF-8 sequences) pass through at once. Tokens the map
// did not issue pass through unchanged. In json mode the original is escaped for the
// inside of a JSON string.
//
// sse_restorer does the same for Anthropic Messages event streams: each event is parsed,
// and content_block_delta events have the "text" / "thinking" (raw) or "partial_json"
// (JSON text) field of their delta rewritten; a token split across deltas is carried
// from one delta to the next delta of the same content block (and flushed as an extra
// delta before that block's content_block_stop). Other events pass unchanged.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "mask_map.h"

namespace gh::aws_masker {

enum class restore_escape { none, json };

class stream_restorer {
 public:
  stream_restorer() = default;
  stream_restorer(const mask_map* map, restore_escape escape) : map_(map), escape_(escape) {}

  // Appends the restored form of `in` to `out`, keeping an undecided tail.
  void feed(std::string_view in, std::string& out);
  // Flushes the tail (end of stream).
  void finish(std::string& out);
  std::size_t held() const noexcept { return held_.size(); }
  // Restores a complete text at once.
  static void restore_all(const mask_map& map, restore_escape escape, std::string_view in,
                          std::string& out);

 private:
  // Processes `t`; returns how many leading bytes were decided (the rest is held).
  std::size_t process(std::string_view t, bool final, std::string& out) const;

  const mask_map* map_ = nullptr;
  restore_escape escape_ = restore_escape::none;
  std::string held_;
};

struct sse_delta;

class sse_restorer {
 public:
  // Events larger than `max_event_bytes` (never seen from the Messages API) stop the
  // event parsing: the rest of the stream is restored as raw bytes.
  explicit sse_restorer(const mask_map* map, std::size_t max_event_bytes = 1 << 20)
      : map_(map), max_event_(max_event_bytes), raw_(map, restore_escape::none) {}

  void feed(std::string_view in, std::string& out);
  void finish(std::string& out);

 private:
  struct block_state {
    stream_restorer restorer;
    std::string field;       // "text", "thinking" or "partial_json"
    std::string delta_type;  // "text_delta", ...
  };
  void on_event(std::string_view event, std::string& out);
  bool generic_delta(std::string_view json, std::string& out, std::string_view event,
                     sse_delta& df);
  void flush_block(int index, block_state& b, std::string& out);

  const mask_map* map_;
  std::size_t max_event_;
  std::string pending_;  // an incomplete event
  bool raw_mode_ = false;
  stream_restorer raw_;
  std::map<int, block_state> blocks_;
  std::string decoded_, restored_;
};

}  // namespace gh::aws_masker
