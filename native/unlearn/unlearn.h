#pragma once
#include <napi.h>

namespace camu::unlearn {

void RegisterUnlearn(Napi::Env env, Napi::Object exports);

}  // namespace camu::unlearn
