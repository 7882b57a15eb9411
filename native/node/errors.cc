#include "node/errors.h"

#include "node/addon_data.h"

namespace camu {

Napi::Error ToJsError(Napi::Env env, const ErrorInfo& error) {
  Napi::Error jsError;
  if (error.kind == ErrorKind::kType) {
    jsError = Napi::TypeError::New(env, error.message);
  } else if (error.kind == ErrorKind::kRange) {
    jsError = Napi::RangeError::New(env, error.message);
  } else {
    auto* data = env.GetInstanceData<AddonData>();
    if (data != nullptr && !data->errorFactory.IsEmpty()) {
      Napi::Value instance = data->errorFactory.Call(
          {Napi::String::New(env, error.message), Napi::String::New(env, error.code)});
      if (instance.IsObject()) return Napi::Error(env, instance);
    }
    jsError = Napi::Error::New(env, error.message);
  }
  jsError.Set("code", Napi::String::New(env, error.code));
  return jsError;
}

}  // namespace camu
