// Kong's response-transformer plugin (PRIORITY 800).
//
// Edits the response in Kong's order remove, rename, replace, add, append: headers in
// header_filter, and top-level fields of a JSON body (Content-Type application/json) in
// body_filter. The core offers no buffered response mode, so the body filter holds the
// chunks back itself and emits the transformed document at end of stream; a body larger
// than kMaxJsonBody is passed through untransformed. See docs/plugins/response-transformer.md.
#pragma once

#include "plugin/plugin.h"
#include "plugin/registry.h"

#include <cstddef>
#include <memory>

namespace gh::plugins {

// Bodies up to this size are transformed; larger ones stream through unchanged.
inline constexpr std::size_t kMaxJsonBody = 8 * 1024 * 1024;

std::unique_ptr<plugin::Factory> make_response_transformer_factory();
void register_response_transformer(plugin::Registry& r);

}  // namespace gh::plugins
