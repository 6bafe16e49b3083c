// `gatehouse mask` / `gatehouse unmask`: the masking engine for people writing prompts
// and policies. Reads stdin, uses the same catalogue and plugin config as the gateway,
// prints the result. The lead's CLI main parses the flags and calls run_mask_cli.
//
//   gatehouse mask [--config FILE] [--map-out FILE] [--explain] < in > out
//   gatehouse unmask --map FILE < in > out
//
// --config: a JSON file holding an aws-masker `config` object (custom_patterns,
// allow_list, disabled_types, json_aware...). --map-out writes the value<->token map as
// JSON ({"version":1,"entries":[{"token","type","value"}...]}); unmask reads it back.
// The masked text always goes to stdout. --explain also prints, on stderr, one line per
// match: "<begin>\t<end>\t<TYPE>\t<token>" (byte offsets into stdin, found in the raw
// text; tokens are those of the masked output). Exit codes: 0 ok,
// 2 usage/config error, 1 I/O error.
#pragma once

#include <iosfwd>
#include <string>

namespace gh::aws_masker {

struct mask_cli_options {
  bool unmask = false;
  bool explain = false;
  std::string config_path;  // empty: defaults
  std::string map_in;       // unmask: the map file written by mask --map-out
  std::string map_out;      // mask: where to write the map (empty: not written)
};

int run_mask_cli(const mask_cli_options& options, std::istream& in, std::ostream& out,
                 std::ostream& err);

// The short form from the brief; unmask then needs the map on stdin's side channel,
// so it reports a usage error — wire the options form for --map/--map-out.
int run_mask_cli(bool unmask, bool explain, const std::string& config_path_or_empty,
                 std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace gh::aws_masker
