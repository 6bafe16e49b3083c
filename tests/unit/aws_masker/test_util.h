// Helpers shared by the aws-masker unit tests.
#pragma once

#include <memory>
#include <string>

#include "plugins/aws-masker/body_mask.h"
#include "plugins/aws-masker/mask_engine.h"
#include "plugins/aws-masker/restorer.h"

namespace gh::aws_masker::test {

inline const mask_engine& default_engine() {
  static const mask_engine e{engine_options{}};
  return e;
}

inline std::string mask_text(std::string_view in, mask_map& map,
                             const mask_engine& e = default_engine()) {
  std::string out;
  e.mask(in, map, out);
  return out;
}

inline std::string restore_text(std::string_view in, const mask_map& map) {
  std::string out;
  stream_restorer::restore_all(map, restore_escape::none, in, out);
  return out;
}

}  // namespace gh::aws_masker::test
