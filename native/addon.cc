// Module init: per-environment data, process-wide thread settings, and every exported entry point.
#include <napi.h>

#include "bridge/addon_data.h"
#include "bridge/args.h"
#include "bridge/errors.h"
#include "bridge/job.h"
#include "core/core.h"
#include "core/tensor.h"
#include "data/data.h"
#include "kernels/kernels.h"
#include "metrics/metrics.h"
#include "io/io.h"
#include "models/models.h"
#include "train/train.h"
#include "unlearn/unlearn.h"

namespace camu {
namespace {

// setErrorFactory((message, code) => Error): lib/native.ts hands over how CamuErrors are made.
Napi::Value SetErrorFactory(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 1, 1, "setErrorFactory");
    GetAddonData(info.Env()).errorFactory = Napi::Persistent(FunctionArg(info[0], "setErrorFactory: factory"));
    return info.Env().Undefined();
  });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData<AddonData>(new AddonData());
  try {
    ConfigureProcessOnce();
  } catch (...) {
    throw ToJsError(env, CaptureCurrentException());
  }
  exports.Set("setErrorFactory", Napi::Function::New<SetErrorFactory>(env, "setErrorFactory"));
  AbortFlag::Register(env, exports);
  Tensor::Register(env, exports);
  RegisterInfo(env, exports);
  RegisterThroughput(env, exports);
  RegisterData(env, exports);
  kernels::RegisterKernels(env, exports);
  metrics::RegisterMetrics(env, exports);
  io::RegisterIo(env, exports);
  models::RegisterModels(env, exports);
  train::RegisterTrain(env, exports);
  unlearn::RegisterUnlearn(env, exports);
  return exports;
}

}  // namespace
}  // namespace camu

static Napi::Object InitCamu(Napi::Env env, Napi::Object exports) { return camu::Init(env, exports); }

NODE_API_MODULE(camu, InitCamu)
