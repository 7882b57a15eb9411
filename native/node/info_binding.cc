// info() -> what this build of camu is and how the process is set up.
#include <dlfcn.h>

#include <torch/torch.h>
#include <torch/version.h>

#ifdef CAMU_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif
#ifdef CAMU_WITH_XGBOOST
#include <xgboost/c_api.h>
#endif

#include "core/process.h"
#include "distributed/process_group.h"
#include "kernels/avx512.h"
#include "kernels/winograd_conv.h"
#include "node/args.h"
#include "node/bindings.h"
#include "node/errors.h"

namespace camu {

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
    threads.Set("camuKernels", KernelThreads());
    if (const char* reason = KernelThreadsReason()) threads.Set("camuKernelsReason", reason);
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

    Napi::Object distributedInfo = Napi::Object::New(env);
    distributedInfo.Set("available", distributed::Available());
    Napi::Array backends = Napi::Array::New(env);
    std::vector<std::string> backendNames = distributed::Backends();
    for (size_t i = 0; i < backendNames.size(); ++i) backends.Set(static_cast<uint32_t>(i), backendNames[i]);
    distributedInfo.Set("backends", backends);
    if (!distributed::Available()) distributedInfo.Set("reason", distributed::UnavailableReason());
    if (!distributed::NcclUnavailableReason().empty()) distributedInfo.Set("ncclReason", distributed::NcclUnavailableReason());
    result.Set("distributed", distributedInfo);
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
    result.Set("cpuBfloat16", kernels::HasAvx512Bf16());
    const kernels::WinogradStatus& winograd = kernels::WinogradConvStatus();
    Napi::Object winogradInfo = Napi::Object::New(env);
    winogradInfo.Set("available", winograd.available);
    if (winograd.available) winogradInfo.Set("implementation", winograd.implementation);
    if (!winograd.available) winogradInfo.Set("reason", winograd.reason);
    winogradInfo.Set("singleTile", winograd.singleTile);
    result.Set("winogradConv", winogradInfo);
    const ProcessSettings& settings = ConfigureProcessOnce();
    Napi::Object tuning = Napi::Object::New(env);
    tuning.Set("enabled", settings.tuning);
    tuning.Set("mallocThresholds", settings.mallocThresholds);
    tuning.Set("cachingAllocator", settings.cachingAllocator);
    tuning.Set("serialOpenBlas", settings.serialOpenBlas);
    result.Set("processTuning", tuning);
    result.Set("parallelism", at::get_parallel_info());
    return result;
  });
}

}  // namespace

void RegisterInfo(Napi::Env env, Napi::Object exports) { exports.Set("info", Napi::Function::New<Info>(env, "info")); }

}  // namespace camu
