// Entry points of the data module (readers, splits, counterfactual set, batching).
#pragma once
#include <napi.h>

namespace camu {

void RegisterData(Napi::Env env, Napi::Object exports);

}  // namespace camu
