// Process memory behaviour that the tensor work depends on (measured in docs/performance.md,
// "Process-wide settings").
#pragma once

namespace camu {

// Fixes glibc malloc's mmap and trim thresholds so that the multi-MiB buffers of a step are reused
// from the heap instead of page-faulted in afresh. Process-wide; called once from
// ConfigureProcessOnce.
void ReuseLargeAllocations();

// Puts a caching allocator for large CPU blocks in front of libtorch's (memory.cc says why).
// Process-wide; called once from ConfigureProcessOnce, before any tensor exists. false where it
// does not apply (not Linux).
bool InstallCachingAllocator();

}  // namespace camu
