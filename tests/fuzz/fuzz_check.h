// Property checks for the fuzz targets: a broken property aborts, so libFuzzer saves the
// input as a crash just as it does for a sanitizer report.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_REQUIRE(cond, what)                                                          \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "property broken: %s (%s at %s:%d)\n", what, #cond, __FILE__, \
                   __LINE__);                                                             \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)
