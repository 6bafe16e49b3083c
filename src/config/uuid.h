// Deterministic entity ids for the declarative loader.
//
// Kong gives entities without an `id` a UUIDv5 derived from the entity kind and its
// endpoint key (service name, consumer username, "target:upstream" ...), so reloading the
// same file keeps every id. We follow the same scheme (same root namespace), which makes
// our generated ids equal to Kong's for named entities. Only the loader calls this.
#pragma once

#include <string>
#include <string_view>

namespace gh::config {

// RFC 4122 version 5 (SHA-1) UUID of `name` in `namespace_uuid` (canonical text form).
std::string uuid_v5(std::string_view namespace_uuid, std::string_view name);

// Kong's generate_uuid(kind, key): v5(v5(root, kind), key).
std::string entity_uuid(std::string_view kind, std::string_view key);

// True for the canonical 8-4-4-4-12 hex form (any case), as Kong's uuid type accepts.
bool is_uuid(std::string_view text);

}  // namespace gh::config
