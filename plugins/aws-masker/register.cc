// Placeholder until the aws-masker plugin factory lands: keeps the generated builtin
// registry linking.
#include "plugin/registry.h"

namespace gh::plugins {
void register_aws_masker(gh::plugin::Registry&) {}
}  // namespace gh::plugins
