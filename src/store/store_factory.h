// How a plugin gets a Store for its own `redis` block without knowing the Redis module.
//
// The Redis store module registers a maker at startup (set_redis_store_maker); plugins
// with `policy: redis` (rate-limiting) or a store-backed scope call make_redis_store_for()
// from Factory::build(). Config time only: both may throw std::runtime_error, and
// make_redis_store_for throws a clear message when no maker is registered.
#pragma once

#include "store/store.h"

#include <boost/json/object.hpp>

#include <functional>
#include <memory>

namespace gh::store {

// Receives the plugin's validated `redis` object (Kong's field names, defaults filled).
using redis_store_maker = std::function<std::shared_ptr<Store>(const boost::json::object& redis)>;

void set_redis_store_maker(redis_store_maker maker);
bool has_redis_store_maker();
std::shared_ptr<Store> make_redis_store_for(const boost::json::object& redis);

}  // namespace gh::store
