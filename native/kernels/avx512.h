// What camu's hand-written AVX-512 kernels (linear.cc, conv_pool.cc) share: the target attribute
// that compiles one function for AVX-512 inside the baseline x86-64 addon, and the runtime check
// that picks those functions only on CPUs that have it.
#pragma once

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define CAMU_HAVE_AVX512_KERNELS 1
#define CAMU_AVX512 __attribute__((target("avx512f")))
#endif

namespace camu::kernels {

#ifdef CAMU_HAVE_AVX512_KERNELS
inline bool HasAvx512() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}
#endif

// The instruction set the fused CPU kernels run on this CPU ("avx512f"), or nullptr where they
// fall back to libtorch (info().linearKernel / info().convPoolKernel).
inline const char* Avx512KernelSet() {
#ifdef CAMU_HAVE_AVX512_KERNELS
  if (HasAvx512()) return "avx512f";
#endif
  return nullptr;
}

// Whether the CPU has AVX-512 BF16 (bfloat16 dot products), on which oneDNN runs the bfloat16
// convolutions of a ResNet created with precision 'bfloat16' (info().cpuBfloat16); elsewhere they
// still run, on slower conversion paths.
inline bool HasAvx512Bf16() {
#ifdef CAMU_HAVE_AVX512_KERNELS
  static const bool has = __builtin_cpu_supports("avx512bf16");
  return has;
#else
  return false;
#endif
}

}  // namespace camu::kernels
