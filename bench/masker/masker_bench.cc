// aws-masker throughput on the reference input: an Anthropic Messages request
// holding `aws ec2 describe-instances` output for 40 instances (43.3 KB, 358 distinct
// identifiers, 480 masked occurrences). Compare medians of several runs
// (--benchmark_repetitions=5 --benchmark_report_aggregates_only=true) on a shared machine.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/aws-masker/body_mask.h"
#include "plugins/aws-masker/restorer.h"
#include "plugins/aws-masker/simd.h"
#include "plugins/aws-masker/testdata/aws_samples.h"

namespace {

using namespace gh::aws_masker;

const std::string& request() {
  static const std::string r = testdata::messages_request(testdata::describe_instances(40).text);
  return r;
}

const mask_engine& engine() {
  static const mask_engine e{engine_options{}};
  return e;
}

// Masks `request` JSON-aware once per iteration, each time with a fresh map (request
// scope), and reports its size, its distinct identifiers and its masked occurrences.
void mask_request_repeatedly(benchmark::State& state, const std::string& request) {
  std::string out;
  std::size_t ids = 0;
  uint64_t occurrences = 0;
  for (auto _ : state) {
    mask_map map;
    mask_stats stats;
    out.clear();
    mask_body(engine(), "application/json", true, request, map, out, &stats);
    ids = map.size();
    occurrences = stats.masked;
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * request.size()));
  state.counters["bytes"] = static_cast<double>(request.size());
  state.counters["distinct_ids"] = static_cast<double>(ids);
  state.counters["masked"] = static_cast<double>(occurrences);
}

void BM_MaskMessagesRequestJson(benchmark::State& state) {
  mask_request_repeatedly(state, request());
}
BENCHMARK(BM_MaskMessagesRequestJson);

// The reference request with every digit written as 'x': the same bytes, escapes and
// shape, but no identifier (resource IDs, addresses and accounts all need digits). What
// masking costs here is the passes over the text (walk, blank, classify, scan); the rest
// of the reference request's time is the work per identifier found.
void BM_MaskMessagesRequestNoIdentifiers(benchmark::State& state) {
  static const std::string request = [] {
    std::string r = testdata::messages_request(testdata::describe_instances(40).text);
    std::replace_if(
        r.begin(), r.end(), [](char c) { return c >= '0' && c <= '9'; }, 'x');
    return r;
  }();
  mask_request_repeatedly(state, request);
}
BENCHMARK(BM_MaskMessagesRequestNoIdentifiers);

// The same shape of request with different identifiers each time (16 seeds in turn): a
// branch predictor can learn much of one 43 KB input masked over and over, which a
// gateway's traffic does not let it do.
void BM_MaskMessagesRequestJsonVaried(benchmark::State& state) {
  static const std::vector<std::string> requests = [] {
    std::vector<std::string> v;
    for (uint32_t seed = 1; seed <= 16; ++seed)
      v.push_back(testdata::messages_request(testdata::describe_instances(40, seed).text));
    return v;
  }();
  std::string out;
  std::size_t k = 0, bytes = 0;
  const bool same = state.range(0) != 0;
  for (auto _ : state) {
    // Read where it lies: copying the 43 KB request here added ~1 us to the measured time.
    const std::string& r = requests[same ? 0 : k++ % requests.size()];
    mask_map map;
    out.clear();
    mask_body(engine(), "application/json", true, r, map, out, nullptr);
    bytes += r.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_MaskMessagesRequestJsonVaried)->Arg(0)->Arg(1);

// The reference request with what describe-instances prints for public instances with an
// instance profile: a public DNS name (an AWS hostname), the profile's ARN and its AIPA ID
// after each public address. Vectorscan reads the text around those anchors (mask_engine):
// this case keeps that path measured where anchors are frequent.
void BM_MaskMessagesRequestWithHostsAndArns(benchmark::State& state) {
  static const std::string request = [] {
    const std::string text = testdata::describe_instances(40).text;
    const std::string_view key = "\"PublicIpAddress\": \"";
    std::string out;
    std::size_t pos = 0, n = 0;
    for (std::size_t at; (at = text.find(key, pos)) != std::string::npos; ++n) {
      const std::size_t ip = at + key.size(), ip_end = text.find('"', ip);
      std::string dashed = text.substr(ip, ip_end - ip);
      for (char& c : dashed) c = c == '.' ? '-' : c;
      const std::size_t line_end = text.find('\n', ip_end) + 1;
      out.append(text, pos, line_end - pos);
      char id[17];
      std::snprintf(id, sizeof id, "%016zX", 0x5A1B2C3D4E5F6071u * (n + 1));
      out += "\"PublicDnsName\": \"ec2-" + dashed + ".compute-1.amazonaws.com\",\n";
      out += "\"IamInstanceProfile\": {\"Arn\": \"arn:aws:iam::411220265334:instance-profile/web-" +
             std::to_string(n) + "\", \"Id\": \"AIPA" + id + "\"},\n";
      pos = line_end;
    }
    out.append(text, pos);
    return testdata::messages_request(out);
  }();
  std::string out;
  for (auto _ : state) {
    mask_map map;
    out.clear();
    mask_body(engine(), "application/json", true, request, map, out, nullptr);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * request.size()));
  state.counters["bytes"] = static_cast<double>(request.size());
}
BENCHMARK(BM_MaskMessagesRequestWithHostsAndArns);

void BM_MaskRawText(benchmark::State& state) {
  const std::string text = testdata::describe_instances(40).text;
  std::string out;
  for (auto _ : state) {
    mask_map map;
    out.clear();
    engine().mask(text, map, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_MaskRawText);

// The model echoes the masked prompt back as a stream of 20-byte text deltas, delivered
// in 1400-byte TCP-sized chunks.
void BM_UnmaskSseStream(benchmark::State& state) {
  mask_map map;
  std::string masked;
  engine().mask(testdata::describe_instances(40).text, map, masked);
  const std::string sse = testdata::sse_response(masked, 20);
  std::string out;
  for (auto _ : state) {
    sse_restorer r(&map);
    out.clear();
    for (std::size_t i = 0; i < sse.size(); i += 1400)
      r.feed(std::string_view(sse).substr(i, 1400), out);
    r.finish(out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * sse.size()));
}
BENCHMARK(BM_UnmaskSseStream);

void BM_UnmaskJsonStream(benchmark::State& state) {
  mask_map map;
  std::string masked;
  mask_body(engine(), "application/json", true, request(), map, masked);
  std::string out;
  for (auto _ : state) {
    stream_restorer r(&map, restore_escape::json);
    out.clear();
    for (std::size_t i = 0; i < masked.size(); i += 1400)
      r.feed(std::string_view(masked).substr(i, 1400), out);
    r.finish(out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * masked.size()));
}
BENCHMARK(BM_UnmaskJsonStream);

}  // namespace

// The engine is compiled before the first timed run, so a short run (or one under
// `valgrind --tool=callgrind --toggle-collect='gh::aws_masker::mask_body(*'`) measures
// masking only.
// GATEHOUSE_MASKER_SIMD=none|sse2|avx2 caps the vector level (compare the forms on one CPU).
int main(int argc, char** argv) {
  if (const char* cap = std::getenv("GATEHOUSE_MASKER_SIMD"); cap != nullptr) {
    const std::string_view c = cap;
    limit_simd(c == "none" ? simd_level::none
               : c == "sse2" ? simd_level::sse2
               : c == "avx2" ? simd_level::avx2
                             : simd_level::avx512);
  }
  engine();
  request();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
