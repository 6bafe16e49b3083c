#include "simd.h"

#include <algorithm>
#include <atomic>

namespace gh::aws_masker {
namespace {

simd_level detect() noexcept {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  if (__builtin_cpu_supports("avx512bw") != 0) return simd_level::avx512;
  if (__builtin_cpu_supports("avx2") != 0) return simd_level::avx2;
  return simd_level::sse2;
#elif defined(__SSE2__)
  return simd_level::sse2;
#else
  return simd_level::none;
#endif
}

std::atomic<simd_level> cap{simd_level::avx512};

}  // namespace

simd_level simd() noexcept {
  static const simd_level detected = detect();
  return std::min(detected, cap.load(std::memory_order_relaxed));
}

void limit_simd(simd_level level) noexcept { cap.store(level, std::memory_order_relaxed); }

}  // namespace gh::aws_masker
