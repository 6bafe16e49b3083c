#include "plugins/rate-limiting/rate_limiting.h"

#include "plugins/rate-limiting/local_counts.h"
#include "plugins/rate-limiting/periods.h"

#include "events/pipeline.h"
#include "metrics/wait_histogram.h"
#include "plugin/schema/schema.h"
#include "store/store.h"
#include "store/store_factory.h"

#include <boost/json.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/this_coro.hpp>
#include <boost/container/small_vector.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>
#include <span>
#include <stdexcept>

namespace gh::plugins {

namespace json = boost::json;
namespace rl = rate_limiting;
using plugin::Context;
using plugin::Flow;
using namespace plugin::schema;

namespace {

constexpr std::string_view empty_uuid = "00000000-0000-0000-0000-000000000000";
constexpr int64_t error_log_interval_ms = 10'000;

// How long requests waited for their counters from a store that answers asynchronously
// (policy redis): the latency the shared store adds to a request, measured where it is
// spent (docs/redis.md, "p99 added by Redis").
metrics::wait_histogram& store_wait() {
  static metrics::wait_histogram h(
      "gatehouse_rate_limiting_store_wait_seconds",
      "Time requests waited for rate-limiting counters from a store answering asynchronously "
      "(policy redis)");
  return h;
}

enum class limit_by { consumer, credential, ip, service, header, path };

limit_by parse_limit_by(std::string_view s) {
  if (s == "credential") return limit_by::credential;
  if (s == "ip") return limit_by::ip;
  if (s == "service") return limit_by::service;
  if (s == "header") return limit_by::header;
  if (s == "path") return limit_by::path;
  return limit_by::consumer;
}

struct period_limit {
  rl::period period;
  double configured;  // as written, for the headers (Kong prints the number)
  int64_t limit;      // admitted hits: Kong refuses once `limit - usage <= 0`
  std::string configured_text;  // `configured` formatted once, not per request
};

// What access computed, for header_filter (Kong sets the headers on the response): only
// numbers. The names and the configured limits are the plugin's, and header_filter
// formats the numbers straight into the response headers: nothing is allocated.
struct request_state {
  std::array<int64_t, rl::all_periods.size()> remaining{};  // per configured period
  std::size_t best = 0;  // the most restrictive period: the RateLimit-* headers
  int64_t reset_s = 0;
  bool blocked = false;  // adds Retry-After
};

using spec_list = boost::container::small_vector<store::window_spec, rl::all_periods.size()>;

// The windows one plugin last built for one identifier, kept per worker thread: a
// client's next requests in the same windows reuse the keys (~140 bytes each) and their
// hashes instead of building and hashing them again. `plugin` is the builder's serial,
// not its address (a plugin of a later snapshot may reuse an address).
struct window_cache {
  uint64_t plugin = 0;  // 0 = empty
  std::string id;
  spec_list specs;
  // The specs hold while from <= now < until: the latest start and the earliest end of
  // their fixed windows (sliding keys carry no date: always).
  int64_t from = 0;
  int64_t until = 0;
};

std::atomic<uint64_t> next_plugin_serial{1};

class rate_limiting_plugin final : public plugin::Plugin {
 public:
  rate_limiting_plugin(const config::PluginInstance& inst, const json::object& c,
                       std::shared_ptr<store::Store> store)
      : by_(parse_limit_by(get_string(c, "limit_by", "consumer"))),
        header_name_(get_string(c, "header_name")),
        path_(get_string(c, "path")),
        route_id_(inst.route_id.empty() ? std::string(empty_uuid) : inst.route_id),
        service_id_(inst.service_id.empty() ? std::string(empty_uuid) : inst.service_id),
        fault_tolerant_(get_bool(c, "fault_tolerant", true)),
        hide_client_headers_(get_bool(c, "hide_client_headers", false)),
        error_code_(static_cast<int>(get_int(c, "error_code", 429))),
        error_message_(get_string(c, "error_message", "API rate limit exceeded")),
        algorithm_(get_string(c, "algorithm", "fixed") == "sliding"
                       ? store::window_algorithm::sliding
                       : store::window_algorithm::fixed),
        store_(std::move(store)),
        tagged_(get_string(c, "policy", "local") == "redis") {
    for (rl::period p : rl::all_periods) {
      const json::value* v = get_path(c, rl::period_name(p));
      if (v == nullptr || !v->is_number()) continue;
      const double d = v->to_number<double>();
      periods_.push_back({p, d, saturating_int64(std::ceil(d)), fmt::format("{}", d)});
      own_headers_.push_back(rl::limit_header(p));
      own_headers_.push_back(rl::remaining_header(p));
    }
    for (std::string_view n : {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"})
      own_headers_.push_back(n);
    key_prefix_.append(tagged_ ? "ratelimit:{" : "ratelimit:")
        .append(route_id_).append(1, ':')
        .append(service_id_).append(1, ':');
    const double sync_rate = get_number(c, "sync_rate", -1);
    if (tagged_ && sync_rate > 0 && store_) {
      counts_ = std::make_shared<rl::local_counts>(
          store_, std::chrono::milliseconds(std::llround(sync_rate * 1000)));
    }
    sync_ = store_ && !counts_ && store_->limits_without_waiting();
  }
  ~rate_limiting_plugin() override {
    if (counts_) counts_->retire();  // its loop pushes the pending hits once more
  }

  bool waits() const noexcept override { return !sync_; }
  Flow access(Context& ctx) const override;
  boost::asio::awaitable<Flow> access_async(Context& ctx) const override;
  void header_filter(Context& ctx) const override;

 private:
  // The verdict on the store's answer: the 429 (with headers) or the state for
  // header_filter; a store error passes or fails by fault_tolerant.
  Flow decide(Context& ctx, const store::result<store::limit_result>& r) const;
  std::string_view identifier(const Context& ctx) const;
  spec_list windows(std::string_view id, int64_t now_ms) const;
  // windows() through this thread's cache; valid until the thread's next call (so only
  // for access() as a plain call: an awaiting access could see it replaced meanwhile).
  const spec_list& cached_windows(std::string_view id, int64_t now_ms) const;
  void record(const store::limit_result& r, bool blocked, request_state& out) const;
  void apply(const request_state& st, Headers& to) const;
  void log_store_error(const boost::system::error_code& ec) const;

  limit_by by_;
  std::string header_name_;
  std::string path_;
  std::string route_id_;
  std::string service_id_;
  bool fault_tolerant_;
  bool hide_client_headers_;
  int error_code_;
  std::string error_message_;
  store::window_algorithm algorithm_;
  std::shared_ptr<store::Store> store_;  // null: the node's store from the Context
  // policy redis: the key's identity part is a {hash tag}, so all periods of one client
  // live in one Cluster slot (one atomic script) and keys are equal on every topology.
  bool tagged_;
  std::string key_prefix_;  // "ratelimit:<route_id>:<service_id>:" ("ratelimit:{..." tagged)
  std::vector<period_limit> periods_;
  // The response headers header_filter sets (not Retry-After: only a refusal sends it).
  std::vector<std::string_view> own_headers_;
  mutable std::atomic<int64_t> last_error_log_ms_{0};
  // sync_rate > 0: the node's local counts, pushed to Redis every sync_rate seconds.
  std::shared_ptr<rl::local_counts> counts_;
  // The store answers without waiting (embedded, policy local): access runs as a plain
  // call, with no coroutine frame and no await per request.
  bool sync_ = false;
  const uint64_t serial_ = next_plugin_serial.fetch_add(1, std::memory_order_relaxed);
};

std::string_view rate_limiting_plugin::identifier(const Context& ctx) const {
  std::string_view id;
  switch (by_) {
    case limit_by::consumer:
      if (ctx.consumer != nullptr) id = ctx.consumer->id;
      else id = ctx.credential_id;
      break;
    case limit_by::credential:
      id = ctx.credential_id;
      break;
    case limit_by::service:
      if (ctx.service != nullptr) id = ctx.service->id;
      break;
    case limit_by::header:
      id = ctx.req.headers.get(header_name_).value_or(std::string_view{});
      break;
    case limit_by::path:
      if (ctx.req.path == path_) id = path_;
      break;
    case limit_by::ip:
      break;
  }
  // Kong's fallback: the client's (forwarded) address.
  if (id.empty()) id = !ctx.req.client_ip.empty() ? ctx.req.client_ip : ctx.req.remote_addr;
  return id;
}

spec_list rate_limiting_plugin::windows(std::string_view id, int64_t now_ms) const {
  spec_list out;
  for (const auto& p : periods_) {
    store::window_spec w;
    w.limit = p.limit;
    // Kong's key: ratelimit:<route_id>:<service_id>:<identifier>:<period_date>:<period>
    // (policy redis: ratelimit:{<route_id>:<service_id>:<identifier>}:<date>:<period>);
    // sliding windows put "sliding" where the date is. Built by appends: this runs for
    // every request and period.
    w.key.reserve(key_prefix_.size() + id.size() + 32);
    w.key.append(key_prefix_).append(id).append(tagged_ ? "}:" : ":");
    if (algorithm_ == store::window_algorithm::fixed) {
      const rl::period_window pw = rl::window_at(p.period, now_ms);
      char date[24];
      auto [end, ec] = std::to_chars(date, date + sizeof date, pw.start_ms);
      w.key.append(date, end);
      w.window = std::chrono::milliseconds(pw.length_ms);
      w.start_ms = pw.start_ms;
    } else {
      w.key.append("sliding");
      w.window = std::chrono::milliseconds(rl::nominal_length_ms(p.period));
    }
    w.key.append(1, ':').append(rl::period_name(p.period));
    out.push_back(std::move(w));
  }
  return out;
}

const spec_list& rate_limiting_plugin::cached_windows(std::string_view id,
                                                      int64_t now_ms) const {
  // A few entries, chosen by serial: routes with their own rate-limiting alternate
  // without evicting each other (unless their serials collide; then it is rebuilt).
  thread_local std::array<window_cache, 4> caches;
  window_cache& c = caches[serial_ % caches.size()];
  if (c.plugin == serial_ && c.from <= now_ms && now_ms < c.until && c.id == id) return c.specs;
  c.plugin = serial_;
  c.id.assign(id);
  c.specs = windows(id, now_ms);
  c.from = std::numeric_limits<int64_t>::min();
  c.until = std::numeric_limits<int64_t>::max();
  for (auto& w : c.specs) {
    w.key_hash = store::hash_key(w.key);
    if (algorithm_ == store::window_algorithm::fixed) {
      c.from = std::max(c.from, w.start_ms);
      c.until = std::min(c.until, w.start_ms + w.window.count());
    }
  }
  return c.specs;
}

void rate_limiting_plugin::record(const store::limit_result& r, bool blocked,
                                  request_state& out) const {
  // The most restrictive window: least remaining, ties to the longer period (Kong).
  std::size_t best = 0;
  for (std::size_t i = 0; i < periods_.size(); ++i) {
    const auto& w = r.windows[i];
    out.remaining[i] = w.remaining;
    if (i == 0) continue;
    const auto& b = r.windows[best];
    if (w.remaining < b.remaining ||
        (w.remaining == b.remaining &&
         rl::nominal_length_ms(periods_[i].period) > rl::nominal_length_ms(periods_[best].period))) {
      best = i;
    }
  }
  out.best = best;
  out.reset_s = std::max<int64_t>(1, (r.windows[best].reset.count() + 999) / 1000);
  out.blocked = blocked;
}

void rate_limiting_plugin::apply(const request_state& st, Headers& to) const {
  // Kong sets these headers, replacing what the upstream sent under the same names: one
  // pass drops those, then the values are appended (no lookup per header).
  to.remove_if([this](const HeaderField& f) {
    const char c = static_cast<char>(f.name.empty() ? 0 : f.name[0] | 0x20);
    if (c != 'x' && c != 'r') return false;
    for (std::string_view n : own_headers_) {
      if (iequals(f.name, n)) return true;
    }
    return false;
  });
  to.reserve(to.size() + 2 * periods_.size() + 4);
  // Each number is formatted once: the most restrictive period's remaining count and the
  // reset appear under two names.
  char digits[rl::all_periods.size() + 1][24];
  auto number = [&digits](std::size_t slot, int64_t v) {
    char* b = digits[slot];
    auto [end, ec] = std::to_chars(b, b + sizeof digits[slot], v);
    return std::string_view(b, static_cast<std::size_t>(end - b));
  };
  std::string_view best_remaining;
  for (std::size_t i = 0; i < periods_.size(); ++i) {
    const std::string_view remaining = number(i, st.remaining[i]);
    if (i == st.best) best_remaining = remaining;
    to.add(rl::limit_header(periods_[i].period), periods_[i].configured_text);
    to.add(rl::remaining_header(periods_[i].period), remaining);
  }
  const std::string_view reset = number(rl::all_periods.size(), st.reset_s);
  to.add("RateLimit-Limit", periods_[st.best].configured_text);
  to.add("RateLimit-Remaining", best_remaining);
  to.add("RateLimit-Reset", reset);
  if (st.blocked) to.add("Retry-After", reset);
}

void rate_limiting_plugin::log_store_error(const boost::system::error_code& ec) const {
  const int64_t now = rl::wall_clock_ms();
  int64_t last = last_error_log_ms_.load(std::memory_order_relaxed);
  if (now - last < error_log_interval_ms) return;
  if (!last_error_log_ms_.compare_exchange_strong(last, now)) return;
  spdlog::error("rate-limiting: failed to get usage: {} ({}; logged at most every {} s)",
                ec.message(), fault_tolerant_ ? "requests pass" : "requests get 500",
                error_log_interval_ms / 1000);
}

boost::asio::awaitable<Flow> rate_limiting_plugin::access_async(Context& ctx) const {
  if (periods_.empty()) co_return Flow::next;
  const int64_t now = rl::wall_clock_ms();
  const spec_list list = windows(identifier(ctx), now);
  const std::span<const store::window_spec> specs(list.data(), list.size());
  store::Store* st = store_ ? store_.get() : ctx.store;
  // (No co_await inside ?: — GCC 12 miscompiles it.)
  store::result<store::limit_result> r(
      boost::system::in_place_error,
      boost::system::errc::make_error_code(boost::system::errc::not_connected));
  std::optional<store::limit_result> local;
  if (counts_) {
    counts_->start(co_await boost::asio::this_coro::executor);
    local = counts_->try_admit(specs, 1, now);
  }
  if (local) {
    r = std::move(*local);
  } else if (st != nullptr) {
    const auto asked = std::chrono::steady_clock::now();
    r = co_await st->limit(specs, 1, algorithm_, now);
    store_wait().record(std::chrono::steady_clock::now() - asked);
    if (counts_ && r) counts_->seed(specs, *r, now);
  }
  co_return decide(ctx, r);
}

Flow rate_limiting_plugin::access(Context& ctx) const {
  // Only when the store answers without waiting (waits() is false): see sync_.
  if (periods_.empty()) return Flow::next;
  const int64_t now = rl::wall_clock_ms();
  const spec_list& list = cached_windows(identifier(ctx), now);
  return decide(ctx, store_->limit_now({list.data(), list.size()}, 1, algorithm_, now));
}

Flow rate_limiting_plugin::decide(Context& ctx, const store::result<store::limit_result>& r) const {
  if (!r || r->windows.size() != periods_.size()) {
    log_store_error(r ? boost::system::errc::make_error_code(boost::system::errc::protocol_error)
                      : r.error());
    if (fault_tolerant_) return Flow::next;
    ctx.exit(500, "An unexpected error occurred");
    return Flow::respond;
  }
  if (!r->admitted) {
    if (events::enabled()) {
      // Identifiers of the configuration only: never the client's identity or address.
      std::string_view period;
      for (std::size_t i = 0; i < periods_.size(); ++i) {
        if (r->windows[i].remaining <= 0) {
          period = rl::period_name(periods_[i].period);
          break;
        }
      }
      events::submit("rate-limiting.exceeded", {{"route", route_id_},
                                                {"service", service_id_},
                                                {"period", std::string(period)}});
    }
    ctx.exit(error_code_, error_message_);
    if (!hide_client_headers_) {
      request_state st;
      record(*r, true, st);
      apply(st, ctx.exit_headers());
    }
    return Flow::respond;
  }
  if (!hide_client_headers_) record(*r, false, ctx.state<request_state>(this));
  return Flow::next;
}

void rate_limiting_plugin::header_filter(Context& ctx) const {
  if (auto* st = ctx.find_state<request_state>(this)) {
    apply(*st, ctx.resp.headers);
  }
}

}  // namespace

std::shared_ptr<const plugin::Plugin> rate_limiting_factory::build(
    const config::PluginInstance& instance, const plugin::BuildContext& ctx) const {
  const json::object& c = instance.config;
  std::shared_ptr<store::Store> st;
  if (get_string(c, "policy", "local") == "redis") {
    const json::object* redis = get_object(c, "redis");
    try {
      st = store::make_redis_store_for(redis != nullptr ? *redis : json::object());
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string("rate-limiting: config.policy: ") + e.what());
    }
  } else {
    st = ctx.store;  // may be null: then the request's Context::store is used
  }
  return std::make_shared<rate_limiting_plugin>(instance, c, std::move(st));
}

void register_rate_limiting(plugin::Registry& r) {
  r.add(std::make_unique<rate_limiting_factory>());
}

}  // namespace gh::plugins
