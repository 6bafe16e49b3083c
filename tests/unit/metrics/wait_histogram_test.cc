#include "metrics/wait_histogram.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "metrics/proxy_metrics.h"

namespace gh::metrics {
namespace {

using std::chrono::microseconds;

bool contains(const std::string& text, std::string_view line) {
  return text.find(line) != std::string::npos;
}

TEST(WaitHistogram, RendersNothingBeforeTheFirstWait) {
  wait_histogram h("w_seconds", "help");
  std::string out;
  h.render(out);
  EXPECT_EQ(out, "");
}

TEST(WaitHistogram, CountsEachWaitInTheFirstBucketThatHoldsItCumulatively) {
  wait_histogram h("w_seconds", "Waits");
  h.record(microseconds(50));                  // on the first bound: le 5e-05
  h.record(microseconds(51));                  // le 0.0001
  h.record(std::chrono::nanoseconds(50'200));  // above 50 us: le 0.0001
  h.record(microseconds(999));                 // le 0.001
  h.record(microseconds(1'000));               // le 0.001
  h.record(std::chrono::seconds(2));           // +Inf
  h.record(-microseconds(5));                  // a clock step back counts as 0
  std::string out;
  h.render(out);
  EXPECT_TRUE(contains(out, "# HELP w_seconds Waits\n# TYPE w_seconds histogram\n"));
  EXPECT_TRUE(contains(out, "w_seconds_bucket{le=\"5e-05\"} 2\n"));
  EXPECT_TRUE(contains(out, "w_seconds_bucket{le=\"0.0001\"} 4\n"));
  EXPECT_TRUE(contains(out, "w_seconds_bucket{le=\"0.00075\"} 4\n"));
  EXPECT_TRUE(contains(out, "w_seconds_bucket{le=\"0.001\"} 6\n"));
  EXPECT_TRUE(contains(out, "w_seconds_bucket{le=\"1\"} 6\n"));
  EXPECT_TRUE(contains(out, "w_seconds_bucket{le=\"+Inf\"} 7\n"));
  EXPECT_TRUE(contains(out, "w_seconds_count 7\n"));
  EXPECT_TRUE(contains(out, "w_seconds_sum 2.0021502\n"));
}

TEST(WaitHistogram, SumsTheShardsOfManyThreads) {
  wait_histogram h("w_seconds", "Waits");
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t) {  // more threads than shards
    threads.emplace_back([&h] {
      for (int i = 0; i < 1000; ++i) h.record(microseconds(300));
    });
  }
  for (auto& t : threads) t.join();
  std::string out;
  h.render(out);
  EXPECT_TRUE(contains(out, "w_seconds_bucket{le=\"0.0002\"} 0\n"));
  EXPECT_TRUE(contains(out, "w_seconds_bucket{le=\"0.0003\"} 12000\n"));
  EXPECT_TRUE(contains(out, "w_seconds_count 12000\n"));
}

TEST(WaitHistogram, RegistersWithTheProcessMetricsOnTheFirstWait) {
  proxy_metrics m(1);
  set_process_metrics(&m);
  static wait_histogram h("registered_wait_seconds", "Waits");
  EXPECT_FALSE(contains(m.render(), "registered_wait_seconds"));
  h.record(microseconds(10));
  h.record(microseconds(10));
  EXPECT_TRUE(contains(m.render(), "registered_wait_seconds_count 2\n"));
  set_process_metrics(nullptr);
}

}  // namespace
}  // namespace gh::metrics
