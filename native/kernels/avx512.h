// What camu's hand-written AVX-512 kernels (linear.cc, conv_pool.cc) share: the target attribute
// that compiles one function for AVX-512 inside the baseline x86-64 addon, and the runtime check
// that picks those functions only on CPUs that have it.
#pragma once

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define CAMU_HAVE_AVX512_KERNELS 1
#define CAMU_AVX512 __attribute__((target("avx512f")))

namespace camu::kernels {

inline bool HasAvx512() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}

}  // namespace camu::kernels
#endif
