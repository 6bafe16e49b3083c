#include "core/buffer_pool.h"

namespace gh {

buffer_pool::lease buffer_pool::take() {
  if (free_.empty()) return lease(new boost::beast::flat_buffer(), returner{this});
  auto* b = free_.back().release();
  free_.pop_back();
  return lease(b, returner{this});
}

void buffer_pool::give_back(boost::beast::flat_buffer* b) noexcept {
  std::unique_ptr<boost::beast::flat_buffer> owned(b);
  if (free_.size() >= max_kept_) return;  // deleted: more were lent at once than are kept
  owned->clear();
  free_.push_back(std::move(owned));  // capacity reserved in the constructor: no throw
}

}  // namespace gh
