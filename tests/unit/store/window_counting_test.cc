#include "store/embedded/window_counting.h"

#include <gtest/gtest.h>

namespace gh::store::embedded {
namespace {

using namespace std::chrono_literals;

TEST(WindowCounting, FixedWindowWithoutEntryHasFullRoom) {
  window_spec w{"k", 5, 1s};
  auto c = check_window(nullptr, w, 1, window_algorithm::fixed, 10'250);
  EXPECT_TRUE(c.room);
  EXPECT_EQ(c.remaining_if_counted, 4);
  EXPECT_EQ(c.reset_ms, 750);
  EXPECT_EQ(c.window_start, 10'000);
  EXPECT_EQ(c.expires_at, 11'000);
}

TEST(WindowCounting, FixedWindowIgnoresCountsOfAnEarlierWindow) {
  entry e;
  e.kind = entry_kind::window;
  e.window_start = 9'000;
  e.count = 5;
  window_spec w{"k", 5, 1s};
  EXPECT_TRUE(check_window(&e, w, 1, window_algorithm::fixed, 10'000).room);
  e.window_start = 10'000;
  EXPECT_FALSE(check_window(&e, w, 1, window_algorithm::fixed, 10'000).room);
}

TEST(WindowCounting, ZeroLimitNeverHasRoom) {
  window_spec w{"k", 0, 1s};
  EXPECT_FALSE(check_window(nullptr, w, 1, window_algorithm::fixed, 0).room);
  EXPECT_FALSE(check_window(nullptr, w, 1, window_algorithm::sliding, 0).room);
}

TEST(WindowCounting, SlidingEstimateNeverExceedsTheLimit) {
  // Whatever the split between buckets, admitting never pushes the estimate over.
  window_spec w{"k", 7, 1s};
  for (int64_t prev = 0; prev <= 7; ++prev) {
    for (int64_t elapsed = 0; elapsed < 1000; elapsed += 37) {
      entry e;
      e.kind = entry_kind::window;
      e.window_start = 1000;
      e.count = prev;
      int64_t cur = 0;
      for (;;) {
        auto c = check_window(&e, w, 1, window_algorithm::sliding, 2000 + elapsed);
        if (!c.room) break;
        e.window_start = c.window_start;
        e.count = c.count;
        e.previous = c.previous;
        ++cur;
        ASSERT_LE(static_cast<double>(prev) * (1000 - elapsed) / 1000 + cur, 7.0 + 1e-9);
      }
      EXPECT_GT(static_cast<double>(prev) * (1000 - elapsed) / 1000 + cur + 1, 7.0);
    }
  }
}

TEST(WindowCounting, SlidingBucketsOlderThanTheLastOneWeighNothing) {
  entry e;
  e.kind = entry_kind::window;
  e.window_start = 0;
  e.count = 100;
  window_spec w{"k", 10, 1s};
  auto c = check_window(&e, w, 1, window_algorithm::sliding, 2500);
  EXPECT_TRUE(c.room);
  EXPECT_EQ(c.remaining_if_counted, 9);
  EXPECT_EQ(c.previous, 0);
}

}  // namespace
}  // namespace gh::store::embedded
