// readSafetensorsSync(path) and writeSafetensorsSync(path, tensors, metadata?).
#include "node/args.h"
#include "node/errors.h"
#include "node/tensor.h"
#include "node/bindings.h"
#include "io/safetensors.h"

namespace camu::io {

namespace {

// readSafetensorsSync(path) -> {tensors: {name: Tensor}, metadata: {key: string}}
Napi::Value ReadSafetensorsSync(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 1, 1, "readSafetensorsSync");
    std::string path = StringArg(info[0], "readSafetensorsSync: path");
    SafetensorsContents contents = ReadSafetensors(path);
    Napi::Env env = info.Env();
    Napi::Object tensors = Napi::Object::New(env);
    for (auto& [name, tensor] : contents.tensors) tensors.Set(name, Tensor::Wrap(env, tensor));
    Napi::Object metadata = Napi::Object::New(env);
    for (const auto& [key, value] : contents.metadata) metadata.Set(key, value);
    Napi::Object result = Napi::Object::New(env);
    result.Set("tensors", tensors);
    result.Set("metadata", metadata);
    return result;
  });
}

// writeSafetensorsSync(path, {name: Tensor}, metadata?)
Napi::Value WriteSafetensorsSync(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 2, 3, "writeSafetensorsSync");
    std::string path = StringArg(info[0], "writeSafetensorsSync: path");
    Napi::Object object = ObjectArg(info[1], "writeSafetensorsSync: tensors");
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    Napi::Array names = object.GetPropertyNames();
    for (uint32_t i = 0; i < names.Length(); ++i) {
      std::string name = names.Get(i).ToString().Utf8Value();
      tensors.emplace_back(name, Tensor::FromValue(object.Get(name), "writeSafetensorsSync: tensors." + name));
    }
    std::map<std::string, std::string> metadata;
    if (!info[2].IsUndefined()) {
      Napi::Object meta = ObjectArg(info[2], "writeSafetensorsSync: metadata");
      Napi::Array keys = meta.GetPropertyNames();
      for (uint32_t i = 0; i < keys.Length(); ++i) {
        std::string key = keys.Get(i).ToString().Utf8Value();
        metadata[key] = StringArg(meta.Get(key), "writeSafetensorsSync: metadata." + key);
      }
    }
    WriteSafetensors(path, tensors, metadata);
    return info.Env().Undefined();
  });
}

}  // namespace

void RegisterIo(Napi::Env env, Napi::Object exports) {
  exports.Set("readSafetensorsSync", Napi::Function::New<ReadSafetensorsSync>(env, "readSafetensorsSync"));
  exports.Set("writeSafetensorsSync", Napi::Function::New<WriteSafetensorsSync>(env, "writeSafetensorsSync"));
}

}  // namespace camu::io
