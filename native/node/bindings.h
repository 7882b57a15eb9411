// The Node-API entry points of each area of the core, registered on the addon's exports by
// node/addon.cc. Each lives in node/<area>_binding.cc.
#pragma once
#include <napi.h>

namespace camu {
void RegisterInfo(Napi::Env env, Napi::Object exports);
void RegisterThroughput(Napi::Env env, Napi::Object exports);
void RegisterData(Napi::Env env, Napi::Object exports);
void RegisterTaskGroup(Napi::Env env, Napi::Object exports);
}  // namespace camu

namespace camu::io {
void RegisterIo(Napi::Env env, Napi::Object exports);
}
namespace camu::kernels {
// Checks of the fast kernels against their reference twins, for camu's own tests: registered on
// the addon's `testing` object, not on the public exports.
void RegisterKernels(Napi::Env env, Napi::Object testing);
}
namespace camu::metrics {
void RegisterMetrics(Napi::Env env, Napi::Object exports);
}
namespace camu::models {
void RegisterModels(Napi::Env env, Napi::Object exports);
}
namespace camu::train {
void RegisterTrain(Napi::Env env, Napi::Object exports);
}
namespace camu::unlearn {
void RegisterUnlearn(Napi::Env env, Napi::Object exports);
}
