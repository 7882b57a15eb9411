#include "core/memory.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include <cstdint>

namespace camu {

// glibc serves blocks above its mmap threshold (128 KiB at start, raised only as such blocks are
// freed) with fresh mmaps and hands freed heap tops back to the OS, so a fresh process page-faults
// on every large tensor buffer (a CNN step's activations and gradients: ~2000 faults, 4-5x the
// step time) until the dynamic threshold has caught up. 32 MiB is the largest threshold glibc
// accepts on 64-bit; the trim threshold keeps up to 256 MiB of freed heap for reuse.
void ReuseLargeAllocations() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

at::Tensor EmptyLarge(at::IntArrayRef sizes, const at::TensorOptions& options) {
  at::Tensor tensor = at::empty(sizes, options);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr uintptr_t kHugePage = uintptr_t(2) << 20;
  const uintptr_t begin = reinterpret_cast<uintptr_t>(tensor.data_ptr());
  const uintptr_t end = begin + static_cast<uintptr_t>(tensor.nbytes());
  const uintptr_t first = (begin + kHugePage - 1) & ~(kHugePage - 1);
  const uintptr_t last = end & ~(kHugePage - 1);
  // Only whole 2 MiB pages inside the block; a refusal (THP off) just leaves 4 KiB pages.
  if (tensor.is_cpu() && last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#endif
  return tensor;
}

}  // namespace camu
