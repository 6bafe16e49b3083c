#include "store/embedded/embedded_store.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

namespace gh::store {
namespace {

using namespace std::chrono_literals;

struct fake_clock {
  std::shared_ptr<std::atomic<int64_t>> t = std::make_shared<std::atomic<int64_t>>(1'000'000);
  std::function<int64_t()> fn() const {
    auto p = t;
    return [p] { return p->load(); };
  }
};

embedded_options with_clock(const fake_clock& c, unsigned shards = 16) {
  embedded_options o;
  o.shards = shards;
  o.clock = c.fn();
  return o;
}

TEST(EmbeddedStore, IncrCreatesCounterThatExpiresAfterTtl) {
  fake_clock clock;
  embedded_store s(with_clock(clock));
  EXPECT_EQ(*s.incr_now("k", 2, 1000ms), 2);
  EXPECT_EQ(*s.incr_now("k", 3, 1000ms), 5);
  EXPECT_EQ(s.get_now("k"), "5");
  *clock.t += 999;
  EXPECT_EQ(s.get_now("k"), "5");
  *clock.t += 1;
  EXPECT_EQ(s.get_now("k"), std::nullopt);
  EXPECT_EQ(*s.incr_now("k", 1, 0ms), 1);
}

TEST(EmbeddedStore, IncrOnNonIntegerValueIsAnErrorAndOnIntegerTextWorks) {
  embedded_store s;
  ASSERT_TRUE(s.set_now("text", "abc", 0ms));
  EXPECT_TRUE(s.incr_now("text", 1, 0ms).has_error());
  ASSERT_TRUE(s.set_now("num", "41", 0ms));
  EXPECT_EQ(*s.incr_now("num", 1, 0ms), 42);
}

TEST(EmbeddedStore, SetIfAbsentAndCompareAndDeleteBehaveLikeALock) {
  embedded_store s;
  EXPECT_TRUE(s.set_if_absent_now("lock", "owner-a", 0ms));
  EXPECT_FALSE(s.set_if_absent_now("lock", "owner-b", 0ms));
  EXPECT_FALSE(s.compare_and_delete_now("lock", "owner-b"));
  EXPECT_EQ(s.get_now("lock"), "owner-a");
  EXPECT_TRUE(s.compare_and_delete_now("lock", "owner-a"));
  EXPECT_EQ(s.get_now("lock"), std::nullopt);
  EXPECT_TRUE(s.set_if_absent_now("lock", "owner-b", 0ms));
  s.del_now("lock");
  EXPECT_EQ(s.get_now("lock"), std::nullopt);
}

TEST(EmbeddedStore, SetIfAbsentSucceedsOnceThePreviousHolderExpired) {
  fake_clock clock;
  embedded_store s(with_clock(clock));
  EXPECT_TRUE(s.set_if_absent_now("lock", "a", 100ms));
  *clock.t += 100;
  EXPECT_TRUE(s.set_if_absent_now("lock", "b", 100ms));
  EXPECT_EQ(s.get_now("lock"), "b");
}

TEST(EmbeddedStore, LimitAdmitsUpToTheLimitThenRefusesWithoutCounting) {
  embedded_store s;
  const int64_t now = 60'000 * 1000 + 10'500;  // 10.5 s into a minute
  std::vector<window_spec> w{{"m", 3, 60s}};
  for (int i = 0; i < 3; ++i) {
    auto r = s.limit_now(w, 1, window_algorithm::fixed, now);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->admitted);
    EXPECT_EQ(r->windows[0].remaining, 2 - i);
    EXPECT_EQ(r->windows[0].reset, 49'500ms);
  }
  auto r = s.limit_now(w, 1, window_algorithm::fixed, now);
  EXPECT_FALSE(r->admitted);
  EXPECT_EQ(r->windows[0].remaining, 0);
  EXPECT_EQ(r->windows[0].limit, 3);
}

TEST(EmbeddedStore, LimitCountsInNoWindowWhenAnyWindowIsFull) {
  embedded_store s;
  const int64_t now = 3'600'000 * 500;
  std::vector<window_spec> both{{"sec", 1, 1s}, {"min", 10, 60s}};
  EXPECT_TRUE(s.limit_now(both, 1, window_algorithm::fixed, now)->admitted);
  auto refused = s.limit_now(both, 1, window_algorithm::fixed, now + 10);
  EXPECT_FALSE(refused->admitted);
  EXPECT_EQ(refused->windows[0].remaining, 0);  // the window that refused
  EXPECT_EQ(refused->windows[1].remaining, 9);  // room left, this hit not counted
  // The minute window was not charged for the refused hit.
  auto next = s.limit_now(both, 1, window_algorithm::fixed, now + 1000);
  EXPECT_TRUE(next->admitted);
  EXPECT_EQ(next->windows[1].remaining, 8);
}

TEST(EmbeddedStore, LimitWithNewAndCountedWindowsInOneShardCountsEachOnce) {
  // One shard: the windows share it, the new one is created after the known one was
  // counted, and a window listed twice is counted once per call (the last write wins).
  embedded_options o;
  o.shards = 1;
  embedded_store s(o);
  const int64_t now = 3'600'000 * 500;
  std::vector<window_spec> minute{{"min", 10, 60s}};
  ASSERT_TRUE(s.limit_now(minute, 1, window_algorithm::fixed, now)->admitted);
  std::vector<window_spec> both{{"hour", 100, 3600s}, {"min", 10, 60s}, {"hour", 100, 3600s}};
  auto r = s.limit_now(both, 1, window_algorithm::fixed, now + 10);
  ASSERT_TRUE(r && r->admitted);
  EXPECT_EQ(r->windows[0].remaining, 99);
  EXPECT_EQ(r->windows[1].remaining, 8);
  EXPECT_EQ(r->windows[2].remaining, 99);
  auto again = s.limit_now(both, 1, window_algorithm::fixed, now + 20);
  EXPECT_EQ(again->windows[0].remaining, 98);
  EXPECT_EQ(again->windows[1].remaining, 7);
  EXPECT_EQ(s.stats().entries, 2u);
}

TEST(EmbeddedStore, FixedWindowsAlignToEpochMultiplesOrToTheGivenStart) {
  embedded_store s;
  std::vector<window_spec> w{{"k", 1, 60s}};
  const int64_t minute_start = 60'000 * 777;
  EXPECT_TRUE(s.limit_now(w, 1, window_algorithm::fixed, minute_start + 59'999)->admitted);
  EXPECT_FALSE(s.limit_now(w, 1, window_algorithm::fixed, minute_start + 59'999)->admitted);
  EXPECT_TRUE(s.limit_now(w, 1, window_algorithm::fixed, minute_start + 60'000)->admitted);

  // A calendar month given by its start: 31 days from start_ms.
  std::vector<window_spec> month{{"mo", 1, std::chrono::hours(24 * 31), 1'000'000}};
  auto first = s.limit_now(month, 1, window_algorithm::fixed, 1'000'000 + 5);
  EXPECT_TRUE(first->admitted);
  EXPECT_EQ(first->windows[0].reset.count(), 31LL * 86'400'000 - 5);
}

TEST(EmbeddedStore, SlidingWindowWeighsThePreviousBucketByItsRemainingShare) {
  embedded_store s;
  std::vector<window_spec> w{{"k", 10, 60s}};
  const int64_t start = 60'000 * 1000;
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(s.limit_now(w, 1, window_algorithm::sliding, start + 1000)->admitted);
  }
  EXPECT_FALSE(s.limit_now(w, 1, window_algorithm::sliding, start + 59'000)->admitted);
  // Half-way into the next bucket the 10 old hits weigh 5: 5 more fit, not 6.
  const int64_t half = start + 60'000 + 30'000;
  int admitted = 0;
  for (int i = 0; i < 8; ++i) {
    admitted += s.limit_now(w, 1, window_algorithm::sliding, half)->admitted ? 1 : 0;
  }
  EXPECT_EQ(admitted, 5);
  auto refused = s.limit_now(w, 1, window_algorithm::sliding, half);
  EXPECT_FALSE(refused->admitted);
  // Room again once 1/10 of the old bucket has slid out: 6 s later.
  EXPECT_EQ(refused->windows[0].reset, 6000ms);
  EXPECT_FALSE(s.limit_now(w, 1, window_algorithm::sliding, half + 5999)->admitted);
  EXPECT_TRUE(s.limit_now(w, 1, window_algorithm::sliding, half + 6000)->admitted);
}

// A caller that keeps its specs passes the key's hash (window_spec::key_hash): the entry
// is the same one a spec without it, and every other operation, finds. Also: the shards
// of several windows are locked once each, whatever order their keys come in.
TEST(EmbeddedStore, SpecWithKeptHashCountsInTheSameEntry) {
  const int64_t now = 60'000 * 4242 + 1;
  fake_clock clock;
  *clock.t = now;
  embedded_store s(with_clock(clock));
  std::vector<window_spec> plain{{"ratelimit:r:s:id:min", 3, 60s}, {"ratelimit:r:s:id:hour", 5, 3600s}};
  std::vector<window_spec> hashed = plain;
  for (auto& w : hashed) w.key_hash = hash_key(w.key);
  std::reverse(hashed.begin(), hashed.end());
  EXPECT_TRUE(s.limit_now(plain, 1, window_algorithm::fixed, now)->admitted);
  EXPECT_TRUE(s.limit_now(hashed, 1, window_algorithm::fixed, now)->admitted);
  EXPECT_TRUE(s.limit_now(plain, 1, window_algorithm::fixed, now)->admitted);
  auto refused = s.limit_now(hashed, 1, window_algorithm::fixed, now);
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->admitted);
  EXPECT_EQ(refused->windows[1].remaining, 0);  // the minute window (reversed order)
  EXPECT_EQ(s.get_now("ratelimit:r:s:id:min"), "3");
  EXPECT_EQ(s.get_now("ratelimit:r:s:id:hour"), "3");
  EXPECT_EQ(s.stats().entries, 2u);
}

TEST(EmbeddedStore, ConcurrentLimitCallsFromEightThreadsAdmitExactlyTheLimit) {
  const int64_t now = 60'000 * 4242 + 1;
  fake_clock clock;
  *clock.t = now;
  embedded_store s(with_clock(clock));
  std::atomic<int> admitted{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      std::vector<window_spec> w{{"ratelimit:r:s:id:sec", 1000, 1s},
                                 {"ratelimit:r:s:id:min", 100, 60s}};
      while (!go.load()) std::this_thread::yield();
      for (int i = 0; i < 2000; ++i) {
        auto r = s.limit_now(w, 1, window_algorithm::fixed, now);
        if (r && r->admitted) admitted.fetch_add(1);
      }
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 100);
  EXPECT_EQ(s.get_now("ratelimit:r:s:id:min"), "100");
  EXPECT_EQ(s.get_now("ratelimit:r:s:id:sec"), "100");
}

TEST(EmbeddedStore, ConcurrentSlidingLimitCallsAdmitExactlyTheLimit) {
  embedded_store s;
  const int64_t now = 60'000 * 4242 + 1;
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      std::vector<window_spec> w{{"slide", 100, 60s}};
      for (int i = 0; i < 500; ++i) {
        if (s.limit_now(w, 1, window_algorithm::sliding, now)->admitted) admitted.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 100);
}

TEST(EmbeddedStore, EntryCapEvictsSoonestToExpireFirst) {
  fake_clock clock;
  embedded_options o = with_clock(clock, 1);
  o.max_entries = 8;
  embedded_store s(o);
  ASSERT_TRUE(s.set_now("long-lived", "x", 1h));
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(s.set_now("short-" + std::to_string(i), "v", std::chrono::milliseconds(1000 + i)));
  }
  auto st = s.stats();
  EXPECT_LE(st.entries, 8u);
  EXPECT_GE(st.evictions, 92u);
  EXPECT_EQ(s.get_now("long-lived"), "x");
  EXPECT_EQ(s.get_now("short-99"), "v");
}

TEST(EmbeddedStore, ByteCapBoundsMemoryAndRefusesAValueLargerThanAShard) {
  embedded_options o;
  o.shards = 4;
  o.max_bytes = 64 * 1024;
  embedded_store s(o);
  const std::string value(1000, 'v');
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(s.set_now("k" + std::to_string(i), value, 0ms));
  EXPECT_LE(s.stats().bytes, o.max_bytes);
  EXPECT_GT(s.stats().evictions, 0u);
  EXPECT_TRUE(s.set_now("huge", std::string(20 * 1024, 'x'), 0ms).has_error());
}

TEST(EmbeddedStore, SweepRemovesExpiredEntriesWithoutAccess) {
  fake_clock clock;
  embedded_store s(with_clock(clock));
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(s.set_now("k" + std::to_string(i), "v", 10ms));
  ASSERT_TRUE(s.set_now("forever", "v", 0ms));
  EXPECT_EQ(s.stats().entries, 51u);
  *clock.t += 10;
  EXPECT_EQ(s.sweep_expired(), 50u);
  EXPECT_EQ(s.stats().entries, 1u);
}

TEST(EmbeddedStore, StreamIsACappedRingKeepingTheNewestEvents) {
  embedded_store s;
  std::vector<Store::event_fields> events;
  for (int i = 0; i < 10; ++i) events.push_back({{"n", std::to_string(i)}});
  s.append_events_now("ev", events, 4);
  auto tail = s.tail("ev", 100);
  ASSERT_EQ(tail.size(), 4u);
  EXPECT_EQ(tail.front()[0].second, "6");
  EXPECT_EQ(tail.back()[0].second, "9");
  EXPECT_EQ(s.appended("ev"), 10u);
  EXPECT_EQ(s.tail("ev", 2).front()[0].second, "8");
}

TEST(EmbeddedStore, AwaitableInterfaceCompletesOnAnIoContext) {
  boost::asio::io_context io;
  auto store = std::make_shared<embedded_store>();
  Store& s = *store;
  bool done = false;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        EXPECT_EQ(*co_await s.incr("c", 5, 0ms), 5);
        EXPECT_TRUE(co_await s.set("a", "1", 0ms));
        std::vector<std::string> keys{"a", "missing", "c"};
        auto many = co_await s.get_many(keys);
        EXPECT_EQ((*many)[0], "1");
        EXPECT_EQ((*many)[1], std::nullopt);
        EXPECT_EQ((*many)[2], "5");
        std::vector<window_spec> w{{"w", 1, 1s}};
        EXPECT_TRUE((co_await s.limit(w, 1, window_algorithm::fixed, 5000))->admitted);
        EXPECT_FALSE((co_await s.limit(w, 1, window_algorithm::fixed, 5000))->admitted);
        EXPECT_EQ(s.kind(), "embedded");
        done = true;
      },
      boost::asio::detached);
  io.run();
  EXPECT_TRUE(done);
}

}  // namespace
}  // namespace gh::store
