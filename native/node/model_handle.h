// Model: the JS handle on a native model (models::Model). Jobs take a model argument with
// FromValue and return new models with Wrap; the handle shares ownership, so a job that holds the
// shared_ptr keeps the model alive even if JS drops or disposes of the handle. The bytes of the
// model's state are reported to V8 as external memory while the handle holds it, so the garbage
// collector sees what an unreachable model costs; dispose() releases it at once.
#pragma once
#include <napi.h>

#include <memory>
#include <string>

#include "models/model.h"
#include "node/type_tags.h"

namespace camu::models {

class ModelHandle : public Napi::ObjectWrap<ModelHandle> {
 public:
  static void Register(Napi::Env env, Napi::Object exports);
  static Napi::Object Wrap(Napi::Env env, std::shared_ptr<Model> model);
  // The model behind a JS value; TypeError naming `name` if it is not a Model handle.
  static std::shared_ptr<Model> FromValue(const Napi::Value& value, const std::string& name);

  // node-addon-api's method and accessor wrappers unwrap `this` with this: tag-checked.
  static ModelHandle* Unwrap(const Napi::Object& object) {
    return UnwrapTagged<ModelHandle>(object, HandleType::kModel);
  }

  explicit ModelHandle(const Napi::CallbackInfo& info);
  void Finalize(Napi::Env env) override;

 private:
  // The model, or ERR_CAMU_STATE naming `fn` once disposed.
  const std::shared_ptr<Model>& Get(const std::string& fn) const;
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value GetDisposed(const Napi::CallbackInfo& info);
  Napi::Value GetArchitecture(const Napi::CallbackInfo& info);
  Napi::Value GetNumClasses(const Napi::CallbackInfo& info);
  Napi::Value GetEmbeddingSize(const Napi::CallbackInfo& info);
  Napi::Value GetInputShape(const Napi::CallbackInfo& info);
  Napi::Value GetInputSpec(const Napi::CallbackInfo& info);
  Napi::Value GetDevice(const Napi::CallbackInfo& info);
  Napi::Value GetHasBatchStatistics(const Napi::CallbackInfo& info);
  Napi::Value GetExecution(const Napi::CallbackInfo& info);
  Napi::Value GetParameterCount(const Napi::CallbackInfo& info);
  Napi::Value StateInfo(const Napi::CallbackInfo& info);
  Napi::Value StateTensors(const Napi::CallbackInfo& info);
  Napi::Value Clone(const Napi::CallbackInfo& info);
  Napi::Value To(const Napi::CallbackInfo& info);
  Napi::Value Forward(const Napi::CallbackInfo& info);

  std::shared_ptr<Model> model_;  // null once disposed
  int64_t externalBytes_ = 0;     // reported to V8 while model_ is held
};

}  // namespace camu::models
