// Kong's request-size-limiting plugin (PRIORITY 951).
//
// Refuses request bodies larger than allowed_payload_size (in size_unit; 1 MB = 1048576
// bytes) with 413 "Request size limit exceeded" (417 when the client sent Expect:
// 100-continue). A declared Content-Length is checked in access, before any byte is
// read; a chunked body is counted while it streams upstream (request_body_filter) and
// cut off as soon as it passes the limit: the body is never buffered, unlike Kong which
// reads it whole. require_content_length answers 411 "A valid Content-Length header is
// required" to non-chunked requests without one. See docs/plugins/request-size-limiting.md.
#pragma once

#include "plugin/plugin.h"
#include "plugin/registry.h"

#include <memory>

namespace gh::plugins {

std::unique_ptr<plugin::Factory> make_request_size_limiting_factory();
void register_request_size_limiting(plugin::Registry& r);

}  // namespace gh::plugins
