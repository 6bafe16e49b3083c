// Masking a request body according to its media type.
//
// application/json (and +json) is walked as JSON: only the contents of strings (member
// names and values) are rewritten, in place, so every other byte stays as it was and the
// result is valid JSON. Escapes are respected: strings with \/, \u, \\, \b or \f escapes
// are decoded before matching (an ARN written with \/ or \u0061 is still found); the others
// are matched in place, escapes being boundaries. The base64 `data` of objects whose
// "type" is "base64" (Anthropic image/document sources) is skipped. Values under key names such as
// SecretAccessKey, SessionToken or KmsKeyId are masked whole. Any other type, and JSON
// that does not parse, is masked as raw text. Used by the plugin and the CLI.
#pragma once

#include <string>
#include <string_view>

#include "mask_engine.h"

namespace gh::aws_masker {

// How strings holding escapes are matched: in place (\" kept, \n \r \t blanked;
// the default, see body_mask.cc) or always decoded first (what in place must agree with;
// tests compare the two).
enum class json_scan { in_place, decoded };

// Masks a JSON text. Returns false (and leaves `out` unspecified) when `in` is not
// well-formed enough to walk.
bool mask_json(const mask_engine& engine, std::string_view in, mask_map& map, std::string& out,
               mask_stats* stats = nullptr, json_scan scan = json_scan::in_place);

bool is_json_media_type(std::string_view content_type) noexcept;

// Masks `in` as JSON when `json_aware` and the content type says JSON, else as text.
void mask_body(const mask_engine& engine, std::string_view content_type, bool json_aware,
               std::string_view in, mask_map& map, std::string& out, mask_stats* stats = nullptr);

// mask_body, without copying a body that holds nothing to mask (most prompts): returns
// false and leaves `out` as it was, and the caller keeps `in`, which is then exactly what
// mask_body would have written. True when `out` received the masked body.
bool mask_body_if_needed(const mask_engine& engine, std::string_view content_type, bool json_aware,
                         std::string_view in, mask_map& map, std::string& out,
                         mask_stats* stats = nullptr);

}  // namespace gh::aws_masker
