#include "core/process.h"

#include <dlfcn.h>
#include <sched.h>

#include <ATen/Parallel.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "core/errors.h"
#include "core/memory.h"

namespace camu {

namespace {

// Reads a positive thread count from the environment; 0 when unset.
int ThreadsFromEnv(const char* variable) {
  const char* raw = std::getenv(variable);
  if (raw == nullptr || *raw == '\0') return 0;
  char* end = nullptr;
  long value = std::strtol(raw, &end, 10);
  if (*end != '\0' || value < 1 || value > 1024) {
    throw Error(codes::kInvalidArgValue,
                std::string(variable) + " must be a whole number from 1 to 1024, got '" + raw + "'");
  }
  return static_cast<int>(value);
}

// CAMU_PROCESS_TUNING: unset, "on" or "1" tune; "off" or "0" do not; anything else is an error.
bool TuningFromEnv() {
  const char* raw = std::getenv("CAMU_PROCESS_TUNING");
  if (raw == nullptr || *raw == '\0' || std::strcmp(raw, "on") == 0 || std::strcmp(raw, "1") == 0) return true;
  if (std::strcmp(raw, "off") == 0 || std::strcmp(raw, "0") == 0) return false;
  throw Error(codes::kInvalidArgValue, std::string("CAMU_PROCESS_TUNING must be on, off, 1 or 0, got '") + raw + "'");
}

// Debian's libtorch calls OpenBLAS, whose own pthread pool (one thread per core, unless
// OPENBLAS_NUM_THREADS says otherwise) busy-waits between calls: perf showed one core spinning
// in sched_yield through a CaMU run, taking that core from libtorch's own threads. libtorch
// parallelises around BLAS itself, so a single-threaded OpenBLAS measured faster on 2 threads
// (CaMU step 23.7 -> 21.6 ms, evaluation 5.7 -> 4.5 s, MNIST CNN) and on 1. No-op for other
// BLAS libraries (the symbol is absent) and when the user set OPENBLAS_NUM_THREADS.
bool SerialOpenBlas() {
  if (std::getenv("OPENBLAS_NUM_THREADS") != nullptr) return false;
  using SetThreads = void (*)(int);
  auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (set == nullptr) return false;
  set(1);
  return true;
}

}  // namespace

int KernelThreads() {
  std::mutex mutex;
  std::set<std::thread::id> threads;
  at::parallel_for(0, at::get_num_threads(), 1, [&](int64_t, int64_t) {
    std::lock_guard<std::mutex> lock(mutex);
    threads.insert(std::this_thread::get_id());
  });
  return static_cast<int>(threads.size());
}

const char* KernelThreadsReason() {
#ifdef CAMU_OPENMP_REASON
  return CAMU_OPENMP_REASON;
#else
  return nullptr;
#endif
}

int AvailableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return 1;
}

const ProcessSettings& ConfigureProcessOnce() {
  // libtorch aborts if the inter-op pool size is set twice, and Node calls module init once per
  // environment (and again under test runners that reset the module registry).
  static std::once_flag once;
  static std::string failure;
  static ProcessSettings settings;
  std::call_once(once, [] {
    try {
      settings.tuning = TuningFromEnv();
      if (settings.tuning) {
        ReuseLargeAllocations();
        settings.mallocThresholds = true;
        settings.cachingAllocator = InstallCachingAllocator();
        settings.serialOpenBlas = SerialOpenBlas();
      }
      int intra = ThreadsFromEnv("CAMU_NUM_THREADS");
      int interop = ThreadsFromEnv("CAMU_NUM_INTEROP_THREADS");
      at::set_num_threads(intra > 0 ? intra : AvailableCores());
      try {
        at::set_num_interop_threads(interop > 0 ? interop : 1);
      } catch (const c10::Error&) {
        // Another copy of camu (loaded from a second path) already configured the process-wide
        // inter-op pool; its setting stands.
      }
    } catch (const Error& e) {
      failure = e.what();
    }
  });
  if (!failure.empty()) throw Error(codes::kInvalidArgValue, failure);
  return settings;
}

}  // namespace camu
