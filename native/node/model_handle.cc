#include "node/model_handle.h"

#include <torch/torch.h>

#include "node/addon_data.h"
#include "node/args.h"
#include "node/errors.h"
#include "node/tensor_bridge.h"
#include "node/tensor.h"
#include "models/device.h"

namespace camu::models {

namespace {
// Guards construction from JS: only Wrap makes instances.
thread_local std::shared_ptr<Model>* pendingModel = nullptr;

}  // namespace

void ModelHandle::Register(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor =
      DefineClass(env, "Model",
                  {InstanceAccessor<&ModelHandle::GetArchitecture>("architecture"),
                   InstanceAccessor<&ModelHandle::GetNumClasses>("numClasses"),
                   InstanceAccessor<&ModelHandle::GetEmbeddingSize>("embeddingSize"),
                   InstanceAccessor<&ModelHandle::GetInputShape>("inputShape"),
                   InstanceAccessor<&ModelHandle::GetInputSpec>("inputSpec"),
                   InstanceAccessor<&ModelHandle::GetDevice>("device"),
                   InstanceAccessor<&ModelHandle::GetHasBatchStatistics>("hasBatchStatistics"),
                   InstanceAccessor<&ModelHandle::GetExecution>("execution"),
                   InstanceAccessor<&ModelHandle::GetParameterCount>("parameterCount"),
                   InstanceMethod<&ModelHandle::StateInfo>("stateInfo"),
                   InstanceMethod<&ModelHandle::StateTensors>("stateTensors"),
                   InstanceMethod<&ModelHandle::Clone>("clone"),
                   InstanceMethod<&ModelHandle::To>("to"),
                   InstanceMethod<&ModelHandle::Forward>("forward"),
                   InstanceMethod<&ModelHandle::Dispose>("dispose"),
                   InstanceAccessor<&ModelHandle::GetDisposed>("disposed")});
  GetAddonData(env).modelClass = Napi::Persistent(ctor);
  exports.Set("Model", ctor);
}

Napi::Object ModelHandle::Wrap(Napi::Env env, std::shared_ptr<Model> model) {
  pendingModel = &model;
  Napi::Object object;
  try {
    object = GetAddonData(env).modelClass.New({});
  } catch (...) {
    pendingModel = nullptr;
    throw;
  }
  pendingModel = nullptr;
  return object;
}

std::shared_ptr<Model> ModelHandle::FromValue(const Napi::Value& value, const std::string& name) {
  CheckHandle(value, HandleType::kModel, name);
  return Napi::ObjectWrap<ModelHandle>::Unwrap(value.As<Napi::Object>())->Get(name);
}

namespace {
int64_t StateBytes(const Model& model) {
  int64_t bytes = 0;
  for (const auto& entry : model.NamedState()) bytes += static_cast<int64_t>(entry.second.nbytes());
  return bytes;
}
}  // namespace

ModelHandle::ModelHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelHandle>(info) {
  if (pendingModel == nullptr) {
    throw Napi::TypeError::New(info.Env(), "Model cannot be constructed directly; use createModel or loadModel");
  }
  model_ = *pendingModel;
  TagHandle(info.Env(), info.This().As<Napi::Object>(), HandleType::kModel);
  externalBytes_ = StateBytes(*model_);
  Napi::MemoryManagement::AdjustExternalMemory(info.Env(), externalBytes_);
}

void ModelHandle::Finalize(Napi::Env env) {
  if (model_) Napi::MemoryManagement::AdjustExternalMemory(env, -externalBytes_);
}

const std::shared_ptr<Model>& ModelHandle::Get(const std::string& fn) const {
  if (!model_) throw Error(codes::kState, fn + ": the model was disposed");
  return model_;
}

// dispose(): releases the model now (its memory is freed once no running job uses it). Later use
// of this handle is an ERR_CAMU_STATE error; a second dispose() does nothing.
Napi::Value ModelHandle::Dispose(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 0, 0, "Model.dispose");
    if (model_) {
      model_.reset();
      Napi::MemoryManagement::AdjustExternalMemory(info.Env(), -externalBytes_);
    }
    return info.Env().Undefined();
  });
}

Napi::Value ModelHandle::GetDisposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !model_); }

// Property getters: each a coded error (not a crash) on a disposed model.
Napi::Value ModelHandle::GetArchitecture(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value { return Napi::String::New(info.Env(), Get("Model.architecture")->Architecture()); });
}

Napi::Value ModelHandle::GetNumClasses(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    int64_t classes = Get("Model.numClasses")->NumClasses();
    return classes < 0 ? info.Env().Null() : Napi::Number::New(info.Env(), static_cast<double>(classes));
  });
}

Napi::Value ModelHandle::GetEmbeddingSize(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    int64_t size = Get("Model.embeddingSize")->EmbeddingSize();
    return size < 0 ? info.Env().Null() : Napi::Number::New(info.Env(), static_cast<double>(size));
  });
}

Napi::Value ModelHandle::GetInputShape(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    std::vector<int64_t> shape = Get("Model.inputShape")->InputShape();
    if (shape.empty()) return info.Env().Null();
    Napi::Array array = Napi::Array::New(info.Env(), shape.size());
    for (size_t i = 0; i < shape.size(); ++i) {
      array.Set(static_cast<uint32_t>(i),
                shape[i] < 0 ? info.Env().Null() : Napi::Number::New(info.Env(), static_cast<double>(shape[i])));
    }
    return array;
  });
}

Napi::Value ModelHandle::GetInputSpec(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    const data::InputSpec& spec = Get("Model.inputSpec")->Input();
    Napi::Env env = info.Env();
    Napi::Object object = Napi::Object::New(env);
    Napi::Array mean = Napi::Array::New(env, spec.mean.size());
    Napi::Array std = Napi::Array::New(env, spec.std.size());
    for (size_t i = 0; i < spec.mean.size(); ++i) mean.Set(static_cast<uint32_t>(i), spec.mean[i]);
    for (size_t i = 0; i < spec.std.size(); ++i) std.Set(static_cast<uint32_t>(i), spec.std[i]);
    object.Set("mean", mean);
    object.Set("std", std);
    return object;
  });
}

Napi::Value ModelHandle::GetDevice(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value { return Napi::String::New(info.Env(), Get("Model.device")->Device().str()); });
}

Napi::Value ModelHandle::GetExecution(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    const Model::Execution execution = Get("Model.execution")->DescribeExecution();
    Napi::Env env = info.Env();
    Napi::Object object = Napi::Object::New(env);
    object.Set("engine", execution.engine);
    if (execution.engine == "camu-kernels") {
      Napi::Array layers = Napi::Array::New(env, execution.layers.size());
      for (size_t i = 0; i < execution.layers.size(); ++i) layers.Set(static_cast<uint32_t>(i), execution.layers[i]);
      object.Set("layers", layers);
    }
    if (!execution.reason.empty()) object.Set("reason", execution.reason);
    object.Set("precision", execution.precision);
    return object;
  });
}

Napi::Value ModelHandle::GetHasBatchStatistics(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    return Napi::Boolean::New(info.Env(), Get("Model.hasBatchStatistics")->HasBatchStatistics());
  });
}

Napi::Value ModelHandle::GetParameterCount(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    int64_t count = 0;
    for (const at::Tensor& parameter : Get("Model.parameterCount")->Parameters()) count += parameter.numel();
    return Napi::Number::New(info.Env(), static_cast<double>(count));
  });
}

// stateInfo() -> [{name, shape, dtype}] in state_dict order.
Napi::Value ModelHandle::StateInfo(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 0, 0, "Model.stateInfo");
    Napi::Env env = info.Env();
    NamedTensors state = Get("Model.stateInfo")->NamedState();
    Napi::Array array = Napi::Array::New(env, state.size());
    for (size_t i = 0; i < state.size(); ++i) {
      Napi::Object entry = Napi::Object::New(env);
      entry.Set("name", state[i].first);
      entry.Set("shape", ShapeToJs(env, state[i].second.sizes()));
      const DTypeInfo* dtype = DTypeByScalarType(state[i].second.scalar_type());
      entry.Set("dtype", dtype ? dtype->name : at::toString(state[i].second.scalar_type()));
      array.Set(static_cast<uint32_t>(i), entry);
    }
    return array;
  });
}

// stateTensors() -> {name: Tensor}: CPU copies, unaffected by later training of this model.
Napi::Value ModelHandle::StateTensors(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 0, 0, "Model.stateTensors");
    const Model& model = *Get("Model.stateTensors");
    auto lock = LockForSync(model, "Model.stateTensors");
    Napi::Object object = Napi::Object::New(info.Env());
    for (const auto& [name, tensor] : model.NamedState()) {
      object.Set(name, Tensor::Wrap(info.Env(), tensor.detach().to(at::kCPU, /*non_blocking=*/false, /*copy=*/true)));
    }
    return object;
  });
}

// clone() -> Model: a deep copy.
Napi::Value ModelHandle::Clone(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 0, 0, "Model.clone");
    const Model& model = *Get("Model.clone");
    auto lock = LockForSync(model, "Model.clone");
    return Wrap(info.Env(), model.Clone());
  });
}

// to(device) -> Model: a deep copy on `device` ("cpu", "cuda", "cuda:1").
Napi::Value ModelHandle::To(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 1, 1, "Model.to");
    at::Device device = ParseDevice(StringArg(info[0], "Model.to: device"), "Model.to: device");
    const Model& model = *Get("Model.to");
    auto lock = LockForSync(model, "Model.to");
    std::shared_ptr<Model> copy = model.Clone();
    copy->To(device);
    return Wrap(info.Env(), copy);
  });
}

// forward(images: Tensor) -> {logits: Tensor, embedding: Tensor}: one eval-mode pass without
// autograd; images are uint8 (scaled and normalised with the model's inputSpec) or float32
// (normalised only). For many samples use evaluate(), which batches.
Napi::Value ModelHandle::Forward(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 1, 1, "Model.forward");
    const at::Tensor& images = Tensor::FromValue(info[0], "Model.forward: images");
    Model& model = *Get("Model.forward");
    auto lock = LockForSync(model, "Model.forward");
    torch::NoGradGuard noGrad;
    at::Tensor input = data::ToNetworkInput(images.to(model.Device()), model.Input());
    TrainingModeGuard evalMode(model, false);
    ModelOutput output = model.Forward(input);
    Napi::Object object = Napi::Object::New(info.Env());
    object.Set("logits", Tensor::Wrap(info.Env(), output.logits.to(at::kCPU)));
    object.Set("embedding", Tensor::Wrap(info.Env(), output.embedding.to(at::kCPU)));
    return object;
  });
}

}  // namespace camu::models
