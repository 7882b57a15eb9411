// Process memory behaviour that the tensor work depends on (measured in BENCHMARKS.md).
#pragma once
#include <ATen/ATen.h>

namespace camu {

// Fixes glibc malloc's mmap and trim thresholds so that the multi-MiB buffers of a step are reused
// from the heap instead of page-faulted in afresh. Process-wide; called once from
// ConfigureProcessOnce.
void ReuseLargeAllocations();

// Puts a caching allocator for large CPU blocks in front of libtorch's (memory.cc says why).
// Process-wide; called once from ConfigureProcessOnce, before any tensor exists.
void InstallCachingAllocator();

// An uninitialised CPU tensor whose memory the kernel backs with 2 MiB pages where it can
// (Linux transparent huge pages, madvise mode): filling a fresh multi-MiB tensor then takes a few
// page faults instead of one per 4 KiB, which on a virtual machine costs more than the fill.
at::Tensor EmptyLarge(at::IntArrayRef sizes, const at::TensorOptions& options);

}  // namespace camu
