// Named Redis connections and the process-wide Redis store maker.
//
// Node settings may define `redis_connections: {name: {host, port, ...}}` (the same fields
// as a plugin's `redis` block, config.h). A plugin's block may then say
// `redis: {connection: name}` instead of repeating the fields; fields written next to
// `connection` override the named ones (e.g. a different `database`). Stores built from
// equal resolved configs share connections (registry.h), so every plugin pointing at the
// same named connection shares one pipelined connection per worker and node.
// install() is called once at startup by the server (before the first snapshot is built):
// it validates the named connections and registers the maker behind
// gh::store::make_redis_store_for() (store/store_factory.h). Config time only: throws
// std::runtime_error with a message naming the connection and field.
#pragma once

#include <boost/json/object.hpp>

#include <string>
#include <vector>

#include "store/redis/config.h"

namespace gh::redis {

// Validates every named connection (errors: "redis_connections.<name>.<field>: ...").
// Throws std::runtime_error listing all errors.
void validate_named_connections(const boost::json::object& connections);

// `block` with its `connection` reference replaced by the named fields (block's own fields
// win). Throws std::runtime_error for an unknown name. A block without `connection` is
// returned as is.
boost::json::object resolve_connection(const boost::json::object& block,
                                       const boost::json::object& connections);

// Validates `connections`, keeps them for resolve_installed(), and registers the Redis
// store maker (idempotent; a later call replaces the connections).
void install(const boost::json::object& connections);

// resolve_connection() against the installed connections, then parse_redis_config().
redis_config resolve_installed(const boost::json::object& block);

}  // namespace gh::redis
