// Which vector instructions aws-masker's byte passes use: the best this CPU has, checked
// once, so one binary runs everywhere. The native scanner's bitmap passes have a form for
// each level (AVX2, SSE2, plain C++); the JSON string scans have AVX2 and SSE2 forms and
// use SSE2 below AVX2. Tests lower the level to run every form on one machine and compare
// them.
#pragma once

#include <cstdint>

namespace gh::aws_masker {

enum class simd_level : uint8_t { none, sse2, avx2, avx512 };

// The level in use: what the CPU (and OS) support, capped by limit_simd().
simd_level simd() noexcept;
// Caps the level (tests, benchmarks); simd_level::avx512 lifts the cap.
void limit_simd(simd_level cap) noexcept;

}  // namespace gh::aws_masker
