// Process-wide settings the core applies once, before any tensor exists: libtorch's thread pools
// and camu's memory and BLAS tuning (docs/process-settings.md). A host calls ConfigureProcessOnce
// when it loads camu (the Node addon does so at module init).
#pragma once

namespace camu {

// What ConfigureProcessOnce applied. The tuning is the default; CAMU_PROCESS_TUNING=off (or 0)
// leaves malloc, the CPU allocator and OpenBLAS as the process had them.
struct ProcessSettings {
  bool tuning = false;            // the tuning was asked for (not turned off)
  bool mallocThresholds = false;  // glibc malloc keeps large freed blocks for reuse (memory.h)
  bool cachingAllocator = false;  // camu's caching allocator serves large CPU tensors (memory.h)
  bool serialOpenBlas = false;    // OpenBLAS was set to one thread (libtorch parallelises around it)
};

// Sets libtorch's thread pools from CAMU_NUM_THREADS / CAMU_NUM_INTEROP_THREADS (a coded error on
// a bad value) and applies the tuning unless turned off. Idempotent; returns what it applied.
const ProcessSettings& ConfigureProcessOnce();

// The cores this process may run on (its CPU affinity).
int AvailableCores();

// The threads camu's own kernels split their work over (at::parallel_for in the core's code): the
// calling thread's intra-op threads where the core was built with libtorch's OpenMP runtime
// (CMakeLists.txt), 1 where it was not, which KernelThreadsReason() then explains.
int KernelThreads();
const char* KernelThreadsReason();  // nullptr where the core's kernels use libtorch's threads

}  // namespace camu
