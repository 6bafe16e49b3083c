// The client and store against a real 3-master Redis Cluster: slot routing from one seed,
// cross-slot reads, hash-tagged atomic limits, and a slot migration (ASK, then MOVED)
// under load with no failed or lost requests.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "store/redis/client.h"
#include "store/redis/redis_store.h"
#include "tests/redis/harness.h"
#include "tests/unit/redis/run.h"

namespace gh::redis {
namespace {

using gh::store::window_algorithm;
using gh::store::window_spec;
using testing::run;
using testing::sleep_for;
using namespace std::chrono_literals;

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

class RedisCluster : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = testing::cluster::start(3).release(); }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(cluster_, nullptr) << "could not start a 3-node cluster";
    // One seed is enough: the client learns the rest from CLUSTER SLOTS.
    cfg_.cluster_nodes = {{"127.0.0.1", cluster_->nodes[0]->port()}};
    cfg_.timeout = 1000ms;
  }
  testing::redis_process* owner_of(const std::string& key) {
    for (auto& n : cluster_->nodes) {
      if (trim(n->cli("CLUSTER COUNTKEYSINSLOT " + std::to_string(key_slot(key)))) != "0") {
        return n.get();
      }
    }
    return nullptr;
  }
  static testing::cluster* cluster_;
  redis_config cfg_;
  asio::io_context io_;
};
testing::cluster* RedisCluster::cluster_ = nullptr;

TEST_F(RedisCluster, RoutesKeysOfEverySlotFromOneSeed) {
  auto store = make_redis_store(cfg_);
  std::vector<std::string> keys;
  for (int i = 0; i < 200; ++i) keys.push_back("k" + std::to_string(i));
  int failed = 0;
  for (auto& k : keys) failed += !run(io_, store->set(k, "v" + k, 60000ms));
  EXPECT_EQ(failed, 0);
  // Every key sits on the node that owns its slot (no MOVED was needed to read it back).
  std::set<testing::redis_process*> used;
  for (int i = 0; i < 200; i += 37) {
    auto* n = owner_of(keys[static_cast<std::size_t>(i)]);
    ASSERT_NE(n, nullptr);
    used.insert(n);
    EXPECT_EQ(n->cli("GET " + keys[static_cast<std::size_t>(i)]),
              "v" + keys[static_cast<std::size_t>(i)] + "\n");
  }
  EXPECT_GT(used.size(), 1u);
  auto many = run(io_, store->get_many(keys));  // one MGET per slot
  ASSERT_TRUE(many);
  for (std::size_t i = 0; i < keys.size(); ++i) EXPECT_EQ((*many)[i], "v" + keys[i]);
}

TEST_F(RedisCluster, LimitIsExactOnClusterWithAndWithoutSharedHashTag) {
  auto store = make_redis_store(cfg_);
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  // Tagged keys share a slot already; untagged ones are wrapped in the first key's tag.
  for (std::string base : {"rl:{route-1:alice}:", "rl:untagged:"}) {
    std::vector<window_spec> specs = {{base + "second", 1000, 1000ms},
                                      {base + "minute", 50, 60000ms}};
    int admitted = 0, failed = 0, done = 0;
    for (int i = 0; i < 200; ++i) {
      asio::co_spawn(
          io_,
          [&]() -> awaitable<void> {
            auto r = co_await store->limit(specs, 1, window_algorithm::fixed, now);
            if (!r)
              ++failed;
            else
              admitted += r->admitted;
            if (++done == 200) io_.stop();
          },
          asio::detached);
    }
    io_.restart();
    io_.run();
    std::printf("cluster limit %s: %d admitted, %d failed\n", base.c_str(), admitted, failed);
    EXPECT_EQ(admitted, 50) << base;
    EXPECT_EQ(failed, 0) << base;
  }
}

TEST_F(RedisCluster, FollowsSlotMigrationUnderLoadWithoutFailedOrLostWrites) {
  auto c = make_client(io_.get_executor(), cfg_);
  const std::string key = "migrating-counter";
  auto* from = owner_of(key);
  if (from == nullptr) {  // not written yet: find its owner by CLUSTER SLOTS via a write
    const command init{"SET", key, "0"};
    ASSERT_TRUE(run(io_, c->exec(key, init)));
    from = owner_of(key);
  }
  ASSERT_NE(from, nullptr);
  testing::redis_process* to = nullptr;
  for (auto& n : cluster_->nodes) {
    if (n.get() != from) to = n.get();
  }
  std::string slot = std::to_string(key_slot(key));
  std::string from_id = trim(from->cli("CLUSTER MYID"));
  std::string to_id = trim(to->cli("CLUSTER MYID"));

  std::atomic<bool> migrated{false};
  int ok = 0, failed = 0;
  std::set<std::string> errors;
  bool stop = false;
  for (int w = 0; w < 16; ++w) {
    asio::co_spawn(
        io_,
        [&]() -> awaitable<void> {
          const command incr{"INCR", key};
          while (!stop) {
            auto r = co_await c->exec(key, incr);
            if (r && r->is_integer()) {
              ++ok;
            } else {
              ++failed;
              errors.insert(r ? r->str : r.error().message());
            }
          }
        },
        asio::detached);
  }
  // The resharding runs on another thread, as an operator would, while the load runs.
  std::thread resharder([&] {
    std::this_thread::sleep_for(100ms);
    to->cli("CLUSTER SETSLOT " + slot + " IMPORTING " + from_id);
    from->cli("CLUSTER SETSLOT " + slot + " MIGRATING " + to_id);
    std::this_thread::sleep_for(100ms);  // load keeps hitting the source: ASK territory
    from->cli("MIGRATE 127.0.0.1 " + std::to_string(to->port()) + " \"\" 0 5000 KEYS " + key);
    std::this_thread::sleep_for(100ms);  // key gone from source: ASK to the target
    // Target first, then source, then the rest (the order Redis documents).
    to->cli("CLUSTER SETSLOT " + slot + " NODE " + to_id);
    from->cli("CLUSTER SETSLOT " + slot + " NODE " + to_id);
    for (auto& n : cluster_->nodes) n->cli("CLUSTER SETSLOT " + slot + " NODE " + to_id);
    migrated = true;
  });
  int moved_phase_ok = 0;
  run(io_, [&]() -> awaitable<int> {
    while (!migrated) co_await sleep_for(10ms);
    int before = ok;
    co_await sleep_for(200ms);  // the MOVED phase: clients must re-learn the slot
    moved_phase_ok = ok - before;
    stop = true;
    co_await sleep_for(20ms);
    co_return 0;
  }());
  resharder.join();
  long final_value = std::atol(to->cli("GET " + key).c_str());
  std::printf("cluster migration: %d ok, %d failed requests, %ld lost writes (counter %ld)\n", ok,
              failed, static_cast<long>(ok) - final_value, final_value);
  for (auto& e : errors) std::printf("  error: %s\n", e.c_str());
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(final_value, ok);  // every acknowledged INCR is there, none twice
  EXPECT_GT(moved_phase_ok, 100);
  EXPECT_EQ(trim(from->cli("CLUSTER COUNTKEYSINSLOT " + slot)), "0");
  c->close();
}

}  // namespace
}  // namespace gh::redis
