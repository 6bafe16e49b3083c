// Which vector instructions aws-masker's byte passes use: the best this CPU has, checked
// once. Every pass has a form for each level (AVX2, SSE2, plain C++), chosen at
// run time, so one binary runs everywhere. Tests lower the level to run every form on one
// machine and compare them.
#pragma once

#include <cstdint>

namespace gh::aws_masker {

enum class simd_level : uint8_t { none, sse2, avx2 };

// The level in use: what the CPU (and OS) support, capped by limit_simd().
simd_level simd() noexcept;
// Caps the level (tests, benchmarks); simd_level::avx2 lifts the cap.
void limit_simd(simd_level cap) noexcept;

}  // namespace gh::aws_masker
