#include "telemetry.h"

#include "metrics/proxy_metrics.h"
#if defined(GH_AWS_MASKER_EVENTS_PIPELINE)
#include "events/pipeline.h"
#endif

#include <cstdio>
#include <map>
#include <mutex>
#include <set>

namespace gh::aws_masker {
namespace {

struct totals {
  std::mutex mu;
  std::set<const instance_counters*> live;
  std::map<std::string, uint64_t> per_type;
  uint64_t requests_masked = 0, requests_refused = 0, bytes_masked = 0, store_errors = 0,
           restored = 0, mask_nanos = 0;
  std::shared_ptr<event_sink> sink;
  std::atomic<bool> has_sink{false};
  std::atomic<bool> registered{false};
};

totals& global() {
  static totals* t = new totals();  // never destroyed: counters may retire at exit
  return *t;
}

}  // namespace

instance_counters::instance_counters(std::vector<std::string> type_names)
    : names_(std::move(type_names)), per_type_(new std::atomic<uint64_t>[names_.size()]) {
  for (std::size_t i = 0; i < names_.size(); ++i) per_type_[i] = 0;
  std::lock_guard lock(global().mu);
  global().live.insert(this);
}

instance_counters::~instance_counters() {
  totals& g = global();
  std::lock_guard lock(g.mu);
  g.live.erase(this);
  for (std::size_t i = 0; i < names_.size(); ++i) g.per_type[names_[i]] += per_type_[i];
  g.requests_masked += requests_masked;
  g.requests_refused += requests_refused;
  g.bytes_masked += bytes_masked;
  g.store_errors += store_errors;
  g.restored += tokens_restored_responses;
  g.mask_nanos += mask_nanos;
}

void instance_counters::add_type(std::size_t type, uint64_t n) noexcept {
  if (type < names_.size()) per_type_[type].fetch_add(n, std::memory_order_relaxed);
}

uint64_t instance_counters::type_count(std::size_t type) const noexcept {
  return type < names_.size() ? per_type_[type].load(std::memory_order_relaxed) : 0;
}

std::string render_metrics() {
  totals& g = global();
  std::lock_guard lock(g.mu);
  std::map<std::string, uint64_t> per_type = g.per_type;
  uint64_t masked = g.requests_masked, refused = g.requests_refused, bytes = g.bytes_masked,
           store_err = g.store_errors, restored = g.restored, nanos = g.mask_nanos;
  for (const instance_counters* c : g.live) {
    for (std::size_t i = 0; i < c->type_names().size(); ++i)
      per_type[c->type_names()[i]] += c->type_count(i);
    masked += c->requests_masked;
    refused += c->requests_refused;
    bytes += c->bytes_masked;
    store_err += c->store_errors;
    restored += c->tokens_restored_responses;
    nanos += c->mask_nanos;
  }
  std::string out;
  out += "# HELP gatehouse_aws_masker_identifiers_total AWS identifiers masked, by type.\n";
  out += "# TYPE gatehouse_aws_masker_identifiers_total counter\n";
  for (const auto& [type, n] : per_type) {
    if (n == 0) continue;
    out +=
        "gatehouse_aws_masker_identifiers_total{type=\"" + type + "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP gatehouse_aws_masker_requests_total Requests seen by aws-masker, by outcome.\n";
  out += "# TYPE gatehouse_aws_masker_requests_total counter\n";
  out += "gatehouse_aws_masker_requests_total{outcome=\"masked\"} " + std::to_string(masked) + "\n";
  out +=
      "gatehouse_aws_masker_requests_total{outcome=\"refused\"} " + std::to_string(refused) + "\n";
  out += "# HELP gatehouse_aws_masker_bytes_total Request body bytes masked.\n";
  out += "# TYPE gatehouse_aws_masker_bytes_total counter\n";
  out += "gatehouse_aws_masker_bytes_total " + std::to_string(bytes) + "\n";
  out += "# HELP gatehouse_aws_masker_store_errors_total Mapping store failures.\n";
  out += "# TYPE gatehouse_aws_masker_store_errors_total counter\n";
  out += "gatehouse_aws_masker_store_errors_total " + std::to_string(store_err) + "\n";
  out += "# HELP gatehouse_aws_masker_restored_responses_total Responses restored.\n";
  out += "# TYPE gatehouse_aws_masker_restored_responses_total counter\n";
  out += "gatehouse_aws_masker_restored_responses_total " + std::to_string(restored) + "\n";
  out += "# HELP gatehouse_aws_masker_mask_seconds_total Time spent masking requests (bodies, "
         "headers, store round trips of shared scopes).\n";
  out += "# TYPE gatehouse_aws_masker_mask_seconds_total counter\n";
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.9f", static_cast<double>(nanos) / 1e9);
  out += "gatehouse_aws_masker_mask_seconds_total " + std::string(seconds) + "\n";
  return out;
}

store::Store::event_fields to_fields(const masking_event& e) {
  store::Store::event_fields f;
  f.emplace_back("request_id", e.request_id);
  f.emplace_back("scope", e.scope);
  f.emplace_back("outcome", e.outcome);
  f.emplace_back("bytes_in", std::to_string(e.bytes_in));
  f.emplace_back("bytes_out", std::to_string(e.bytes_out));
  f.emplace_back("micros", std::to_string(e.micros));
  for (const auto& [type, n] : e.counts) f.emplace_back("count." + type, std::to_string(n));
  return f;
}

void set_event_sink(std::shared_ptr<event_sink> sink) {
  std::lock_guard lock(global().mu);
  global().has_sink.store(sink != nullptr, std::memory_order_relaxed);
  global().sink = std::move(sink);
}

bool publish_event(const std::string& stream, std::size_t max_len, masking_event e) {
  if (global().has_sink.load(std::memory_order_relaxed)) {
    if (auto sink = current_event_sink()) {
      sink->submit(stream, max_len, std::move(e));
      return true;
    }
  }
#if defined(GH_AWS_MASKER_EVENTS_PIPELINE)
  if (gh::events::enabled()) {
    gh::events::submit("aws-masker", to_fields(e));
    return true;
  }
#endif
  return false;
}

void register_process_metrics() noexcept {
  totals& g = global();
  if (g.registered.load(std::memory_order_acquire)) return;
  metrics::proxy_metrics* m = metrics::process_metrics();
  if (m == nullptr) return;
  std::lock_guard lock(g.mu);
  if (g.registered.load(std::memory_order_relaxed)) return;
  m->add_renderer([](std::string& out) { out += render_metrics(); });
  g.registered.store(true, std::memory_order_release);
}

bool process_metrics_registered() noexcept {
  return global().registered.load(std::memory_order_acquire);
}

std::shared_ptr<event_sink> current_event_sink() {
  std::lock_guard lock(global().mu);
  return global().sink;
}

}  // namespace gh::aws_masker
