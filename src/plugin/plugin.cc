#include "plugin/plugin.h"

namespace gh::plugin {

boost::asio::awaitable<Flow> Plugin::rewrite_async(Context& ctx) const {
  co_return rewrite(ctx);
}

boost::asio::awaitable<Flow> Plugin::access_async(Context& ctx) const {
  co_return access(ctx);
}

}  // namespace gh::plugin
