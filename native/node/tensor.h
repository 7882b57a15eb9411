// Tensor: a JS handle on a native tensor. Data crosses the boundary only by copy.
#pragma once
#include <napi.h>
#include <ATen/ATen.h>

#include <string>

#include "node/type_tags.h"

namespace camu {

class Tensor : public Napi::ObjectWrap<Tensor> {
 public:
  static void Register(Napi::Env env, Napi::Object exports);
  static Napi::Object Wrap(Napi::Env env, at::Tensor tensor);
  // The tensor behind a JS value; TypeError naming `name` if it is not a Tensor.
  static const at::Tensor& FromValue(const Napi::Value& value, const std::string& name);
  static bool IsInstance(const Napi::Value& value);

  // node-addon-api's method and accessor wrappers unwrap `this` with this: tag-checked.
  static Tensor* Unwrap(const Napi::Object& object) { return UnwrapTagged<Tensor>(object, HandleType::kTensor); }

  explicit Tensor(const Napi::CallbackInfo& info);

 private:
  static Napi::Value FromTypedArray(const Napi::CallbackInfo& info);
  Napi::Value GetShape(const Napi::CallbackInfo& info);
  Napi::Value GetDType(const Napi::CallbackInfo& info);
  Napi::Value GetNumel(const Napi::CallbackInfo& info);
  Napi::Value ToTypedArray(const Napi::CallbackInfo& info);

  at::Tensor tensor_;
};

}  // namespace camu
