// createModel, and loadTorchScript, loadWeights, saveWeights, exportTorchScript (each async with
// its Sync twin, node/operation.h).
#include <cmath>
#include <map>

#include "core/errors.h"
#include "node/args.h"
#include "node/errors.h"
#include "node/job.h"
#include "node/operation.h"
#include "models/builtin.h"
#include "models/device.h"
#include "node/model_handle.h"
#include "node/bindings.h"
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

// createModel({architecture, numClasses?, inChannels?, inputSize?, inFeatures?, hiddenSize?,
//              seed?, mean?, std?, device?, precision?}) -> Model
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
    config.precision = options.OneOf("precision", "float32", {"float32", "bfloat16"});
    if (config.precision != "float32" && !resnet) {
      throw Error(codes::kUnsupported, options.Name("precision") + " '" + config.precision +
                                           "' is for the ResNet architectures; '" + config.architecture +
                                           "' runs in float32 (camu's float32 kernels)");
    }
    std::optional<at::Device> device;
    if (options.Has("device")) device = ParseDevice(options.String("device", "cpu"), options.Name("device"));
    std::shared_ptr<Model> model = CreateBuiltin(config);
    if (device) model->To(*device);
    return ModelHandle::Wrap(info.Env(), model);
  });
}

// The model file operations: each is one blocking call; the loads return a new model.
struct LoadTorchScriptOp {
  static constexpr const char* kName = "loadTorchScript";
  static constexpr size_t kMinArgs = 1, kMaxArgs = 2;
  std::string path;
  TorchScriptOptions load;
  std::shared_ptr<Model> result;

  static LoadTorchScriptOp Parse(const Napi::CallbackInfo& info, const std::string& fn, std::vector<Napi::Object>&) {
    LoadTorchScriptOp op;
    op.path = PathArg(info[0], fn + ": path");
    Options options(info[1], fn + ": options");
    op.load.trustCode = options.Boolean("trustCode", false);
    op.load.forwardTimeout = options.Number("forwardTimeout", op.load.forwardTimeout);
    if (op.load.forwardTimeout < 0 || !std::isfinite(op.load.forwardTimeout)) {
      ThrowRangeError(options.Name("forwardTimeout") + " must be a finite number of seconds >= 0 (0 = no limit)");
    }
    op.load.features = options.String("features", "");
    op.load.head = options.String("head", "");
    op.load.camuKernels = options.Boolean("camuKernels", true);
    if (options.Has("inputShape")) {
      op.load.inputShape = ShapeArg(options.Get("inputShape"), options.Name("inputShape"));
      if (op.load.inputShape.empty()) ThrowRangeError(options.Name("inputShape") + " must have at least one dimension");
      for (int64_t dim : op.load.inputShape) {
        if (dim == 0) ThrowRangeError(options.Name("inputShape") + " must not contain 0");
      }
    }
    int64_t channels = op.load.inputShape.size() == 3 ? op.load.inputShape[0] : 0;
    if (options.Has("mean") || options.Has("std")) op.load.input = InputSpecOption(options, channels, {});
    if (options.Has("device")) op.load.device = ParseDevice(options.String("device", "cpu"), options.Name("device"));
    return op;
  }
  bool RunsUserCode() const { return load.trustCode && load.forwardTimeout > 0; }
  void Run(const JobContext&) { result = LoadTorchScript(path, load); }
  Napi::Value Result(Napi::Env env) { return ModelHandle::Wrap(env, result); }
};

// loadWeights(model, path): a new model, a copy of `model` with the file's weights.
struct LoadWeightsOp {
  static constexpr const char* kName = "loadWeights";
  static constexpr size_t kMinArgs = 2, kMaxArgs = 2;
  std::string fn, path;
  std::shared_ptr<Model> model, result;

  static LoadWeightsOp Parse(const Napi::CallbackInfo& info, const std::string& fn, std::vector<Napi::Object>&) {
    return {fn, PathArg(info[1], fn + ": path"), ModelHandle::FromValue(info[0], fn + ": model"), nullptr};
  }
  void Run(const JobContext& context) {
    {
      auto lock = LockFor(*model, fn, context);
      result = model->Clone();
    }
    LoadWeights(*result, path);
  }
  Napi::Value Result(Napi::Env env) { return ModelHandle::Wrap(env, result); }
};

// saveWeights(model, path, metadata?)
struct SaveWeightsOp {
  static constexpr const char* kName = "saveWeights";
  static constexpr size_t kMinArgs = 2, kMaxArgs = 3;
  std::string fn, path;
  std::shared_ptr<Model> model;
  std::map<std::string, std::string> metadata;

  static SaveWeightsOp Parse(const Napi::CallbackInfo& info, const std::string& fn, std::vector<Napi::Object>&) {
    SaveWeightsOp op{fn, PathArg(info[1], fn + ": path"), ModelHandle::FromValue(info[0], fn + ": model"), {}};
    if (!info[2].IsUndefined()) {
      Napi::Object object = ObjectArg(info[2], fn + ": metadata");
      Napi::Array keys = object.GetPropertyNames();
      for (uint32_t i = 0; i < keys.Length(); ++i) {
        std::string key = keys.Get(i).ToString().Utf8Value();
        op.metadata[key] = StringArg(object.Get(key), fn + ": metadata." + key);
      }
    }
    return op;
  }
  void Run(const JobContext& context) {
    auto lock = LockFor(*model, fn, context);
    SaveWeights(*model, path, metadata);
  }
  Napi::Value Result(Napi::Env env) { return env.Undefined(); }
};

// exportTorchScript(model, path)
struct ExportTorchScriptOp {
  static constexpr const char* kName = "exportTorchScript";
  static constexpr size_t kMinArgs = 2, kMaxArgs = 2;
  std::string fn, path;
  std::shared_ptr<Model> model;

  static ExportTorchScriptOp Parse(const Napi::CallbackInfo& info, const std::string& fn, std::vector<Napi::Object>&) {
    return {fn, PathArg(info[1], fn + ": path"), ModelHandle::FromValue(info[0], fn + ": model")};
  }
  void Run(const JobContext& context) {
    auto lock = LockFor(*model, fn, context);
    ExportTorchScript(*model, path);
  }
  Napi::Value Result(Napi::Env env) { return env.Undefined(); }
};

}  // namespace

void RegisterModels(Napi::Env env, Napi::Object exports) {
  ModelHandle::Register(env, exports);
  exports.Set("createModel", Napi::Function::New<CreateModel>(env, "createModel"));
  ExportOperation<LoadTorchScriptOp>(env, exports);
  ExportOperation<LoadWeightsOp>(env, exports);
  ExportOperation<SaveWeightsOp>(env, exports);
  ExportOperation<ExportTorchScriptOp>(env, exports);
}

}  // namespace camu::models
