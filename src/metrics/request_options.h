// What the metrics of one request should include, and the sample the proxy records.
//
// The prometheus plugin runs in the log phase and marks the request (consumer label,
// bandwidth) in its Context; right after the log phase, the proxy builds the sample with
// sample_from(ctx) and calls proxy_metrics::record(ctx.worker_index, sample). Requests no
// prometheus plugin applies to are still recorded, with consumer="" and no bandwidth
// (docs/plugins/prometheus.md explains how this differs from Kong).
#pragma once

#include "metrics/proxy_metrics.h"
#include "plugin/context.h"

#include <chrono>

namespace gh::metrics {

struct request_options {
  bool per_consumer = false;
  bool bandwidth = false;
};

// The request's options, created (all false) on first use.
request_options& options_of(plugin::Context& ctx);
// nullptr when no plugin touched them.
const request_options* find_options(plugin::Context& ctx);

// A sample of `ctx` as Kong's exporter labels it: service name (else host), route name
// (else id), consumer username when per_consumer asked for it. request latency is
// measured from ctx.started_at to `now`. The string_views point into ctx and its
// config entities: record it before they go.
request_sample sample_from(plugin::Context& ctx,
                           std::chrono::steady_clock::time_point now =
                               std::chrono::steady_clock::now());

}  // namespace gh::metrics
