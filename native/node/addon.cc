// Module init: per-environment data, process-wide thread settings, and every exported entry point.
#include <napi.h>

#include "core/process.h"
#include "node/addon_data.h"
#include "node/args.h"
#include "node/bindings.h"
#include "node/errors.h"
#include "node/job.h"
#include "node/tensor.h"
#include "node/type_tags.h"

namespace camu {
namespace {

// setErrorFactory((message, code) => Error): lib/native/loader.ts hands over how CamuErrors are made.
Napi::Value SetErrorFactory(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 1, 1, "setErrorFactory");
    GetAddonData(info.Env()).errorFactory = Napi::Persistent(FunctionArg(info[0], "setErrorFactory: factory"));
    return info.Env().Undefined();
  });
}

// testing.externalMemory() -> the bytes V8 counts as external memory (the models' state included),
// for the test of that accounting (process.memoryUsage() does not show it).
Napi::Value ExternalMemory(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 0, 0, "testing.externalMemory");
    return Napi::Number::New(info.Env(), static_cast<double>(Napi::MemoryManagement::AdjustExternalMemory(info.Env(), 0)));
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
  exports.Set("handleType", Napi::Function::New<HandleTypeOf>(env, "handleType"));
  AbortFlag::Register(env, exports);
  Tensor::Register(env, exports);
  RegisterInfo(env, exports);
  RegisterThroughput(env, exports);
  RegisterData(env, exports);
  RegisterTaskGroup(env, exports);
  Napi::Object testing = Napi::Object::New(env);
  kernels::RegisterKernels(env, testing);
  testing.Set("externalMemory", Napi::Function::New<ExternalMemory>(env, "externalMemory"));
  exports.Set("testing", testing);
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
