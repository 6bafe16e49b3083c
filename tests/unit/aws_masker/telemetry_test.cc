// Masking counters on the process /metrics, and masking events through the process-wide
// events pipeline (src/events) into the store's stream — counts only, never originals.
#include "metrics/proxy_metrics.h"
#include "plugins/aws-masker/plugin.h"
#include "store/embedded/embedded_store.h"
#if defined(GH_AWS_MASKER_TEST_EVENTS)
#include "events/pipeline.h"
#endif

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <thread>

namespace gh::aws_masker {
namespace {

namespace js = boost::json;

std::shared_ptr<const plugin::Plugin> make(js::object config) {
  masker_factory f;
  std::vector<plugin::SchemaError> errors;
  f.validate(config, errors);
  config::PluginInstance inst;
  inst.id = "telemetry";
  inst.name = "aws-masker";
  inst.config = config;
  return f.build(inst, {});
}

void run_request(const plugin::Plugin& p, std::string body) {
  plugin::Context ctx;
  ctx.req.body = std::move(body);
  ctx.req.body_buffered = true;
  ctx.req.content_length = ctx.req.body.size();
  ctx.req.headers.set("Content-Type", "application/json");
  ctx.request_id = "req-telemetry";
  ASSERT_EQ(p.access(ctx), plugin::Flow::next);
  p.log(ctx);
}

TEST(Telemetry, CountersAreRenderedByTheProcessMetricsOncePerProcess) {
  metrics::proxy_metrics m(1);
  metrics::set_process_metrics(&m);
  auto p = make({});
  EXPECT_TRUE(process_metrics_registered());
  run_request(*p, R"({"c":"sg-0123456789abcdef0"})");
  make({});  // a second build does not register twice
  std::string text = m.render();
  metrics::set_process_metrics(nullptr);
  auto first = text.find("# TYPE gatehouse_aws_masker_identifiers_total counter");
  ASSERT_NE(first, std::string::npos) << text;
  EXPECT_EQ(text.find("# TYPE gatehouse_aws_masker_identifiers_total counter", first + 1),
            std::string::npos);
  EXPECT_NE(text.find("gatehouse_aws_masker_identifiers_total{type=\"SG\"}"), std::string::npos);
}

#if defined(GH_AWS_MASKER_TEST_EVENTS)
TEST(Telemetry, MaskingEventsGoThroughTheEventsPipelineWithCountsOnly) {
  auto store = std::make_shared<store::embedded_store>();
  js::object settings{
      {"enabled", true}, {"batch_size", 1}, {"flush_interval_ms", 10}, {"stream", "test:events"}};
  auto running = events::start(settings, store, "node-1", nullptr);
  ASSERT_NE(running, nullptr);
  auto p = make(js::object{{"events", js::object{{"enabled", true}}}});
  run_request(*p, R"({"c":"i-0123456789abcdef0 and 10.1.2.3"})");
  running->get().stop();
  auto events = store->tail("test:events", 10);
  running.reset();
  ASSERT_EQ(events.size(), 1u);
  std::string all;
  for (const auto& [k, v] : events[0]) all += k + "=" + v + ";";
  EXPECT_NE(all.find("count.EC2=1;"), std::string::npos) << all;
  EXPECT_NE(all.find("count.PRIVATE_IP=1;"), std::string::npos) << all;
  EXPECT_NE(all.find("request_id=req-telemetry;"), std::string::npos) << all;
  EXPECT_EQ(all.find("i-0123"), std::string::npos) << all;
  EXPECT_EQ(all.find("10.1.2.3"), std::string::npos) << all;
}
#endif

}  // namespace
}  // namespace gh::aws_masker
