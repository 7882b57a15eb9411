// Entry points of the models module: createModel, TorchScript loading, weights and export.
#pragma once
#include <napi.h>

namespace camu::models {

void RegisterModels(Napi::Env env, Napi::Object exports);

}  // namespace camu::models
