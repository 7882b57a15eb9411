// createModel, loadTorchScript, loadWeights, saveWeights, exportTorchScript (async + Sync twins).
#include <functional>
#include <mutex>

#include "bridge/args.h"
#include "bridge/errors.h"
#include "bridge/job.h"
#include "models/builtin.h"
#include "models/device.h"
#include "models/model_handle.h"
#include "models/models.h"
#include "models/torchscript_model.h"
#include "models/weights.h"

namespace camu::models {

namespace {

const std::vector<double> kImageNetMean = {0.485, 0.456, 0.406};
const std::vector<double> kImageNetStd = {0.229, 0.224, 0.225};

std::vector<double> NumberArrayArg(const Napi::Value& value, const std::string& name) {
  if (!value.IsArray()) ThrowTypeError(name + " must be an array of numbers, got " + DescribeJsValue(value));
  auto array = value.As<Napi::Array>();
  if (array.Length() > 64) ThrowRangeError(name + " has " + std::to_string(array.Length()) + " entries; at most 64");
  std::vector<double> numbers;
  for (uint32_t i = 0; i < array.Length(); ++i) numbers.push_back(NumberArg(array.Get(i), name + "[" + std::to_string(i) + "]"));
  return numbers;
}

// options.mean / options.std: both or neither, one per channel (when `channels` > 0), std > 0.
data::InputSpec InputSpecOption(const Options& options, int64_t channels, const data::InputSpec& fallback) {
  if (!options.Has("mean") && !options.Has("std")) return fallback;
  if (!options.Has("mean") || !options.Has("std")) ThrowTypeError(options.Name("mean") + " and " + options.Name("std") + " go together");
  data::InputSpec spec;
  spec.mean = NumberArrayArg(options.Get("mean"), options.Name("mean"));
  spec.std = NumberArrayArg(options.Get("std"), options.Name("std"));
  if (spec.mean.size() != spec.std.size()) {
    ThrowRangeError(options.Name("mean") + " and " + options.Name("std") + " must have the same length");
  }
  if (channels > 0 && !spec.mean.empty() && static_cast<int64_t>(spec.mean.size()) != channels) {
    ThrowRangeError(options.Name("mean") + " needs one value per input channel (" + std::to_string(channels) + "), got " +
                    std::to_string(spec.mean.size()));
  }
  for (double s : spec.std) {
    if (!(s > 0)) ThrowRangeError(options.Name("std") + " values must be positive");
  }
  return spec;
}

std::string PathArg(const Napi::Value& value, const std::string& name) {
  std::string path = StringArg(value, name);
  if (path.empty()) ThrowRangeError(name + " must not be empty");
  if (path.find('\0') != std::string::npos) ThrowRangeError(name + " must not contain NUL characters");
  return path;
}

// Locks a model for an operation: blocking in a job (worker thread), try-lock in a Sync twin.
std::unique_lock<std::mutex> LockModel(const Model& model, bool synchronous, const std::string& fn) {
  if (synchronous) return LockForSync(model, fn);
  return std::unique_lock<std::mutex>(model.Mutex());
}

// One job class for the model file operations: each is a single blocking call.
using FileWork = std::function<std::shared_ptr<Model>(bool synchronous)>;

class ModelFileJob : public Job {
 public:
  ModelFileJob(Napi::Env env, const char* name, const JobHooks& hooks, FileWork work)
      : Job(env, name, hooks), work_(std::move(work)) {}

 private:
  void Run(const JobContext& context) override { result_ = work_(false); }
  Napi::Value Result(Napi::Env env) override { return result_ ? ModelHandle::Wrap(env, result_) : env.Undefined(); }

  FileWork work_;
  std::shared_ptr<Model> result_;
};

using ParseFileWork = FileWork (*)(const Napi::CallbackInfo& info, const std::string& fn);

// fn(args..., onProgress?, abortFlag?) with kMin..kMax leading arguments.
template <size_t kMin, size_t kMax>
Napi::Value StartFileJob(const Napi::CallbackInfo& info, const char* fn, ParseFileWork parse) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, kMin, kMax + 2, fn);
    FileWork work = parse(info, fn);
    JobHooks hooks = JobHooks::Parse(info[kMax], info[kMax + 1], fn);
    return (new ModelFileJob(info.Env(), fn, hooks, std::move(work)))->Start();
  });
}

template <size_t kMin, size_t kMax>
Napi::Value RunFileSync(const Napi::CallbackInfo& info, const char* fn, ParseFileWork parse) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, kMin, kMax, fn);
    std::shared_ptr<Model> result = parse(info, fn)(true);
    return result ? ModelHandle::Wrap(info.Env(), result) : info.Env().Undefined();
  });
}

// createModel({architecture, numClasses?, inChannels?, inputSize?, inFeatures?, hiddenSize?,
//              seed?, mean?, std?, device?}) -> Model
Napi::Value CreateModel(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 1, 1, "createModel");
    Options options(info[0], "createModel: options");
    BuiltinConfig config;
    config.architecture = options.OneOf("architecture", "", {"cnn", "resnet18", "resnet18-cifar", "mlp"});
    bool resnet = config.architecture.rfind("resnet18", 0) == 0;
    config.numClasses = options.Integer("numClasses", 10, 2, 100000);
    config.inChannels = options.Integer("inChannels", resnet ? 3 : 1, 1, 64);
    config.inputSize = options.Integer("inputSize", 28, 4, 4096);
    config.inFeatures = options.Integer("inFeatures", 784, 1, 1 << 24);
    config.hiddenSize = options.Integer("hiddenSize", 256, 1, 1 << 16);
    config.seed = static_cast<uint64_t>(options.Integer("seed", 0, 0, 9007199254740991LL));
    data::InputSpec fallback;
    if (resnet && config.inChannels == 3) fallback = {kImageNetMean, kImageNetStd};  // the paper's ResNet input
    config.input = InputSpecOption(options, config.architecture == "mlp" ? 0 : config.inChannels, fallback);
    std::optional<at::Device> device;
    if (options.Has("device")) device = ParseDevice(options.String("device", "cpu"), options.Name("device"));
    std::shared_ptr<Model> model = CreateBuiltin(config);
    if (device) model->To(*device);
    return ModelHandle::Wrap(info.Env(), model);
  });
}

FileWork ParseLoadTorchScript(const Napi::CallbackInfo& info, const std::string& fn) {
  std::string path = PathArg(info[0], fn + ": path");
  Options options(info[1], fn + ": options");
  TorchScriptOptions load;
  load.features = options.String("features", "");
  load.head = options.String("head", "");
  if (options.Has("inputShape")) {
    load.inputShape = ShapeArg(options.Get("inputShape"), options.Name("inputShape"));
    if (load.inputShape.empty()) ThrowRangeError(options.Name("inputShape") + " must have at least one dimension");
    for (int64_t dim : load.inputShape) {
      if (dim == 0) ThrowRangeError(options.Name("inputShape") + " must not contain 0");
    }
  }
  int64_t channels = load.inputShape.size() == 3 ? load.inputShape[0] : 0;
  if (options.Has("mean") || options.Has("std")) load.input = InputSpecOption(options, channels, {});
  if (options.Has("device")) load.device = ParseDevice(options.String("device", "cpu"), options.Name("device"));
  return [path, load](bool) { return LoadTorchScript(path, load); };
}

// loadTorchScript(path, options?, onProgress?, abortFlag?) -> Promise<Model>
Napi::Value LoadTorchScriptAsync(const Napi::CallbackInfo& info) {
  return StartFileJob<1, 2>(info, "loadTorchScript", ParseLoadTorchScript);
}
Napi::Value LoadTorchScriptSync(const Napi::CallbackInfo& info) {
  return RunFileSync<1, 2>(info, "loadTorchScriptSync", ParseLoadTorchScript);
}

// loadWeights(model, path): a new model, a copy of `model` with the file's weights.
FileWork ParseLoadWeights(const Napi::CallbackInfo& info, const std::string& fn) {
  std::shared_ptr<Model> model = ModelHandle::FromValue(info[0], fn + ": model");
  std::string path = PathArg(info[1], fn + ": path");
  return [model, path, fn](bool synchronous) {
    std::shared_ptr<Model> copy;
    {
      auto lock = LockModel(*model, synchronous, fn);
      copy = model->Clone();
    }
    LoadWeights(*copy, path);
    return copy;
  };
}

Napi::Value LoadWeightsAsync(const Napi::CallbackInfo& info) {
  return StartFileJob<2, 2>(info, "loadWeights", ParseLoadWeights);
}
Napi::Value LoadWeightsSync(const Napi::CallbackInfo& info) {
  return RunFileSync<2, 2>(info, "loadWeightsSync", ParseLoadWeights);
}

// saveWeights(model, path, metadata?)
FileWork ParseSaveWeights(const Napi::CallbackInfo& info, const std::string& fn) {
  std::shared_ptr<Model> model = ModelHandle::FromValue(info[0], fn + ": model");
  std::string path = PathArg(info[1], fn + ": path");
  std::map<std::string, std::string> metadata;
  if (!info[2].IsUndefined()) {
    Napi::Object object = ObjectArg(info[2], fn + ": metadata");
    Napi::Array keys = object.GetPropertyNames();
    for (uint32_t i = 0; i < keys.Length(); ++i) {
      std::string key = keys.Get(i).ToString().Utf8Value();
      metadata[key] = StringArg(object.Get(key), fn + ": metadata." + key);
    }
  }
  return [model, path, metadata, fn](bool synchronous) -> std::shared_ptr<Model> {
    auto lock = LockModel(*model, synchronous, fn);
    SaveWeights(*model, path, metadata);
    return nullptr;
  };
}

Napi::Value SaveWeightsAsync(const Napi::CallbackInfo& info) {
  return StartFileJob<2, 3>(info, "saveWeights", ParseSaveWeights);
}
Napi::Value SaveWeightsSync(const Napi::CallbackInfo& info) {
  return RunFileSync<2, 3>(info, "saveWeightsSync", ParseSaveWeights);
}

// exportTorchScript(model, path)
FileWork ParseExport(const Napi::CallbackInfo& info, const std::string& fn) {
  std::shared_ptr<Model> model = ModelHandle::FromValue(info[0], fn + ": model");
  std::string path = PathArg(info[1], fn + ": path");
  return [model, path, fn](bool synchronous) -> std::shared_ptr<Model> {
    auto lock = LockModel(*model, synchronous, fn);
    ExportTorchScript(*model, path);
    return nullptr;
  };
}

Napi::Value ExportTorchScriptAsync(const Napi::CallbackInfo& info) {
  return StartFileJob<2, 2>(info, "exportTorchScript", ParseExport);
}
Napi::Value ExportTorchScriptSync(const Napi::CallbackInfo& info) {
  return RunFileSync<2, 2>(info, "exportTorchScriptSync", ParseExport);
}

}  // namespace

void RegisterModels(Napi::Env env, Napi::Object exports) {
  ModelHandle::Register(env, exports);
  exports.Set("createModel", Napi::Function::New<CreateModel>(env, "createModel"));
  exports.Set("loadTorchScript", Napi::Function::New<LoadTorchScriptAsync>(env, "loadTorchScript"));
  exports.Set("loadTorchScriptSync", Napi::Function::New<LoadTorchScriptSync>(env, "loadTorchScriptSync"));
  exports.Set("loadWeights", Napi::Function::New<LoadWeightsAsync>(env, "loadWeights"));
  exports.Set("loadWeightsSync", Napi::Function::New<LoadWeightsSync>(env, "loadWeightsSync"));
  exports.Set("saveWeights", Napi::Function::New<SaveWeightsAsync>(env, "saveWeights"));
  exports.Set("saveWeightsSync", Napi::Function::New<SaveWeightsSync>(env, "saveWeightsSync"));
  exports.Set("exportTorchScript", Napi::Function::New<ExportTorchScriptAsync>(env, "exportTorchScript"));
  exports.Set("exportTorchScriptSync", Napi::Function::New<ExportTorchScriptSync>(env, "exportTorchScriptSync"));
}

}  // namespace camu::models
