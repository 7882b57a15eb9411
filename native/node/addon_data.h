// Per-environment state: constructors of the classes camu exports and the JS error class.
// One instance per Node environment (main thread, each worker thread).
#pragma once
#include <napi.h>

namespace camu {

struct AddonData {
  // (message, code) => Error: lib/errors.ts's factory, registered by lib/native/loader.ts at load.
  Napi::FunctionReference errorFactory;
  Napi::FunctionReference abortFlagClass;
  Napi::FunctionReference tensorClass;
  Napi::FunctionReference modelClass;
};

inline AddonData& GetAddonData(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

}  // namespace camu
