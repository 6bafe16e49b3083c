// The events pipeline (src/events): batching by size or time, the bounded queue's drops,
// sampling, the fields it adds, Redis Streams as the sink (real redis-server), lost
// batches counted, settings errors, named connections, and `events tail` resuming with
// its consumer group.
#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <thread>

#include <boost/json/parse.hpp>

#include "events/pipeline.h"
#include "events/tail.h"
#include "store/embedded/embedded_store.h"
#include "store/redis/connections.h"
#include "store/redis/redis_store.h"
#include "tests/redis/harness.h"

namespace gh::events {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

// Polls `cond` until true or `limit` passes (the flusher runs on its own thread).
template <class F>
bool eventually(F cond, std::chrono::milliseconds limit = 3000ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

settings make_settings(std::size_t batch, int interval_ms, std::size_t max_queue = 10000) {
  settings s;
  s.enabled = true;
  s.stream = "test:events";
  s.batch_size = batch;
  s.flush_interval_ms = interval_ms;
  s.max_queue = max_queue;
  return s;
}

TEST(EventsPipeline, WritesAFullBatchLongBeforeTheFlushInterval) {
  auto store = std::make_shared<gh::store::embedded_store>();
  pipeline p(make_settings(5, 60'000), store, "node-a");
  for (int i = 0; i < 5; ++i) p.submit("test", {{"i", std::to_string(i)}});
  EXPECT_TRUE(eventually([&] { return store->appended("test:events") == 5; }));
  EXPECT_EQ(p.totals().written, 5u);
}

TEST(EventsPipeline, FlushesAPartialBatchWhenTheIntervalEnds) {
  auto store = std::make_shared<gh::store::embedded_store>();
  pipeline p(make_settings(100, 30), store, "node-a");
  p.submit("test", {{"k", "v"}});
  p.submit("test", {{"k", "v"}});
  EXPECT_TRUE(eventually([&] { return store->appended("test:events") == 2; }));
}

TEST(EventsPipeline, AddsTypeTimeAndNodeBeforeTheProducerFields) {
  auto store = std::make_shared<gh::store::embedded_store>();
  pipeline p(make_settings(1, 60'000), store, "node-a");
  p.submit("masking.applied", {{"route", "r1"}, {"count", "3"}});
  ASSERT_TRUE(eventually([&] { return store->appended("test:events") == 1; }));
  const auto ev = store->tail("test:events", 1).at(0);
  ASSERT_EQ(ev.size(), 5u);
  EXPECT_EQ(ev[0], (std::pair<std::string, std::string>{"type", "masking.applied"}));
  EXPECT_EQ(ev[1].first, "ts");
  EXPECT_GT(std::stoll(ev[1].second), 1'600'000'000'000LL);
  EXPECT_EQ(ev[2], (std::pair<std::string, std::string>{"node", "node-a"}));
  EXPECT_EQ(ev[3], (std::pair<std::string, std::string>{"route", "r1"}));
}

TEST(EventsPipeline, DropsAndCountsEventsBeyondTheQueueBoundThenFlushesTheRestOnStop) {
  auto store = std::make_shared<gh::store::embedded_store>();
  // The flusher waits a minute and the batch never fills: the queue holds at most 10.
  pipeline p(make_settings(1000, 60'000, 10), store, "n");
  int accepted = 0;
  for (int i = 0; i < 25; ++i) accepted += p.submit("t", {{"i", std::to_string(i)}}) ? 1 : 0;
  EXPECT_EQ(accepted, 10);
  EXPECT_EQ(p.totals().submitted, 10u);
  EXPECT_EQ(p.totals().dropped, 15u);
  EXPECT_EQ(p.queued(), 10u);
  p.stop();
  EXPECT_EQ(store->appended("t"), 0u);  // (another stream name: nothing there)
  EXPECT_EQ(store->appended("test:events"), 10u);
  EXPECT_EQ(p.totals().written, 10u);
  std::string metrics;
  p.render_metrics(metrics);
  EXPECT_NE(metrics.find("gatehouse_events_dropped_total 15\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("gatehouse_events_written_total 10\n"), std::string::npos) << metrics;
}

TEST(EventsPipeline, SampleRateKeepsTheConfiguredFraction) {
  auto store = std::make_shared<gh::store::embedded_store>();
  auto s = make_settings(1000, 60'000, 100'000);
  s.sample_rate = 0;
  pipeline none(s, store, "n");
  for (int i = 0; i < 1000; ++i) none.submit("t", {});
  EXPECT_EQ(none.totals().submitted, 0u);
  EXPECT_EQ(none.totals().sampled_out, 1000u);
  s.sample_rate = 0.25;
  pipeline quarter(s, store, "n");
  for (int i = 0; i < 20000; ++i) quarter.submit("t", {});
  const auto kept = quarter.totals().submitted;
  EXPECT_GT(kept, 4500u);
  EXPECT_LT(kept, 5500u);
  EXPECT_EQ(kept + quarter.totals().sampled_out, 20000u);
}

TEST(EventsPipeline, ManyProducerThreadsLoseNothingWithinTheBound) {
  auto store = std::make_shared<gh::store::embedded_store>();
  pipeline p(make_settings(64, 5, 100'000), store, "n");
  std::vector<std::thread> producers;
  for (int t = 0; t < 4; ++t) {
    producers.emplace_back([&p, t] {
      for (int i = 0; i < 2000; ++i) p.submit("t", {{"p", std::to_string(t)}});
    });
  }
  for (auto& t : producers) t.join();
  p.stop();
  EXPECT_EQ(p.totals().submitted, 8000u);
  EXPECT_EQ(p.totals().written, 8000u);
  EXPECT_EQ(store->appended("test:events"), 8000u);
}

TEST(EventsSettings, RefusesBadValuesNamingTheField) {
  auto err = [](const char* text) {
    try {
      parse_settings(json::parse(text).as_object());
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(err(R"({"batch_size": 0})").find("events.batch_size"), std::string::npos);
  EXPECT_NE(err(R"({"sample_rate": 2})").find("events.sample_rate"), std::string::npos);
  EXPECT_NE(err(R"({"store": "disk"})").find("events.store"), std::string::npos);
  EXPECT_NE(err(R"({"store": "redis"})").find("needs a redis block"), std::string::npos);
  EXPECT_NE(err(R"({"stream_name": "x"})").find("unknown field"), std::string::npos);
  EXPECT_NE(err(R"({"store": "redis", "redis": {"port": "x"}})").find("events.redis.port"),
            std::string::npos);
  EXPECT_EQ(err(R"({"enabled": true, "store": "redis", "connection": "main"})"), "");
  const auto s = parse_settings(json::object{});
  EXPECT_FALSE(s.enabled);
  EXPECT_EQ(s.stream, "gatehouse:events");
}

TEST(NamedConnections, FieldsNextToTheReferenceOverrideTheNamedOnes) {
  const auto conns = json::parse(R"({"main": {"host": "10.0.0.1", "port": 7000}})").as_object();
  const auto out =
      gh::redis::resolve_connection(json::parse(R"({"connection": "main", "database": 2})").as_object(), conns);
  EXPECT_EQ(out.at("host").as_string(), "10.0.0.1");
  EXPECT_EQ(out.at("port").as_int64(), 7000);
  EXPECT_EQ(out.at("database").as_int64(), 2);
  EXPECT_FALSE(out.contains("connection"));
  try {
    gh::redis::resolve_connection(json::parse(R"({"connection": "other"})").as_object(), conns);
    FAIL() << "an unknown name must be refused";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("'other'"), std::string::npos);
  }
  EXPECT_THROW(gh::redis::validate_named_connections(
                   json::parse(R"({"bad": {"port": 99999}})").as_object()),
               std::runtime_error);
}

// ---- against a real redis-server ----------------------------------------------------------

class EventsOnRedis : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = gh::redis::testing::redis_process::start();
    ASSERT_TRUE(server_);
    gh::redis::install(json::object{});
  }
  settings redis_settings(std::size_t batch) {
    auto s = make_settings(batch, 20);
    s.store = "redis";
    s.redis = json::object{{"host", "127.0.0.1"}, {"port", server_->port()}, {"timeout", 500}};
    return s;
  }
  std::string xlen() { return server_->cli("XLEN test:events"); }
  std::unique_ptr<gh::redis::testing::redis_process> server_;
};

TEST_F(EventsOnRedis, EventsLandInTheStreamInBatches) {
  json::object cfg{{"enabled", true},       {"store", "redis"},
                   {"stream", "test:events"}, {"batch_size", 10},
                   {"flush_interval_ms", 20}, {"redis", json::object{{"host", "127.0.0.1"},
                                                                     {"port", server_->port()}}}};
  auto run = start(cfg, nullptr, "node-r", nullptr);
  ASSERT_TRUE(run);
  for (int i = 0; i < 25; ++i) submit("test.event", {{"i", std::to_string(i)}});
  EXPECT_TRUE(eventually([&] { return run->get().totals().written == 25; }));
  EXPECT_EQ(xlen(), "25\n");
  const std::string first = server_->cli("XRANGE test:events - + COUNT 1");
  EXPECT_NE(first.find("test.event"), std::string::npos);
  EXPECT_NE(first.find("node-r"), std::string::npos);
}

TEST_F(EventsOnRedis, BatchesLostWhileRedisIsDownAreCountedNotRetriedForever) {
  auto s = redis_settings(5);
  pipeline p(s, gh::redis::make_redis_store(gh::redis::resolve_installed(s.redis)), "n");
  server_->kill();
  for (int i = 0; i < 10; ++i) p.submit("t", {});
  EXPECT_TRUE(eventually([&] { return p.totals().failed == 10; }));
  EXPECT_EQ(p.totals().written, 0u);
}

TEST_F(EventsOnRedis, TailPrintsEventsAndResumesWhereItsGroupStopped) {
  for (int i = 0; i < 3; ++i) {
    server_->cli("XADD test:events '*' type demo ts 1700000000000 i " + std::to_string(i));
  }
  tail_options o;
  o.redis = "127.0.0.1:" + std::to_string(server_->port());
  o.stream = "test:events";
  o.group = "g";
  o.consumer = "c";
  o.count = 2;
  std::ostringstream out1, err1;
  ASSERT_EQ(run_tail(o, out1, err1), 0) << err1.str();
  EXPECT_NE(out1.str().find("2023-11-14T22:13:20.000Z  demo  i=0"), std::string::npos) << out1.str();
  EXPECT_NE(out1.str().find("i=1"), std::string::npos);
  EXPECT_EQ(out1.str().find("i=2"), std::string::npos);
  // Started again: the third entry only (the first two were acknowledged).
  o.count = 1;
  o.json = true;
  std::ostringstream out2, err2;
  ASSERT_EQ(run_tail(o, out2, err2), 0) << err2.str();
  EXPECT_NE(out2.str().find(R"("i":"2")"), std::string::npos) << out2.str();
  EXPECT_EQ(out2.str().find(R"("i":"0")"), std::string::npos) << out2.str();
  EXPECT_EQ(server_->cli("XPENDING test:events g"), "0\n\n\n\n");
}

}  // namespace
}  // namespace gh::events
