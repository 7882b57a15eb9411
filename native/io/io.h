// Entry points of the io module: named-tensor files (safetensors).
#pragma once
#include <napi.h>

namespace camu::io {

void RegisterIo(Napi::Env env, Napi::Object exports);

}  // namespace camu::io
