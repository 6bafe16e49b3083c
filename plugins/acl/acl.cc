#include "plugins/acl/acl.h"

#include "plugin/schema/schema.h"

#include <boost/json.hpp>

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace gh::plugins {

namespace json = boost::json;
using plugin::Context;
using plugin::Flow;
using namespace plugin::schema;

namespace {

constexpr std::string_view kForbidden = "You cannot consume this service";

const Schema& config_schema() {
  static const Schema s = [] {
    Schema s({
        {"allow", Field::array(Field::string())},
        {"deny", Field::array(Field::string())},
        {"hide_groups_header", Field::boolean().required().default_value(false)},
        {"always_use_authenticated_groups", Field::boolean().required().default_value(false)},
    });
    s.only_one_of({"allow", "deny"}).at_least_one_of({"allow", "deny"});
    return s;
  }();
  return s;
}

const Schema& acl_schema() {
  static const Schema s(
      {
          {"group", Field::string().required()},
          {"tags", Field::set(Field::string())},
          {"created_at", Field::integer()},
      },
      "");
  return s;
}

std::string join(const std::vector<std::string>& groups) {
  std::string out;
  for (const auto& g : groups) {
    if (!out.empty()) out += ", ";
    out += g;
  }
  return out;
}

// One consumer's groups: in declaration order for the header, and the precomputed
// decision for this plugin's list (groups never change within a snapshot).
struct ConsumerGroups {
  std::string header;  // "a, b"
  bool in_list = false;
};

class AclPlugin final : public plugin::Plugin {
 public:
  AclPlugin(const json::object& c, const config::DeclarativeConfig* cfg)
      : deny_(!get_strings(c, "deny").empty()),
        hide_groups_header_(get_bool(c, "hide_groups_header")),
        always_use_authenticated_groups_(get_bool(c, "always_use_authenticated_groups")) {
    for (auto& g : get_strings(c, deny_ ? "deny" : "allow")) list_.insert(std::move(g));
    if (!cfg) return;
    std::unordered_map<std::string, std::vector<std::string>> groups;
    for (const auto& e : cfg->plugin_entities) {
      if (e.kind == "acls") groups[e.consumer_id].push_back(get_string(e.fields, "group"));
    }
    for (auto& [consumer, list] : groups) {
      ConsumerGroups cg{join(list), in_list(list)};
      by_consumer_.emplace(consumer, std::move(cg));
    }
  }

  Flow access(Context& ctx) const override {
    const bool has_credential = !ctx.credential_id.empty();
    const bool has_auth_groups = !ctx.authenticated_groups.empty();
    if (!ctx.consumer || ((!has_credential || always_use_authenticated_groups_) && has_auth_groups)) {
      if (!has_auth_groups) return fail(ctx, has_credential ? 403 : 401);
      return decide(ctx, in_list(ctx.authenticated_groups), "X-Authenticated-Groups",
                    join(ctx.authenticated_groups));
    }
    auto it = by_consumer_.find(ctx.consumer->id);
    if (it == by_consumer_.end()) {
      // A consumer without groups passes a deny list and fails an allow list.
      if (!deny_) return fail(ctx, has_credential ? 403 : 401);
      return decide(ctx, false, "X-Consumer-Groups", "");
    }
    return decide(ctx, it->second.in_list, "X-Consumer-Groups", it->second.header);
  }

 private:
  bool in_list(const std::vector<std::string>& groups) const {
    for (const auto& g : groups) {
      if (list_.count(g)) return true;
    }
    return false;
  }

  static Flow fail(Context& ctx, int status) {
    ctx.exit(status, status == 401 ? "Unauthorized" : kForbidden);
    return Flow::respond;
  }

  Flow decide(Context& ctx, bool in_group, std::string_view header, const std::string& value) const {
    if (deny_ == in_group) return fail(ctx, 403);
    if (!hide_groups_header_) ctx.req.headers.set(header, value);
    return Flow::next;
  }

  bool deny_;
  bool hide_groups_header_;
  bool always_use_authenticated_groups_;
  std::unordered_set<std::string> list_;
  std::unordered_map<std::string, ConsumerGroups> by_consumer_;
};

class AclFactory final : public plugin::Factory {
 public:
  std::string_view name() const override { return "acl"; }
  int priority() const override { return 950; }
  void validate(json::object& config, std::vector<plugin::SchemaError>& errors) const override {
    config_schema().validate(config, errors);
  }
  std::shared_ptr<const plugin::Plugin> build(const config::PluginInstance& instance,
                                              const plugin::BuildContext& ctx) const override {
    return std::make_shared<AclPlugin>(instance.config, ctx.config);
  }
  std::vector<std::string_view> entity_kinds() const override { return {"acls"}; }
  void validate_entity(std::string_view kind, json::object& fields,
                       std::vector<plugin::SchemaError>& errors) const override {
    if (kind == "acls") acl_schema().validate(fields, errors);
  }
};

}  // namespace

std::unique_ptr<plugin::Factory> make_acl_factory() { return std::make_unique<AclFactory>(); }

void register_acl(plugin::Registry& r) { r.add(make_acl_factory()); }

}  // namespace gh::plugins
