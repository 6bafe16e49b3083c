// buffer_pool lends read buffers per use: a returned buffer comes back empty with its
// capacity, the most recently returned first, and no more than max_kept are kept.
#include "core/buffer_pool.h"

#include <gtest/gtest.h>

#include <vector>

namespace {

TEST(BufferPool, ReturnedBufferIsLentAgainEmptyWithItsCapacity) {
  gh::buffer_pool pool(4);
  const void* storage = nullptr;
  {
    auto b = pool.take();
    auto space = b->prepare(100000);
    storage = space.data();
    b->commit(10);
  }
  EXPECT_EQ(pool.kept(), 1u);
  auto again = pool.take();
  EXPECT_EQ(again->size(), 0u);
  EXPECT_GE(again->capacity(), 100000u);
  EXPECT_EQ(again->prepare(100000).data(), storage);  // no new allocation
  EXPECT_EQ(pool.kept(), 0u);
}

TEST(BufferPool, KeepsNoMoreThanMaxKept) {
  gh::buffer_pool pool(2);
  {
    std::vector<gh::buffer_pool::lease> out;
    for (int i = 0; i < 5; ++i) out.push_back(pool.take());
  }
  EXPECT_EQ(pool.kept(), 2u);
}

}  // namespace
