// The declarative loader's working state (internal; see declarative_loader.h).
//
// One `loader` walks one parsed document: each entity kind has a method that reads,
// validates and appends model structs; references written by name or id are queued and
// resolved once every entity is known; uniqueness is checked last. Implemented across
// loader.cc (document, references, uniqueness), loader_services.cc (services, routes),
// loader_consumers.cc (consumers, plugins, plugin-owned entities) and loader_upstreams.cc.
#pragma once

#include "config/declarative_loader.h"
#include "config/field_reader.h"

#include <boost/json/value.hpp>

#include <functional>
#include <string>
#include <vector>

namespace gh::config::detail {

// The enclosing entity of a nested one (routes under a service ...).
struct parent_ref {
  std::string kind;  // "services", "routes", "consumers", "upstreams"
  std::string id;
  std::string name;  // display name
};

// A reference written as a name or an id, resolved after the walk.
struct pending_ref {
  entity_label owner;
  std::string field;        // "service", "route", "consumer", "upstream"
  std::string target_kind;  // "services" ...
  std::string value;        // as written
  std::function<std::string&(DeclarativeConfig&)> slot;
};

class loader {
 public:
  loader(const plugin::Registry& registry, std::vector<config_error>& errors,
         DeclarativeConfig& out)
      : registry_(registry), sink_(errors), out_(out) {}

  void load(const boost::json::value& root);

 private:
  using item_fn = std::function<void(const boost::json::object&, std::size_t position)>;
  // Calls `fn` for every record of an entity list, reporting non-arrays and non-records.
  void for_each_record(const boost::json::value& list, const std::string& kind,
                       const parent_ref* parent, const item_fn& fn);
  entity_label label(const std::string& kind, const boost::json::object& obj,
                     std::initializer_list<std::string_view> name_keys, std::size_t position,
                     const parent_ref* parent) const;
  // The given id (validated) or a deterministic one from Kong's key or the position.
  std::string entity_id(field_reader& r, const std::string& kind, const std::string& key,
                        std::size_t position, const parent_ref* parent);
  // Reads a reference field (string name/id or {id=..}/{name=..}); queues its resolution.
  std::string reference(field_reader& r, const std::string& field, const std::string& target,
                        std::function<std::string&(DeclarativeConfig&)> slot);
  std::vector<std::string> tags(field_reader& r);

  void services(const boost::json::value& list);
  void service(const boost::json::object& obj, std::size_t position);
  void routes(const boost::json::value& list, const parent_ref* parent);
  void route(const boost::json::object& obj, std::size_t position, const parent_ref* parent);
  void consumers(const boost::json::value& list);
  void consumer(const boost::json::object& obj, std::size_t position);
  void plugins(const boost::json::value& list, const parent_ref* parent);
  void plugin(const boost::json::object& obj, std::size_t position, const parent_ref* parent);
  void plugin_entities(const std::string& kind, const boost::json::value& list,
                       const parent_ref* parent);
  void plugin_entity(const std::string& kind, const boost::json::object& obj,
                     std::size_t position, const parent_ref* parent);
  void upstreams(const boost::json::value& list);
  void upstream(const boost::json::object& obj, std::size_t position);
  void targets(const boost::json::value& list, const parent_ref* parent);
  void target(const boost::json::object& obj, std::size_t position, const parent_ref* parent);

  void resolve_references();
  void check_uniqueness();

  const plugin::Registry& registry_;
  error_sink sink_;
  DeclarativeConfig& out_;
  bool upgrade_paths_ = false;  // _format_version 1.1 / 2.1
  std::vector<pending_ref> refs_;
  std::vector<entity_label> plugin_labels_;  // parallel to out_.plugins
};

// Kong's singular name of a kind, for messages ("services" -> "service").
std::string singular(std::string_view kind);

}  // namespace gh::config::detail
