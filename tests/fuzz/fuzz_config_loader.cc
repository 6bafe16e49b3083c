// Fuzz target: the text of a declarative config (kong.yml or JSON), loaded as a reload
// does (server::reload_from_text): load_declarative with every built-in plugin, the error
// listing and Kong's error body, then for a valid config the route table and the plugin
// chain of the snapshot. A config is a list of errors or a running snapshot, never a
// crash, and the loader's own try/catch never has to step in.
#include "config/declarative_loader.h"
#include "fuzz_check.h"
#include "plugin/chain.h"
#include "plugin/registry.h"
#include "router/route_table.h"
#include "store/embedded/embedded_store.h"

#include <boost/json/serialize.hpp>

#include <string_view>

using namespace gh;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto& registry = plugin::builtin_registry();
  auto result = config::load_declarative(text, "fuzz.yml", registry);
  for (const auto& e : result.errors) {
    FUZZ_REQUIRE(!e.message.empty(), "every error says what is wrong");
    // load_declarative catches what escapes the loader; reaching that catch is a bug.
    FUZZ_REQUIRE(!std::string_view(e.message).starts_with("internal error"),
                 "the loader never throws");
  }
  if (!result.ok()) {
    auto listing = config::format_errors(result, "fuzz.yml");
    FUZZ_REQUIRE(!listing.empty(), "errors are listed");
    (void)boost::json::serialize(config::kong_error_json(result));
    return 0;
  }
  // A valid config becomes a snapshot; the server reports a throw here as an error too.
  static const auto store = std::make_shared<store::embedded_store>();
  try {
    (void)router::route_table::build(result.config);
    plugin::BuildContext ctx{&result.config, store};
    (void)plugin::Chain::build(result.config, registry, ctx);
  } catch (const std::exception&) {
  }
  return 0;
}
