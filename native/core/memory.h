// Process memory behaviour that the tensor work depends on (measured in docs/performance.md,
// "Process-wide settings").
#pragma once

#include <cstddef>

namespace camu {

// Fixes glibc malloc's mmap and trim thresholds so that the multi-MiB buffers of a step are reused
// from the heap instead of page-faulted in afresh. Process-wide; called once from
// ConfigureProcessOnce.
void ReuseLargeAllocations();

// Puts a caching allocator for large CPU blocks in front of libtorch's (memory.cc says why).
// Process-wide; called once from ConfigureProcessOnce, before any tensor exists. false where it
// does not apply (not Linux).
bool InstallCachingAllocator();

// Starts a new generation of the large-block cache, once per job: blocks cached before it that no
// later request fits are unmapped as new sizes are mapped, so one job's cache does not stay beside
// the next one's (memory.cc). Does nothing without the caching allocator.
void StartCacheGeneration();

// Bytes of large blocks in use and kept freed for reuse by the caching allocator (zero without it).
struct CachedBlockStats {
  size_t liveBytes = 0;
  size_t cachedBytes = 0;
};
CachedBlockStats CachingAllocatorStats();

}  // namespace camu
