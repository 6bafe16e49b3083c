// rate-limiting sync_rate: two nodes' local counts over one real redis-server. The syncs are
// called by the test (no timers), so the over-admission bound is checked exactly.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <cstdio>

#include "plugins/rate-limiting/local_counts.h"
#include "store/redis/redis_store.h"
#include "tests/redis/harness.h"
#include "tests/unit/redis/run.h"

namespace gh::redis {
namespace {

namespace asio = boost::asio;
using gh::plugins::rate_limiting::local_counts;
using gh::store::window_algorithm;
using gh::store::window_spec;
using testing::redis_process;
using testing::run;
using namespace std::chrono_literals;

class LocalCounts : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = redis_process::start();
    ASSERT_TRUE(server_);
    redis_config cfg;
    cfg.host = "127.0.0.1";
    cfg.port = server_->port();
    cfg.timeout = 500ms;
    store_ = make_redis_store(cfg);
    // The start of the next hour: the test's keys live for an hour whatever the clock says.
    const int64_t wall = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    now_ = (wall / 3'600'000 + 1) * 3'600'000;
    spec_ = {"ratelimit:{svc}:" + std::to_string(now_) + ":hour", 100, 3'600'000ms, now_};
  }

  // One request on a node: local admission, else the store's limit() and a seed.
  bool request(local_counts& node) {
    auto r = node.try_admit(std::span(&spec_, 1), 1, now_);
    if (!r) {
      auto s = run(io_, store_->limit(std::span(&spec_, 1), 1, window_algorithm::fixed, now_));
      EXPECT_TRUE(s);
      if (!s) return false;
      node.seed(std::span(&spec_, 1), *s, now_);
      return s->admitted;
    }
    return r->admitted;
  }

  int64_t redis_count() { return std::atoll(server_->cli("HGET " + spec_.key + " c").c_str()); }

  std::unique_ptr<redis_process> server_;
  std::shared_ptr<gh::store::Store> store_;
  asio::io_context io_;
  int64_t now_ = 0;
  window_spec spec_;
};

TEST_F(LocalCounts, TwoNodesOverAdmitAtMostOneIntervalOfTheOtherNodeAndLoseNoHits) {
  auto a = std::make_shared<local_counts>(store_, 1000ms);
  auto b = std::make_shared<local_counts>(store_, 1000ms);
  // Each node gets `per_interval` requests between syncs (its rate x sync_rate); syncs are
  // aligned here, so a node misses at most the other's hits of the current interval.
  const int per_interval = 7;
  int admitted = 0, refused = 0;
  for (int round = 0; round < 40; ++round) {
    for (int i = 0; i < per_interval; ++i) {
      for (local_counts* node : {a.get(), b.get()}) (request(*node) ? admitted : refused)++;
    }
    ASSERT_TRUE(run(io_, a->sync(now_)));
    ASSERT_TRUE(run(io_, b->sync(now_)));
  }
  std::printf("2 nodes, limit 100, %d requests per node and interval: %d admitted, %d refused\n",
              per_interval, admitted, refused);
  EXPECT_GE(admitted, 100);                  // never under-admits
  EXPECT_LE(admitted, 100 + per_interval);   // (N - 1) x one interval of a node
  EXPECT_EQ(redis_count(), admitted);        // every admitted hit reached Redis
  // Both views are complete after the syncs: nothing more passes anywhere.
  EXPECT_FALSE(request(*a));
  EXPECT_FALSE(request(*b));
}

TEST_F(LocalCounts, HitsCountedWhileRedisIsDownArePushedAfterItComesBack) {
  auto node = std::make_shared<local_counts>(store_, 1000ms);
  ASSERT_TRUE(request(*node));  // seeds the window (1 in Redis)
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(request(*node));
  server_->pause();  // answers nothing: the push times out, the hits stay pending
  EXPECT_FALSE(run(io_, node->sync(now_)));
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(request(*node));  // still admitted locally
  server_->resume();
  // The timed-out push may have been applied when the server resumed (counted twice, the
  // documented direction: never under-counted); the next push carries all ten.
  ASSERT_TRUE(run(io_, node->sync(now_)));
  const int64_t count = redis_count();
  EXPECT_GE(count, 10);
  EXPECT_LE(count, 15);
}

TEST_F(LocalCounts, ForgetsWindowsThatEnded) {
  auto node = std::make_shared<local_counts>(store_, 1000ms);
  ASSERT_TRUE(request(*node));
  EXPECT_EQ(node->size(), 1u);
  ASSERT_TRUE(run(io_, node->sync(now_ + 3'600'000)));  // the hour is over
  EXPECT_EQ(node->size(), 0u);
}

}  // namespace
}  // namespace gh::redis
