#include <dlfcn.h>
#include <sched.h>

#include <cstdlib>
#include <mutex>
#include <string>

#include <torch/version.h>

#ifdef CAMU_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif
#ifdef CAMU_WITH_XGBOOST
#include <xgboost/c_api.h>
#endif

#include "bridge/args.h"
#include "bridge/errors.h"
#include "core/core.h"
#include "core/memory.h"
#include "kernels/avx512.h"

namespace camu {

namespace {

int AvailableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return 1;
}

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

int DefaultThreads() { return AvailableCores(); }

}  // namespace

// Debian's libtorch calls OpenBLAS, whose own pthread pool (one thread per core, unless
// OPENBLAS_NUM_THREADS says otherwise) busy-waits between calls: perf showed one core spinning
// in sched_yield through a CaMU run, taking that core from libtorch's own threads. libtorch
// parallelises around BLAS itself, so a single-threaded OpenBLAS measured faster on 2 threads
// (CaMU step 23.7 -> 21.6 ms, evaluation 5.7 -> 4.5 s, MNIST CNN) and on 1. No-op for other
// BLAS libraries (the symbol is absent) and when the user set OPENBLAS_NUM_THREADS.
static void SerialOpenBlas() {
  if (std::getenv("OPENBLAS_NUM_THREADS") != nullptr) return;
  using SetThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(1);
}

void ConfigureProcessOnce() {
  // libtorch aborts if the inter-op pool size is set twice, and Node calls module init once per
  // environment (and again under test runners that reset the module registry).
  static std::once_flag once;
  static std::string failure;
  std::call_once(once, [] {
    ReuseLargeAllocations();
    InstallCachingAllocator();
    SerialOpenBlas();
    try {
      int intra = ThreadsFromEnv("CAMU_NUM_THREADS");
      int interop = ThreadsFromEnv("CAMU_NUM_INTEROP_THREADS");
      at::set_num_threads(intra > 0 ? intra : DefaultThreads());
      try {
        at::set_num_interop_threads(interop > 0 ? interop : 1);
      } catch (const c10::Error&) {
        // Another copy of this addon (loaded from a second path) already configured the
        // process-wide inter-op pool; its setting stands.
      }
    } catch (const Error& e) {
      failure = e.what();
    }
  });
  if (!failure.empty()) throw Error(codes::kInvalidArgValue, failure);
}

namespace {

Napi::Value Info(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 0, 0, "info");
    Napi::Env env = info.Env();
    Napi::Object result = Napi::Object::New(env);
    result.Set("camuVersion", CAMU_VERSION);
    result.Set("libtorchVersion", TORCH_VERSION);
    result.Set("variant", CAMU_VARIANT);

    Napi::Object cuda = Napi::Object::New(env);
    Napi::Array devices = Napi::Array::New(env);
#ifdef CAMU_WITH_CUDA
    bool cudaAvailable = torch::cuda::is_available();
    if (cudaAvailable) {
      for (int64_t i = 0; i < static_cast<int64_t>(torch::cuda::device_count()); ++i) {
        devices.Set(static_cast<uint32_t>(i), at::cuda::getDeviceProperties(i)->name);
      }
    }
#else
    bool cudaAvailable = false;
#endif
    cuda.Set("available", cudaAvailable);
    cuda.Set("devices", devices);
    result.Set("cuda", cuda);

    Napi::Object threads = Napi::Object::New(env);
    threads.Set("intraOp", at::get_num_threads());
    threads.Set("interOp", at::get_num_interop_threads());
    threads.Set("availableCores", AvailableCores());
    result.Set("threads", threads);

    Napi::Object xgboost = Napi::Object::New(env);
#ifdef CAMU_WITH_XGBOOST
    int major = 0, minor = 0, patch = 0;
    XGBoostVersion(&major, &minor, &patch);
    xgboost.Set("available", true);
    xgboost.Set("version", std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch));
#else
    xgboost.Set("available", false);
    xgboost.Set("version", env.Null());
#endif
    result.Set("xgboost", xgboost);
    using CoreName = char* (*)();
    if (auto coreName = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"))) {
      result.Set("openblasCore", coreName());
    } else {
      result.Set("openblasCore", env.Null());
    }
    // Both kernel families run on the same instruction set and fall back together.
    const char* kernelSet = kernels::Avx512KernelSet();
    const Napi::Value kernelName = kernelSet != nullptr ? Napi::Value(Napi::String::New(env, kernelSet)) : env.Null();
    result.Set("linearKernel", kernelName);
    result.Set("convPoolKernel", kernelName);
    result.Set("parallelism", at::get_parallel_info());
    return result;
  });
}

}  // namespace

void RegisterInfo(Napi::Env env, Napi::Object exports) { exports.Set("info", Napi::Function::New<Info>(env, "info")); }

}  // namespace camu
