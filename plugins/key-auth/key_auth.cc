#include "plugins/key-auth/key_auth.h"

#include "plugin/schema/schema.h"
#include "plugins/key-auth/form_args.h"

#include <boost/json.hpp>
#include <openssl/rand.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace gh::plugins {

namespace json = boost::json;
using plugin::Context;
using plugin::Flow;
using namespace plugin::schema;

namespace {

constexpr std::string_view kErrNoKey = "No API key found in request";
constexpr std::string_view kErrInvalid = "Unauthorized";
constexpr std::string_view kErrDuplicate = "Duplicate API key found";
constexpr std::string_view kErrUnexpected = "An unexpected error occurred";

const Schema& config_schema() {
  static const Schema s({
      {"key_names", Field::array(Field::string().custom(validate_header_name))
                        .required()
                        .default_value(json::array{"apikey"})},
      {"hide_credentials", Field::boolean().required().default_value(false)},
      {"anonymous", Field::string()},
      {"key_in_header", Field::boolean().required().default_value(true)},
      {"key_in_query", Field::boolean().required().default_value(true)},
      {"key_in_body", Field::boolean().required().default_value(false)},
      {"run_on_preflight", Field::boolean().required().default_value(true)},
      {"realm", Field::string()},
  });
  return s;
}

const Schema& credential_schema() {
  // id and consumer are taken by the loader; key is generated when absent (Kong's auto).
  static const Schema s(
      {
          {"key", Field::string()},
          {"ttl", Field::integer().between(0, 100000000)},
          {"tags", Field::set(Field::string())},
          {"created_at", Field::integer()},
      },
      "");
  return s;
}

std::string random_key() {
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("keyauth_credentials: no randomness for key");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

// What a lookup of one key name found, as Lua types: nothing, a string, a table
// (several values: "Duplicate API key found") or another value (ignored). A header value
// is only viewed (no copy on the hot path); a decoded query or body value is owned.
struct Found {
  enum Kind { none, string, duplicate, other } kind = none;
  std::string_view view;  // into the request headers while they are unchanged
  // A decoded value; empty (no std::string to build and destroy) for a header value.
  std::optional<std::string> owned;

  static Found of(Kind k) {
    Found f;
    f.kind = k;
    return f;
  }
  static Found of_view(std::string_view v) {
    Found f = of(string);
    f.view = v;
    return f;
  }
  static Found of_owned(std::string v) {
    Found f = of(string);
    f.owned.emplace(std::move(v));
    return f;
  }
  std::string_view value() const noexcept { return owned ? std::string_view(*owned) : view; }
  // Copies a viewed value before the headers it points into change.
  void own() {
    if (!owned) owned.emplace(view);
  }
};

Found from_values(const std::vector<form_args::ArgValue>& values) {
  if (values.empty()) return {};
  if (values.size() > 1) return Found::of(Found::duplicate);
  if (!values[0].has_value) return Found::of(Found::other);
  return Found::of_owned(values[0].value);
}

bool contains_ci(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (iequals(hay.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

// The request body as Kong's kong.request.get_body() sees it, parsed on first use.
struct BodyView {
  enum Kind { unparsed, empty, form, json_object } kind = unparsed;
  // Only a parsed JSON body makes one: most requests carry the key in a header and
  // never construct (or destroy) a json::object.
  std::optional<json::object> object;

  void parse(const Context& ctx) {
    kind = empty;
    if (!ctx.req.body_buffered || ctx.req.body.empty()) return;
    auto ct = ctx.req.headers.get("Content-Type").value_or("");
    if (contains_ci(ct, "application/x-www-form-urlencoded")) {
      kind = form;
    } else if (contains_ci(ct, "application/json")) {
      boost::system::error_code ec;
      json::value v = json::parse(ctx.req.body, ec);
      if (!ec && v.is_object()) {
        object.emplace(std::move(v.as_object()));
        kind = json_object;
      }
    }
  }

  Found lookup(const Context& ctx, std::string_view name) const {
    if (kind == form) return from_values(form_args::find_all(ctx.req.body, name));
    if (kind != json_object) return {};
    auto it = object->find(name);
    if (it == object->end()) return {};
    const json::value& v = it->value();
    if (v.is_string()) return Found::of_owned(std::string(v.get_string()));
    if (v.is_array() || v.is_object()) return Found::of(Found::duplicate);
    return Found::of(Found::other);
  }

  void remove(Context& ctx, std::string_view name) {
    if (kind == form) {
      ctx.req.body = form_args::remove_all(ctx.req.body, name);
    } else if (kind == json_object) {
      object->erase(name);
      ctx.req.body = json::serialize(*object);
    }
  }
};

std::string hyphenated(std::string_view name) {
  std::string out(name);
  for (auto& c : out) {
    if (c == '_') c = '-';
  }
  return out;
}

struct Credential {
  std::size_t consumer = 0;  // index into KeyAuthPlugin::consumers_
  std::string id;
  std::optional<std::chrono::steady_clock::time_point> expires_at;
};

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

class KeyAuthPlugin final : public plugin::Plugin {
 public:
  KeyAuthPlugin(const json::object& c, const config::DeclarativeConfig* cfg)
      : key_names_(get_strings(c, "key_names")),
        hide_credentials_(get_bool(c, "hide_credentials")),
        key_in_header_(get_bool(c, "key_in_header", true)),
        key_in_query_(get_bool(c, "key_in_query", true)),
        key_in_body_(get_bool(c, "key_in_body")),
        run_on_preflight_(get_bool(c, "run_on_preflight", true)),
        anonymous_(get_string(c, "anonymous")) {
    www_authenticate_ = has_string(c, "realm") ? "Key realm=\"" + get_string(c, "realm") + "\"" : "Key";
    for (const auto& n : key_names_) {
      std::string h = hyphenated(n);
      header_names_.push_back(h == n ? std::string() : std::move(h));
    }
    if (cfg) index(*cfg);
  }

  Flow access(Context& ctx) const override {
    if (!run_on_preflight_ && ctx.req.method == "OPTIONS") return Flow::next;
    if (!anonymous_.empty()) {
      // Logical OR: an earlier auth plugin already authenticated the request.
      if (!ctx.credential_id.empty()) return Flow::next;
      if (!authenticate(ctx, nullptr)) {
        if (!anonymous_consumer_) {
          ctx.exit(500, "anonymous consumer " + anonymous_ + " is configured but doesn't exist");
          return Flow::respond;
        }
        set_authenticated_consumer(ctx, &*anonymous_consumer_, {});
      }
      return Flow::next;
    }
    std::string_view error;
    if (!authenticate(ctx, &error)) {
      ctx.exit(error == kErrUnexpected ? 500 : 401, error);
      if (error != kErrUnexpected) ctx.exit_headers().set("WWW-Authenticate", www_authenticate_);
      return Flow::respond;
    }
    return Flow::next;
  }

  plugin::BodyMode request_body_mode() const noexcept override {
    return key_in_body_ ? plugin::BodyMode::buffered : plugin::BodyMode::none;
  }

 private:
  void index(const config::DeclarativeConfig& cfg) {
    std::unordered_map<std::string_view, std::size_t> consumer_pos;
    for (std::size_t i = 0; i < cfg.consumers.size(); ++i) consumer_pos.emplace(cfg.consumers[i].id, i);
    std::unordered_map<std::size_t, std::size_t> copied;  // config position -> consumers_ index
    auto now = std::chrono::steady_clock::now();
    for (const auto& e : cfg.plugin_entities) {
      if (e.kind != "keyauth_credentials") continue;
      auto cp = consumer_pos.find(e.consumer_id);
      if (cp == consumer_pos.end()) continue;  // the loader reports dangling references
      std::string key = get_string(e.fields, "key");
      if (key.empty()) continue;
      auto [slot, fresh] = copied.emplace(cp->second, consumers_.size());
      if (fresh) consumers_.push_back(cfg.consumers[cp->second]);
      Credential cred{slot->second, e.id, std::nullopt};
      // ttl is the credential's remaining lifetime in seconds when the config was loaded;
      // 0 means expired, as Kong's load_credential treats it.
      int64_t ttl = get_int(e.fields, "ttl", -1);
      if (ttl >= 0) cred.expires_at = now + std::chrono::seconds(ttl);
      if (!credentials_.emplace(key, std::move(cred)).second) {
        throw std::runtime_error("uniqueness violation: 'keyauth_credentials' entity with key set to '" + key +
                                 "' already declared");
      }
    }
    if (!anonymous_.empty()) {
      if (const auto* c = find_consumer(cfg, anonymous_)) anonymous_consumer_ = *c;
    }
  }

  // One pass over the request headers: how many fields carry key name `i` (nginx also
  // finds `key_name` as `key-name`, but only when no field is named exactly key_name).
  Found find_in_headers(const Context& ctx, std::size_t i) const {
    std::string_view exact = key_names_[i], hyphen = header_names_[i];  // hyphen may be ""
    std::size_t n_exact = 0, n_hyphen = 0;
    std::string_view first_exact, first_hyphen;
    for (const auto& f : ctx.req.headers) {
      if (iequals(f.name, exact)) {
        if (n_exact++ == 0) first_exact = f.value;
      } else if (!hyphen.empty() && iequals(f.name, hyphen)) {
        if (n_hyphen++ == 0) first_hyphen = f.value;
      }
    }
    std::size_t n = n_exact != 0 ? n_exact : n_hyphen;
    if (n == 0) return {};
    if (n > 1) return Found::of(Found::duplicate);
    return Found::of_view(n_exact != 0 ? first_exact : first_hyphen);
  }

  void hide(Context& ctx, std::size_t i, BodyView& body) const {
    const std::string& name = key_names_[i];
    if (!ctx.req.query.empty()) ctx.req.query = form_args::remove_all(ctx.req.query, name);
    ctx.req.headers.remove(name);
    if (!header_names_[i].empty()) ctx.req.headers.remove(header_names_[i]);
    if (key_in_body_) {
      if (body.kind == BodyView::unparsed) body.parse(ctx);
      body.remove(ctx, name);
    }
  }

  // Kong's do_authentication. On failure returns false and, when `error` is given, the
  // message to answer with.
  bool authenticate(Context& ctx, std::string_view* error) const {
    BodyView body;
    Found key;
    for (std::size_t i = 0; i < key_names_.size() && key.kind != Found::string; ++i) {
      Found v;
      if (key_in_header_) v = find_in_headers(ctx, i);
      if (v.kind == Found::none && key_in_query_) v = from_values(form_args::find_all(ctx.req.query, key_names_[i]));
      if (v.kind == Found::none && key_in_body_) {
        if (body.kind == BodyView::unparsed) body.parse(ctx);
        v = body.lookup(ctx, key_names_[i]);
      }
      if (v.kind == Found::string) {
        key = std::move(v);
        if (hide_credentials_) {
          key.own();
          hide(ctx, i, body);
        }
      } else if (v.kind == Found::duplicate) {
        if (error) *error = kErrDuplicate;
        return false;
      }
    }
    if (key.value().empty()) {
      if (error) *error = kErrNoKey;
      return false;
    }
    auto it = credentials_.find(key.value());
    if (it == credentials_.end() ||
        (it->second.expires_at && std::chrono::steady_clock::now() >= *it->second.expires_at)) {
      if (error) *error = kErrInvalid;
      return false;
    }
    set_authenticated_consumer(ctx, &consumers_[it->second.consumer], it->second.id);
    return true;
  }

  std::vector<std::string> key_names_;
  // key_names with '_' as '-' (nginx's lookup); empty for a name without '_', so that
  // the header scan compares each field once.
  std::vector<std::string> header_names_;
  bool hide_credentials_;
  bool key_in_header_;
  bool key_in_query_;
  bool key_in_body_;
  bool run_on_preflight_;
  std::string anonymous_;
  std::string www_authenticate_;
  std::optional<config::Consumer> anonymous_consumer_;
  std::vector<config::Consumer> consumers_;  // only those with a key, copied: stable
  std::unordered_map<std::string, Credential, StringHash, std::equal_to<>> credentials_;
};

class KeyAuthFactory final : public plugin::Factory {
 public:
  std::string_view name() const override { return "key-auth"; }
  int priority() const override { return 1250; }
  void validate(json::object& config, std::vector<plugin::SchemaError>& errors) const override {
    config_schema().validate(config, errors);
  }
  std::shared_ptr<const plugin::Plugin> build(const config::PluginInstance& instance,
                                              const plugin::BuildContext& ctx) const override {
    return std::make_shared<KeyAuthPlugin>(instance.config, ctx.config);
  }
  std::vector<std::string_view> entity_kinds() const override { return {"keyauth_credentials"}; }
  void validate_entity(std::string_view kind, json::object& fields,
                       std::vector<plugin::SchemaError>& errors) const override {
    if (kind != "keyauth_credentials") return;
    credential_schema().validate(fields, errors);
    const json::value* key = fields.if_contains("key");
    if (!key || key->is_null()) fields["key"] = random_key();
  }
};

}  // namespace

void set_authenticated_consumer(Context& ctx, const config::Consumer* consumer, std::string_view credential_id) {
  ctx.consumer = consumer;
  ctx.credential_id = credential_id;
  ctx.anonymous_consumer = credential_id.empty();
  // Runs for every authenticated request: one pass drops whatever the client sent under
  // these names (so it cannot forge them), then the values that apply are appended.
  static constexpr std::string_view names[] = {"X-Consumer-ID", "X-Consumer-Custom-ID",
                                               "X-Consumer-Username", "X-Credential-Identifier",
                                               "X-Anonymous-Consumer"};
  auto& h = ctx.req.headers;
  h.remove_if([](const HeaderField& f) {
    if (f.name.size() < 13 || f.name.size() > 23 || (f.name[0] | 0x20) != 'x') return false;
    for (std::string_view n : names) {
      if (iequals(f.name, n)) return true;
    }
    return false;
  });
  h.reserve(h.size() + 4);
  if (consumer != nullptr) {
    if (!consumer->id.empty()) h.add(names[0], consumer->id);
    if (!consumer->custom_id.empty()) h.add(names[1], consumer->custom_id);
    if (!consumer->username.empty()) h.add(names[2], consumer->username);
  }
  if (!credential_id.empty()) h.add(names[3], credential_id);
  else h.add(names[4], "true");
}

const config::Consumer* find_consumer(const config::DeclarativeConfig& cfg, std::string_view id_or_username) {
  for (const auto& c : cfg.consumers) {
    if (c.id == id_or_username) return &c;
  }
  for (const auto& c : cfg.consumers) {
    if (!c.username.empty() && c.username == id_or_username) return &c;
  }
  return nullptr;
}

std::unique_ptr<plugin::Factory> make_key_auth_factory() { return std::make_unique<KeyAuthFactory>(); }

void register_key_auth(plugin::Registry& r) { r.add(make_key_auth_factory()); }

}  // namespace gh::plugins
