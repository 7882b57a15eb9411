#pragma once
#include <napi.h>

namespace camu::kernels {

void RegisterKernels(Napi::Env env, Napi::Object exports);

}  // namespace camu::kernels
