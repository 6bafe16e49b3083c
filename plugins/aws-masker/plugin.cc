#include "plugin.h"

#include <openssl/evp.h>

#include <charconv>
#include <random>
#include <stdexcept>

#include "core/headers.h"
#include "core/spare_string.h"
#include "plugin/schema/redis_record.h"
#include "store/store_factory.h"

namespace gh::aws_masker {
namespace {

using plugin::Context;
using plugin::Flow;
using plugin::Request;
using Clock = std::chrono::steady_clock;

std::string sha256_hex(std::string_view v) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(v.data(), v.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 0xF];
  }
  return out;
}

uint64_t nanos_since(Clock::time_point t0) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
}

// The buffer a masked body is written into: each request's original body buffer becomes
// the next request's output buffer on this worker, so masking allocates no 40+ KB buffer
// per request. A buffer over 1 MB is not kept (it would pin its size in every worker).
thread_local spare_string tls_spare_body;  // up to 1 MB kept

std::string take_spare_body() { return tls_spare_body.take(); }
void recycle_body(std::string&& body) { tls_spare_body.give(std::move(body)); }

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

}  // namespace

masker_plugin::masker_plugin(masker_config cfg, std::string instance_id,
                             std::shared_ptr<store::Store> store, bool own_store)
    : cfg_(std::move(cfg)),
      instance_id_(std::move(instance_id)),
      store_(std::move(store)),
      own_store_(own_store),
      counters_(std::make_unique<instance_counters>(cfg_.engine->type_names())) {}

Flow masker_plugin::refuse(Context& ctx, int status, std::string_view message) const {
  counters_->requests_refused.fetch_add(1, std::memory_order_relaxed);
  ctx.exit(status, message);
  return Flow::respond;
}

bool masker_plugin::prepare_body(Context& ctx) const {
  Request& req = ctx.req;
  if (req.content_length.value_or(0) > cfg_.max_body_size) {
    refuse(ctx, 413, "Request size limit exceeded");
    return false;
  }
  if (!req.body_buffered && (req.content_length.value_or(0) > 0 || req.chunked)) {
    refuse(ctx, 413, "Request size limit exceeded");  // the proxy did not buffer it: too large
    return false;
  }
  if (auto enc = req.headers.get("Content-Encoding");
      enc && !enc->empty() && !iequals(*enc, "identity")) {
    std::string decoded;
    switch (decode_body(*enc, req.body, cfg_.max_body_size, decoded)) {
      case decode_result::ok:
        req.body = std::move(decoded);
        req.headers.remove("Content-Encoding");
        break;
      case decode_result::too_large:
        refuse(ctx, 413, "Request size limit exceeded");
        return false;
      case decode_result::invalid:
        refuse(ctx, 415, "Request body could not be decoded");
        return false;
      case decode_result::unsupported:
        refuse(ctx, 415, "Unsupported Content-Encoding");
        return false;
    }
  }
  if (req.body.size() > cfg_.max_body_size) {
    refuse(ctx, 413, "Request size limit exceeded");
    return false;
  }
  return true;
}

void masker_plugin::apply_mask(Context& ctx, request_state& st, std::string body) const {
  const mask_engine& engine = *cfg_.engine;
  Request& req = ctx.req;
  st.bytes_in = body.size();
  std::string out = take_spare_body();
  std::string_view ct = req.headers.get("Content-Type").value_or("");
  if (!body.empty() &&
      mask_body_if_needed(engine, ct, cfg_.json_aware, body, st.map, out, &st.stats)) {
    req.body = std::move(out);
    recycle_body(std::move(body));
  } else {
    req.body = std::move(body);  // nothing to mask: sent as it came, not copied
    recycle_body(std::move(out));
  }
  st.bytes_out = req.body.size();
  if (req.content_length || req.headers.has("Content-Length")) {
    req.content_length = req.body.size();
    req.headers.set("Content-Length", std::to_string(req.body.size()));
  }
  for (const std::string& name : cfg_.mask_headers) {
    std::vector<std::string> values;
    for (std::string_view v : req.headers.get_all(name)) values.emplace_back(v);
    if (values.empty()) continue;
    req.headers.remove(name);
    for (const std::string& v : values) {
      std::string masked;
      engine.mask(v, st.map, masked, &st.stats);
      req.headers.add(name, masked);
    }
  }
  if (cfg_.restore_responses) req.headers.set("Accept-Encoding", "identity");
  st.masked = true;
}

Flow masker_plugin::access(Context& ctx) const {
  auto t0 = Clock::now();
  if (!prepare_body(ctx)) return Flow::respond;
  request_state& st = ctx.state<request_state>(this);
  apply_mask(ctx, st, std::move(ctx.req.body));
  st.nanos = nanos_since(t0);
  return Flow::next;
}

boost::asio::awaitable<bool> masker_plugin::sync_scope(store::Store& store,
                                                       const std::string& prefix,
                                                       const mask_map& probe, mask_map& out) const {
  const auto ttl = cfg_.store_ttl;
  std::vector<std::string> keys;
  for (const auto& e : probe.entries()) keys.push_back(prefix + "v:" + sha256_hex(e.value));
  auto found = co_await store.get_many(keys);
  if (!found || found->size() != keys.size()) co_return false;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const mask_map::entry e = probe.at(i);
    std::string token;
    if ((*found)[i]) {
      token = *(*found)[i];
    } else {
      // Claim a fresh number: the token key first (unique token), then the value key
      // (first writer wins; a loser adopts the winner's token).
      // A counter that expired while tokens it numbered live on collides with them: each
      // failed claim jumps further (1, 2, 4, ... numbers), past any such run.
      bool claimed = false;
      for (int attempt = 0; attempt < 16 && !claimed; ++attempt) {
        auto n = co_await store.incr(prefix + "n:" + std::string(e.type), int64_t{1} << attempt, ttl * 2);
        if (!n || *n <= 0) co_return false;
        token = mask_map::make_token(e.type, static_cast<unsigned long>(*n));
        auto t = co_await store.set_if_absent(prefix + "t:" + token, e.value, ttl);
        if (!t) co_return false;
        claimed = *t;
      }
      if (!claimed) co_return false;
      auto v = co_await store.set_if_absent(keys[i], token, ttl);
      if (!v) co_return false;
      if (!*v) {
        auto winner = co_await store.get(keys[i]);
        if (!winner || !*winner) co_return false;
        token = **winner;
      }
    }
    std::string_view type;
    unsigned long number = 0;
    if (!mask_map::parse_token(token, type, number) || !out.insert(e.type, token, e.value)) {
      co_return false;  // corrupt or conflicting scope entry
    }
  }
  co_return true;
}

boost::asio::awaitable<bool> masker_plugin::load_issued(store::Store& store,
                                                        const std::string& prefix,
                                                        mask_map& map) const {
  const std::size_t limit = cfg_.scope_restore_limit;
  if (limit == 0) co_return true;
  const auto& types = cfg_.engine->type_names();
  std::vector<std::string> keys;
  keys.reserve(types.size());
  for (const auto& t : types) keys.push_back(prefix + "n:" + t);
  auto counts = co_await store.get_many(keys);
  if (!counts || counts->size() != keys.size()) co_return false;
  std::vector<unsigned long> next(types.size(), 0);
  for (std::size_t i = 0; i < types.size(); ++i) {
    const auto& v = (*counts)[i];
    if (!v) continue;
    unsigned long n = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec == std::errc() && p == v->data() + v->size()) next[i] = n;
  }
  // Newest first, one token per type in turn, until the limit.
  keys.clear();
  std::vector<std::pair<std::size_t, std::string>> wanted;  // type index, token
  for (bool more = true; more && keys.size() < limit;) {
    more = false;
    for (std::size_t i = 0; i < types.size() && keys.size() < limit; ++i) {
      if (next[i] == 0) continue;
      more = true;
      std::string token = mask_map::make_token(types[i], next[i]--);
      if (map.value_of(token)) continue;
      keys.push_back(prefix + "t:" + token);
      wanted.emplace_back(i, std::move(token));
    }
  }
  if (keys.empty()) co_return true;
  auto values = co_await store.get_many(keys);
  if (!values || values->size() != keys.size()) co_return false;
  for (std::size_t k = 0; k < keys.size(); ++k) {
    if ((*values)[k]) map.insert(types[wanted[k].first], wanted[k].second, *(*values)[k]);
  }
  co_return true;
}

boost::asio::awaitable<Flow> masker_plugin::access_async(Context& ctx) const {
  std::string scope_id;
  if (cfg_.scope == map_scope::global) scope_id = "global";
  if (cfg_.scope == map_scope::consumer && ctx.consumer != nullptr)
    scope_id = "consumer:" + ctx.consumer->id;
  if (scope_id.empty()) co_return access(ctx);  // no consumer identified: request scope
  auto t0 = Clock::now();
  if (!prepare_body(ctx)) co_return Flow::respond;
  request_state& st = ctx.state<request_state>(this);
  std::string body = std::move(ctx.req.body);
  // Find the values first with a throwaway map, then give them the scope's tokens.
  mask_map probe;
  std::string scratch;
  mask_body(*cfg_.engine, ctx.req.headers.get("Content-Type").value_or(""), cfg_.json_aware, body,
            probe, scratch);
  for (const std::string& name : cfg_.mask_headers) {
    for (std::string_view v : ctx.req.headers.get_all(name)) cfg_.engine->mask(v, probe, scratch);
  }
  // The plugin's own store (its `redis` block) first, else the node's.
  store::Store* store = own_store_ ? store_.get() : ctx.store != nullptr ? ctx.store : store_.get();
  bool ok = store != nullptr;
  const std::string prefix = "gatehouse:aws-masker:" + instance_id_ + ":" + scope_id + ":";
  if (ok && !probe.empty()) ok = co_await sync_scope(*store, prefix, probe, st.map);
  if (ok && cfg_.restore_responses) ok = co_await load_issued(*store, prefix, st.map);
  if (!ok) {
    counters_->store_errors.fetch_add(1, std::memory_order_relaxed);
    if (cfg_.fail_closed) {
      ctx.req.body = std::move(body);
      co_return refuse(ctx, 503, "Masking map store unavailable");
    }
    st.map = mask_map();  // fail open = request scope: still masked, never sent as is
  } else {
    st.scope_name = cfg_.scope == map_scope::global ? "global" : "consumer";
  }
  apply_mask(ctx, st, std::move(body));
  st.nanos = nanos_since(t0);
  co_return Flow::next;
}

void masker_plugin::header_filter(Context& ctx) const {
  request_state* st = ctx.find_state<request_state>(this);
  if (st == nullptr || !st->masked || !cfg_.restore_responses || st->map.empty()) return;
  // An encoded response (the upstream ignored Accept-Encoding: identity) keeps its
  // tokens: restoring is impossible, and no original can leak from it.
  if (auto enc = ctx.resp.headers.get("Content-Encoding"); enc && !iequals(*enc, "identity"))
    return;
  std::string_view ct = ctx.resp.headers.get("Content-Type").value_or("");
  if (starts_with_ci(ct, "text/event-stream")) {
    st->sse = std::make_unique<sse_restorer>(&st->map);
  } else {
    st->restorer.emplace(&st->map,
                         is_json_media_type(ct) ? restore_escape::json : restore_escape::none);
  }
  ctx.resp.headers.remove("Content-Length");  // restoring changes the length
  counters_->tokens_restored_responses.fetch_add(1, std::memory_order_relaxed);
}

void masker_plugin::body_filter(Context& ctx, std::string& chunk, bool end_of_stream) const {
  request_state* st = ctx.find_state<request_state>(this);
  if (st == nullptr || (!st->sse && !st->restorer)) return;
  std::string out;
  out.reserve(chunk.size() + 64);
  if (st->sse) {
    st->sse->feed(chunk, out);
    if (end_of_stream) st->sse->finish(out);
  } else {
    st->restorer->feed(chunk, out);
    if (end_of_stream) st->restorer->finish(out);
  }
  chunk.swap(out);
}

void masker_plugin::log(Context& ctx) const {
  register_process_metrics();  // the server may set the process metrics after build()
  request_state* st = ctx.find_state<request_state>(this);
  if (st == nullptr || !st->masked) return;
  counters_->requests_masked.fetch_add(1, std::memory_order_relaxed);
  counters_->bytes_masked.fetch_add(st->bytes_in, std::memory_order_relaxed);
  counters_->mask_nanos.fetch_add(st->nanos, std::memory_order_relaxed);
  for (std::size_t t = 0; t < st->stats.per_type.size(); ++t)
    counters_->add_type(t, st->stats.per_type[t]);
  if (!cfg_.events_enabled) return;
  thread_local std::minstd_rand rng{std::random_device{}()};
  if (cfg_.events_sample_rate < 1.0 &&
      std::uniform_real_distribution<double>(0.0, 1.0)(rng) >= cfg_.events_sample_rate) {
    return;
  }
  masking_event ev;
  ev.request_id = ctx.request_id;
  ev.scope = st->scope_name;
  ev.outcome = "masked";
  ev.bytes_in = st->bytes_in;
  ev.bytes_out = st->bytes_out;
  ev.micros = st->nanos / 1000;
  const auto& names = cfg_.engine->type_names();
  for (std::size_t t = 0; t < st->stats.per_type.size(); ++t) {
    if (st->stats.per_type[t] != 0) ev.counts.emplace_back(names[t], st->stats.per_type[t]);
  }
  publish_event(cfg_.events_stream, cfg_.events_max_len, std::move(ev));
}

void masker_factory::validate(boost::json::object& config,
                              std::vector<plugin::SchemaError>& errors) const {
  validate_config(config, errors);
}

std::shared_ptr<const plugin::Plugin> masker_factory::build(const config::PluginInstance& instance,
                                                            const plugin::BuildContext& ctx) const {
  register_process_metrics();
  std::shared_ptr<store::Store> own;
  if (const auto* redis = instance.config.if_contains("redis");
      redis != nullptr && redis->is_object() && plugin::schema::redis_configured(redis->as_object())) {
    try {
      own = store::make_redis_store_for(redis->as_object());
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string("aws-masker: config.redis: ") + e.what());
    }
  }
  const bool has_own = own != nullptr;
  return std::make_shared<masker_plugin>(build_config(instance.config),
                                         instance.id.empty() ? instance.name : instance.id,
                                         has_own ? std::move(own) : ctx.store, has_own);
}

}  // namespace gh::aws_masker

namespace gh::plugins {
void register_aws_masker(gh::plugin::Registry& r) {
  r.add(std::make_unique<gh::aws_masker::masker_factory>());
}
}  // namespace gh::plugins
