#include "node/tensor.h"

#include "node/addon_data.h"
#include "node/args.h"
#include "node/errors.h"
#include "node/tensor_bridge.h"

namespace camu {

namespace {
// Guards construction from JS: only Wrap and Tensor.fromTypedArray make instances.
thread_local const at::Tensor* pendingTensor = nullptr;
}  // namespace

void Tensor::Register(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "Tensor",
                                    {StaticMethod<&Tensor::FromTypedArray>("fromTypedArray"),
                                     InstanceAccessor<&Tensor::GetShape>("shape"),
                                     InstanceAccessor<&Tensor::GetDType>("dtype"),
                                     InstanceAccessor<&Tensor::GetNumel>("numel"),
                                     InstanceMethod<&Tensor::ToTypedArray>("toTypedArray")});
  GetAddonData(env).tensorClass = Napi::Persistent(ctor);
  exports.Set("Tensor", ctor);
}

Napi::Object Tensor::Wrap(Napi::Env env, at::Tensor tensor) {
  pendingTensor = &tensor;
  Napi::Object object;
  try {
    object = GetAddonData(env).tensorClass.New({});
  } catch (...) {
    pendingTensor = nullptr;
    throw;
  }
  pendingTensor = nullptr;
  return object;
}

bool Tensor::IsInstance(const Napi::Value& value) { return IsHandle(value, HandleType::kTensor); }

const at::Tensor& Tensor::FromValue(const Napi::Value& value, const std::string& name) {
  CheckHandle(value, HandleType::kTensor, name);
  return Napi::ObjectWrap<Tensor>::Unwrap(value.As<Napi::Object>())->tensor_;
}

Tensor::Tensor(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Tensor>(info) {
  if (pendingTensor == nullptr) {
    throw Napi::TypeError::New(info.Env(), "Tensor cannot be constructed directly; use Tensor.fromTypedArray");
  }
  tensor_ = *pendingTensor;
  TagHandle(info.Env(), info.This().As<Napi::Object>(), HandleType::kTensor);
}

Napi::Value Tensor::FromTypedArray(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 2, 2, "Tensor.fromTypedArray");
    auto shape = ShapeArg(info[1], "Tensor.fromTypedArray: shape");
    at::Tensor tensor = TensorFromTypedArray(info[0], shape, "Tensor.fromTypedArray: data");
    return Wrap(info.Env(), std::move(tensor));
  });
}

Napi::Value Tensor::GetShape(const Napi::CallbackInfo& info) { return ShapeToJs(info.Env(), tensor_.sizes()); }

Napi::Value Tensor::GetDType(const Napi::CallbackInfo& info) {
  const DTypeInfo* dtype = DTypeByScalarType(tensor_.scalar_type());
  return Napi::String::New(info.Env(), dtype ? dtype->name : at::toString(tensor_.scalar_type()));
}

Napi::Value Tensor::GetNumel(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(tensor_.numel()));
}

Napi::Value Tensor::ToTypedArray(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 0, 0, "Tensor.toTypedArray");
    return TypedArrayFromTensor(info.Env(), tensor_);
  });
}

}  // namespace camu
