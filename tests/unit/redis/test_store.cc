// redis_store against a real redis-server: same answers as the embedded store, exact
// admission under concurrency from two workers, TTLs, locks, streams.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include "store/embedded/embedded_store.h"
#include "store/redis/client.h"
#include "store/redis/redis_store.h"
#include "tests/redis/harness.h"
#include "tests/unit/redis/run.h"

namespace gh::redis {
namespace {

using gh::store::window_algorithm;
using gh::store::window_spec;
using testing::redis_process;
using testing::run;
using namespace std::chrono_literals;

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class RedisStore : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = redis_process::start();
    ASSERT_TRUE(server_);
    cfg_.host = "127.0.0.1";
    cfg_.port = server_->port();
    cfg_.timeout = 1000ms;
    store_ = make_redis_store(cfg_);
  }
  std::unique_ptr<redis_process> server_;
  redis_config cfg_;
  std::shared_ptr<gh::store::Store> store_;
  asio::io_context io_;
};

TEST_F(RedisStore, LimitMatchesEmbeddedStoreForFixedAndSlidingWindows) {
  for (auto algorithm : {window_algorithm::fixed, window_algorithm::sliding}) {
    gh::store::embedded_store embedded;
    std::string tag = algorithm == window_algorithm::fixed ? "f" : "s";
    std::vector<window_spec> specs = {{"rl:{" + tag + "}:short", 5, 1000ms},
                                      {"rl:{" + tag + "}:long", 12, 3000ms}};
    std::mt19937 rng(42);
    int64_t now = wall_ms() + 10000;  // ahead of the clock: nothing expires mid-test
    int admitted = 0;
    for (int i = 0; i < 300; ++i) {
      now += std::uniform_int_distribution<int64_t>(0, 120)(rng);
      int64_t cost = std::uniform_int_distribution<int64_t>(1, 3)(rng);
      auto want = run(io_, embedded.limit(specs, cost, algorithm, now));
      auto got = run(io_, store_->limit(specs, cost, algorithm, now));
      ASSERT_TRUE(want);
      ASSERT_TRUE(got) << got.error().message();
      ASSERT_EQ(got->admitted, want->admitted) << "call " << i << " " << tag;
      admitted += got->admitted;
      ASSERT_EQ(got->windows.size(), 2u);
      for (std::size_t w = 0; w < 2; ++w) {
        EXPECT_EQ(got->windows[w].remaining, want->windows[w].remaining) << i << " " << tag;
        EXPECT_EQ(got->windows[w].reset, want->windows[w].reset) << i << " " << tag;
        EXPECT_EQ(got->windows[w].limit, want->windows[w].limit);
      }
    }
    EXPECT_GT(admitted, 20);  // the sequence exercised both outcomes
    EXPECT_LT(admitted, 300);
  }
}

TEST_F(RedisStore, LimitAdmitsExactlyTheLimitFromTwoWorkersUnderConcurrency) {
  // Two worker threads, each with its own io_context (and so its own connection),
  // 200 concurrent callers each, against 100 per minute: exactly 100 pass.
  std::atomic<int> admitted{0}, refused{0}, failed{0};
  int64_t now = wall_ms();
  auto worker = [&] {
    asio::io_context io;
    int done = 0;
    for (int i = 0; i < 200; ++i) {
      asio::co_spawn(
          io,
          [&]() -> awaitable<void> {
            window_spec spec{"rl:{exact}:minute", 100, 60000ms};
            auto r = co_await store_->limit(std::span(&spec, 1), 1, window_algorithm::fixed, now);
            if (!r)
              ++failed;
            else if (r->admitted)
              ++admitted;
            else
              ++refused;
            if (++done == 200) io.stop();
          },
          asio::detached);
    }
    io.run();
  };
  std::thread a(worker), b(worker);
  a.join();
  b.join();
  std::printf("exact limit: %d admitted, %d refused, %d failed\n", admitted.load(), refused.load(),
              failed.load());
  EXPECT_EQ(admitted.load(), 100);
  EXPECT_EQ(refused.load(), 300);
  EXPECT_EQ(failed.load(), 0);
}

TEST_F(RedisStore, LimitRewritesAKeyOfTheWrongTypeInsteadOfFailing) {
  server_->cli("SET rl:{w}:minute not-a-hash");
  window_spec spec{"rl:{w}:minute", 5, 60000ms};
  for (auto algorithm : {window_algorithm::fixed, window_algorithm::sliding}) {
    auto r = run(io_, store_->limit(std::span(&spec, 1), 1, algorithm, wall_ms()));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_TRUE(r->admitted);
    server_->cli("SET rl:{w}:minute not-a-hash");
  }
  server_->cli("DEL rl:{w}:minute");
  auto r = run(io_, store_->limit(std::span(&spec, 1), 2, window_algorithm::fixed, wall_ms()));
  ASSERT_TRUE(r);
  EXPECT_EQ(server_->cli("HGET rl:{w}:minute c"), "2\n");
}

TEST_F(RedisStore, AddCountsAddsToLimitEntriesWithoutCheckingAndReadsBack) {
  const int64_t now = wall_ms();
  const int64_t start = now / 60000 * 60000;
  std::vector<window_spec> specs = {{"rl:{a}:" + std::to_string(start) + ":minute", 5, 60000ms,
                                     start},
                                    {"rl:{b}:" + std::to_string(start) + ":minute", 5, 60000ms,
                                     start}};
  // Two hits through limit() on the first key, then local counts pushed on top: the same
  // entry, past the limit (add_counts does not check), and a zero delta only reads.
  ASSERT_TRUE(run(io_, store_->limit(std::span(specs.data(), 1), 2, window_algorithm::fixed, now)));
  std::vector<int64_t> deltas = {4, 0};
  auto counts = run(io_, store_->add_counts(specs, deltas, now));
  ASSERT_TRUE(counts) << counts.error().message();
  EXPECT_EQ(*counts, (std::vector<int64_t>{6, 0}));
  EXPECT_EQ(server_->cli("EXISTS " + specs[1].key), "0\n");  // a read writes nothing
  EXPECT_GT(std::atoi(server_->cli("PTTL " + specs[0].key).c_str()), 0);
  auto l = run(io_, store_->limit(std::span(specs.data(), 1), 1, window_algorithm::fixed, now));
  ASSERT_TRUE(l);
  EXPECT_FALSE(l->admitted);  // limit() sees the pushed hits
  // An entry of an earlier window counts as 0.
  window_spec next = specs[0];
  next.start_ms = start + 60000;
  deltas = {1};
  counts = run(io_, store_->add_counts(std::span(&next, 1), deltas, now + 60000));
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->front(), 1);
}

TEST_F(RedisStore, ConcurrentFixedCallsOfAWorkerShareScriptCallsAndStayExact) {
  // 300 calls started together on one worker: three clients (limits 50, 100, and 100 with a
  // second window of 60), so one batch holds several keys and several calls per key.
  const int64_t now = wall_ms();
  const int64_t start = now / 60000 * 60000;
  auto spec = [&](const std::string& id, int64_t limit) {
    return window_spec{"rl:{" + id + "}:" + std::to_string(start) + ":minute", limit, 60000ms,
                       start};
  };
  const std::vector<std::vector<window_spec>> clients = {
      {spec("a", 50)}, {spec("b", 100)}, {spec("c", 100), {"rl:{c}:hour", 60, 3600000ms}}};
  server_->cli("CONFIG RESETSTAT");
  int admitted[3] = {0, 0, 0}, failed = 0, done = 0;
  for (int i = 0; i < 300; ++i) {
    asio::co_spawn(
        io_,
        [&, i]() -> awaitable<void> {
          const auto& specs = clients[i % 3];
          auto r = co_await store_->limit(specs, 1, window_algorithm::fixed, now);
          if (!r) ++failed;
          else if (r->admitted) ++admitted[i % 3];
          if (++done == 300) io_.stop();
        },
        asio::detached);
  }
  io_.restart();
  io_.run();
  const std::string stats = server_->cli("INFO commandstats");
  const auto at = stats.find("cmdstat_evalsha:calls=");
  ASSERT_NE(at, std::string::npos) << stats;
  const int scripts = std::atoi(stats.c_str() + at + 22);
  std::printf("300 concurrent calls: %d + %d + %d admitted, %d failed, %d script calls\n",
              admitted[0], admitted[1], admitted[2], failed, scripts);
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(admitted[0], 50);
  EXPECT_EQ(admitted[1], 100);
  EXPECT_EQ(admitted[2], 60);  // the hour window of client c is the tighter one
  EXPECT_LT(scripts, 30);      // batched: far fewer script runs than calls
  EXPECT_EQ(server_->cli("HGET " + clients[0][0].key + " c"), "50\n");
  EXPECT_EQ(server_->cli("HGET rl:{c}:hour c"), "60\n");
}

TEST_F(RedisStore, BatchedFixedCallsAnswerAsTheEmbeddedStoreCallByCall) {
  // Calls started together share one script run and are decided in the order they were
  // made, windows rolling over inside a batch and runs of identical calls included: the
  // same answers as the embedded store given the same calls one by one.
  gh::store::embedded_store embedded;
  const std::vector<window_spec> specs = {{"rl:{b}:short", 5, 1000ms}, {"rl:{b}:long", 12, 3000ms}};
  std::mt19937 rng(7);
  int64_t now = wall_ms() + 10000;
  int admitted = 0, calls = 0;
  for (int round = 0; round < 40; ++round) {
    const int k = std::uniform_int_distribution<int>(1, 12)(rng);
    std::vector<std::pair<int64_t, int64_t>> batch;  // (cost, now)
    for (int i = 0; i < k; ++i) {
      // Half the calls repeat the one before (same cost, same millisecond): runs of
      // identical calls, which the batch sends as one entry.
      if (i > 0 && rng() % 2 == 0) {
        batch.push_back(batch.back());
        continue;
      }
      now += std::uniform_int_distribution<int64_t>(0, 150)(rng);
      batch.emplace_back(std::uniform_int_distribution<int64_t>(1, 3)(rng), now);
    }
    std::vector<gh::store::result<gh::store::limit_result>> got(k, errc::closed);
    int done = 0;
    for (int i = 0; i < k; ++i) {
      asio::co_spawn(
          io_,
          [&, i]() -> awaitable<void> {
            got[i] = co_await store_->limit(specs, batch[i].first, window_algorithm::fixed,
                                            batch[i].second);
            if (++done == k) io_.stop();
          },
          asio::detached);
    }
    io_.restart();
    io_.run();
    for (int i = 0; i < k; ++i, ++calls) {
      auto want = run(io_, embedded.limit(specs, batch[i].first, window_algorithm::fixed,
                                          batch[i].second));
      ASSERT_TRUE(got[i]) << got[i].error().message();
      ASSERT_EQ(got[i]->admitted, want->admitted) << "round " << round << " call " << i;
      admitted += got[i]->admitted;
      for (std::size_t w = 0; w < specs.size(); ++w) {
        EXPECT_EQ(got[i]->windows[w].remaining, want->windows[w].remaining) << round << "/" << i;
        EXPECT_EQ(got[i]->windows[w].reset, want->windows[w].reset) << round << "/" << i;
      }
    }
  }
  EXPECT_GT(admitted, 20);  // both outcomes exercised
  EXPECT_LT(admitted, calls);
}

TEST_F(RedisStore, IncrSetsTtlOnlyWhenItCreatesTheKey) {
  auto v = run(io_, store_->incr("hits", 2, 5000ms));
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, 2);
  int pttl = std::atoi(server_->cli("PTTL hits").c_str());
  EXPECT_GT(pttl, 4000);
  EXPECT_LE(pttl, 5000);
  server_->cli("PEXPIRE hits 100000");
  v = run(io_, store_->incr("hits", 3, 5000ms));
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, 5);
  EXPECT_GT(std::atoi(server_->cli("PTTL hits").c_str()), 90000);  // not reset
  v = run(io_, store_->incr("forever", 1, 0ms));
  EXPECT_EQ(server_->cli("PTTL forever"), "-1\n");
}

TEST_F(RedisStore, KeyValueOperationsAndLocks) {
  ASSERT_TRUE(run(io_, store_->set("a", "1", 0ms)));
  ASSERT_TRUE(run(io_, store_->set("b", "2", 60000ms)));
  auto a = run(io_, store_->get("a"));
  ASSERT_TRUE(a);
  EXPECT_EQ(*a, "1");
  EXPECT_EQ(*run(io_, store_->get("missing")), std::nullopt);
  std::vector<std::string> keys = {"a", "missing", "b"};
  auto many = run(io_, store_->get_many(keys));
  ASSERT_TRUE(many);
  EXPECT_EQ((*many)[0], "1");
  EXPECT_EQ((*many)[1], std::nullopt);
  EXPECT_EQ((*many)[2], "2");
  EXPECT_GT(std::atoi(server_->cli("PTTL b").c_str()), 50000);

  EXPECT_TRUE(*run(io_, store_->set_if_absent("lock", "owner-1", 30000ms)));
  EXPECT_FALSE(*run(io_, store_->set_if_absent("lock", "owner-2", 30000ms)));
  EXPECT_FALSE(*run(io_, store_->compare_and_delete("lock", "owner-2")));
  EXPECT_TRUE(*run(io_, store_->compare_and_delete("lock", "owner-1")));
  EXPECT_EQ(server_->cli("EXISTS lock"), "0\n");
  ASSERT_TRUE(run(io_, store_->del("a")));
  EXPECT_EQ(*run(io_, store_->get("a")), std::nullopt);
}

TEST_F(RedisStore, AppendedEventsAreReadBackWithConsumerGroupAndAcked) {
  auto c = make_client(io_.get_executor(), cfg_);
  const command create{"XGROUP", "CREATE", "gatehouse:events", "tail", "$", "MKSTREAM"};
  ASSERT_TRUE(run(io_, c->exec("gatehouse:events", create)));
  std::vector<gh::store::Store::event_fields> events;
  for (int i = 0; i < 50; ++i) events.push_back({{"type", "mask"}, {"n", std::to_string(i)}});
  ASSERT_TRUE(run(io_, store_->append_events("gatehouse:events", events, 1000)));
  const command read{"XREADGROUP", "GROUP", "tail", "c1",      "COUNT",
                     "100",        "BLOCK", "100",  "STREAMS", "gatehouse:events",
                     ">"};
  auto r = run(io_, c->exec("gatehouse:events", read));
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->is_array());
  const auto& entries = r->elements.at(0).elements.at(1).elements;
  ASSERT_EQ(entries.size(), 50u);                          // none lost
  EXPECT_EQ(entries[7].elements[1].elements[3].str, "7");  // in order
  command ack{"XACK", "gatehouse:events", "tail"};
  for (const auto& e : entries) ack.arg(e.elements[0].str);
  auto acked = run(io_, c->exec("gatehouse:events", ack));
  ASSERT_TRUE(acked);
  EXPECT_EQ(acked->integer, 50);
  // MAXLEN ~ caps the stream (approximately, in whole macro nodes).
  std::vector<gh::store::Store::event_fields> more(3000, {{"type", "x"}});
  ASSERT_TRUE(run(io_, store_->append_events("gatehouse:events", more, 1000)));
  EXPECT_LT(std::atoi(server_->cli("XLEN gatehouse:events").c_str()), 1300);
  c->close();
}

TEST_F(RedisStore, ErrorsAreValuesWhenRedisIsDown) {
  server_->kill();
  auto r = run(io_, store_->incr("x", 1, 0ms));
  ASSERT_FALSE(r);  // connection refused / unavailable, never an exception
  auto l = run(io_, store_->limit(std::vector<window_spec>{{"k", 1, 1000ms}}, 1,
                                  window_algorithm::fixed, wall_ms()));
  EXPECT_FALSE(l);
}

}  // namespace
}  // namespace gh::redis
