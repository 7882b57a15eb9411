// Model: the JS handle on a native model (models::Model). Jobs take a model argument with
// FromValue and return new models with Wrap; the handle shares ownership, so a job that holds the
// shared_ptr keeps the model alive even if JS drops the handle.
#pragma once
#include <napi.h>

#include <memory>
#include <string>

#include "models/model.h"

namespace camu::models {

class ModelHandle : public Napi::ObjectWrap<ModelHandle> {
 public:
  static void Register(Napi::Env env, Napi::Object exports);
  static Napi::Object Wrap(Napi::Env env, std::shared_ptr<Model> model);
  // The model behind a JS value; TypeError naming `name` if it is not a Model handle.
  static std::shared_ptr<Model> FromValue(const Napi::Value& value, const std::string& name);

  explicit ModelHandle(const Napi::CallbackInfo& info);

 private:
  Napi::Value GetArchitecture(const Napi::CallbackInfo& info);
  Napi::Value GetNumClasses(const Napi::CallbackInfo& info);
  Napi::Value GetEmbeddingSize(const Napi::CallbackInfo& info);
  Napi::Value GetInputShape(const Napi::CallbackInfo& info);
  Napi::Value GetInputSpec(const Napi::CallbackInfo& info);
  Napi::Value GetDevice(const Napi::CallbackInfo& info);
  Napi::Value GetHasBatchStatistics(const Napi::CallbackInfo& info);
  Napi::Value GetParameterCount(const Napi::CallbackInfo& info);
  Napi::Value StateInfo(const Napi::CallbackInfo& info);
  Napi::Value StateTensors(const Napi::CallbackInfo& info);
  Napi::Value Clone(const Napi::CallbackInfo& info);
  Napi::Value To(const Napi::CallbackInfo& info);
  Napi::Value Forward(const Napi::CallbackInfo& info);

  std::shared_ptr<Model> model_;
};

}  // namespace camu::models
