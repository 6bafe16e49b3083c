#include "store/store_factory.h"

#include <mutex>
#include <stdexcept>

namespace gh::store {

namespace {
std::mutex g_mu;
redis_store_maker& maker() {
  static redis_store_maker m;
  return m;
}
}  // namespace

void set_redis_store_maker(redis_store_maker m) {
  std::lock_guard lock(g_mu);
  maker() = std::move(m);
}

bool has_redis_store_maker() {
  std::lock_guard lock(g_mu);
  return static_cast<bool>(maker());
}

std::shared_ptr<Store> make_redis_store_for(const boost::json::object& redis) {
  redis_store_maker m;
  {
    std::lock_guard lock(g_mu);
    m = maker();
  }
  if (!m) {
    throw std::runtime_error(
        "policy 'redis' is not available: this build has no Redis store registered");
  }
  auto s = m(redis);
  if (!s) throw std::runtime_error("the Redis store could not be created");
  return s;
}

}  // namespace gh::store
