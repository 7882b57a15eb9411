// The data module's Node-API entry points. The work itself lives in readers / splits /
// counterfactual / sampler / transforms; this file parses arguments and wraps results.
#include <ATen/CPUGeneratorImpl.h>

#include "node/dataset_args.h"
#include "node/args.h"
#include "node/errors.h"
#include "node/job.h"
#include "node/operation.h"
#include "node/tensor_bridge.h"
#include "node/tensor.h"
#include "data/counterfactual.h"
#include "node/bindings.h"
#include "data/dataset.h"
#include "data/readers.h"
#include "data/sampler.h"
#include "data/splits.h"

namespace camu {

namespace {

using data::CounterfactualOptions;
using data::CounterfactualSet;
using data::DatasetView;
using data::LabelledImages;
using data::SplitIndices;
using data::SplitView;

constexpr int64_t kMaxSeed = 9007199254740991;  // Number.MAX_SAFE_INTEGER
constexpr int64_t kMaxForgetRepeat = 1000;

at::Generator SeededGenerator(int64_t seed) {
  return at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(seed));
}

Napi::Object LabelledImagesToJs(Napi::Env env, const LabelledImages& data) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("images", Tensor::Wrap(env, data.images));
  object.Set("labels", Tensor::Wrap(env, data.labels));
  return object;
}

Napi::Object SplitToJs(Napi::Env env, const SplitIndices& split) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("forgetIndices", Tensor::Wrap(env, split.forget));
  object.Set("retainIndices", Tensor::Wrap(env, split.retain));
  object.Set("sampleIndices", Tensor::Wrap(env, split.sample));
  return object;
}

// A typed array of the given kinds as a 1-D tensor (copied).
at::Tensor FlatTensorArg(const Napi::Value& value, const std::string& name,
                         std::initializer_list<at::ScalarType> accepted, const char* kinds) {
  if (!value.IsTypedArray()) ThrowTypeError(name + " must be " + kinds + ", got " + DescribeJsValue(value));
  auto array = value.As<Napi::TypedArray>();
  at::Tensor tensor = TensorFromTypedArray(value, {static_cast<int64_t>(array.ElementLength())}, name);
  for (at::ScalarType type : accepted) {
    if (tensor.scalar_type() == type) return tensor;
  }
  ThrowTypeError(name + " must be " + kinds);
}

// ---- readers ----------------------------------------------------------------------------

struct ReadIdxParams {
  std::string imagesPath;
  std::string labelsPath;
  int64_t numClasses = 10;
};

ReadIdxParams ParseReadIdx(const Napi::CallbackInfo& info, const std::string& fn) {
  ReadIdxParams params;
  params.imagesPath = StringArg(info[0], fn + ": imagesPath");
  params.labelsPath = StringArg(info[1], fn + ": labelsPath");
  Options options(info[2], fn + ": options");
  params.numClasses = options.Integer("numClasses", 10, 1, 256);
  return params;
}

LabelledImages RunReadIdx(const ReadIdxParams& params, const JobContext& context) {
  context.CheckAborted();
  LabelledImages result = data::ReadIdx(params.imagesPath, params.labelsPath, params.numClasses);
  context.Report({"read", 1, 1, {}});
  return result;
}

struct ReadIdxOp {
  static constexpr const char* kName = "readIdx";
  static constexpr size_t kMinArgs = 2, kMaxArgs = 3;
  ReadIdxParams params;
  LabelledImages result;
  static ReadIdxOp Parse(const Napi::CallbackInfo& info, const std::string& fn, std::vector<Napi::Object>&) {
    return {ParseReadIdx(info, fn), {}};
  }
  void Run(const JobContext& context) { result = RunReadIdx(params, context); }
  Napi::Value Result(Napi::Env env) { return LabelledImagesToJs(env, result); }
};

struct ReadCifarParams {
  std::vector<std::string> files;
  data::CifarLabels labels = data::CifarLabels::kCifar10;
};

ReadCifarParams ParseReadCifar(const Napi::CallbackInfo& info, const std::string& fn) {
  ReadCifarParams params;
  if (!info[0].IsArray()) ThrowTypeError(fn + ": files must be an array of paths, got " + DescribeJsValue(info[0]));
  auto files = info[0].As<Napi::Array>();
  if (files.Length() == 0) ThrowRangeError(fn + ": files is empty");
  for (uint32_t i = 0; i < files.Length(); ++i) {
    params.files.push_back(StringArg(files.Get(i), fn + ": files[" + std::to_string(i) + "]"));
  }
  Options options(info[1], fn + ": options");
  std::string labels = options.OneOf("labels", "cifar10", {"cifar10", "cifar100-fine", "cifar100-coarse"});
  params.labels = labels == "cifar10"         ? data::CifarLabels::kCifar10
                  : labels == "cifar100-fine" ? data::CifarLabels::kCifar100Fine
                                              : data::CifarLabels::kCifar100Coarse;
  return params;
}

LabelledImages RunReadCifar(const ReadCifarParams& params, const JobContext& context) {
  context.CheckAborted();
  int64_t total = static_cast<int64_t>(params.files.size());
  return data::ReadCifar(params.files, params.labels, [&](size_t file) {
    context.Report({"read", static_cast<int64_t>(file) + 1, total, {}});
    context.CheckAborted();
  });
}

struct ReadCifarOp {
  static constexpr const char* kName = "readCifar";
  static constexpr size_t kMinArgs = 1, kMaxArgs = 2;
  ReadCifarParams params;
  LabelledImages result;
  static ReadCifarOp Parse(const Napi::CallbackInfo& info, const std::string& fn, std::vector<Napi::Object>&) {
    return {ParseReadCifar(info, fn), {}};
  }
  void Run(const JobContext& context) { result = RunReadCifar(params, context); }
  Napi::Value Result(Napi::Env env) { return LabelledImagesToJs(env, result); }
};

// tensorsFromArrays(images, shape, labels, numClasses) -> {images, labels}: user data, copied in.
Napi::Value TensorsFromArraysJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    const std::string fn = "datasetFromArrays";
    CheckArgCount(info, 4, 4, fn);
    std::vector<int64_t> shape = ShapeArg(info[1], fn + ": shape");
    if (shape.size() != 4) {
      ThrowRangeError(fn + ": shape must be [N, C, H, W], got " + std::to_string(shape.size()) + " dimensions");
    }
    for (size_t d = 0; d < 4; ++d) {
      if (shape[d] == 0) ThrowRangeError(fn + ": shape[" + std::to_string(d) + "] is 0");
    }
    if (!info[0].IsTypedArray()) {
      ThrowTypeError(fn + ": images must be a Uint8Array or a Float32Array, got " + DescribeJsValue(info[0]));
    }
    at::Tensor images = TensorFromTypedArray(info[0], shape, fn + ": images");
    if (images.scalar_type() != at::kByte && images.scalar_type() != at::kFloat) {
      ThrowTypeError(fn + ": images must be a Uint8Array or a Float32Array");
    }
    if (images.scalar_type() == at::kFloat && !at::isfinite(images).all().item<bool>()) {
      ThrowRangeError(fn + ": images contains NaN or infinite values");
    }
    int64_t numClasses = IntegerArg(info[3], fn + ": numClasses", 1, 1 << 24);
    at::Tensor labels = FlatTensorArg(info[2], fn + ": labels", {at::kByte, at::kInt, at::kLong},
                                      "a Uint8Array, an Int32Array or a BigInt64Array");
    if (labels.size(0) != shape[0]) {
      ThrowRangeError(fn + ": labels has " + std::to_string(labels.size(0)) + " entries but shape[0] is " +
                      std::to_string(shape[0]));
    }
    labels = labels.to(at::kLong);
    at::Tensor outside = (labels < 0).logical_or_(labels >= numClasses).nonzero();
    if (outside.numel() > 0) {
      int64_t pos = outside[0][0].item<int64_t>();
      ThrowRangeError(fn + ": labels[" + std::to_string(pos) + "] = " + std::to_string(labels[pos].item<int64_t>()) +
                      " is outside [0, " + std::to_string(numClasses) + ")");
    }
    return LabelledImagesToJs(info.Env(), {images, labels});
  });
}

// checkDataset(dataset) -> undefined; throws what DatasetFromValue throws.
Napi::Value CheckDatasetJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 1, 1, "Dataset");
    data::DatasetFromValue(info[0], "Dataset");
    return info.Env().Undefined();
  });
}

// ---- splits -----------------------------------------------------------------------------

struct SplitCommon {
  int64_t seed = 0;
  int64_t forgetRepeat = 1;
};

SplitCommon ParseSplitCommon(const Options& options) {
  return {options.Integer("seed", 0, 0, kMaxSeed), options.Integer("forgetRepeat", 1, 1, kMaxForgetRepeat)};
}

// classRemovalSplit(dataset, {classes, proportions, seed, forgetRepeat}) -> split indices
Napi::Value ClassRemovalSplitJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    const std::string fn = "classRemoval";
    CheckArgCount(info, 2, 2, fn);
    DatasetView train = data::DatasetFromValue(info[0], fn + ": trainSet");
    Options options(info[1], fn + ": scenario");
    if (!options.Has("classes")) ThrowTypeError(fn + ": scenario.classes is required");
    Napi::Value classesValue = options.Get("classes");
    if (!classesValue.IsArray()) {
      ThrowTypeError(options.Name("classes") + " must be an array of integers, got " + DescribeJsValue(classesValue));
    }
    auto classesArray = classesValue.As<Napi::Array>();
    std::vector<int64_t> classes;
    for (uint32_t i = 0; i < classesArray.Length(); ++i) {
      classes.push_back(IntegerArg(classesArray.Get(i), options.Name("classes") + "[" + std::to_string(i) + "]",
                                   INT32_MIN, INT32_MAX));
    }
    std::vector<double> proportions(classes.size(), 1.0);
    if (options.Has("proportions")) {
      Napi::Value value = options.Get("proportions");
      if (!value.IsArray()) {
        ThrowTypeError(options.Name("proportions") + " must be an array of numbers, got " + DescribeJsValue(value));
      }
      auto array = value.As<Napi::Array>();
      proportions.clear();
      for (uint32_t i = 0; i < array.Length(); ++i) {
        proportions.push_back(NumberArg(array.Get(i), options.Name("proportions") + "[" + std::to_string(i) + "]"));
      }
    }
    SplitCommon common = ParseSplitCommon(options);
    at::Generator generator = SeededGenerator(common.seed);
    SplitIndices split = data::ClassRemovalSplit(train.labels, train.numClasses, classes, proportions,
                                                 common.forgetRepeat, generator, fn + ": scenario");
    return SplitToJs(info.Env(), split);
  });
}

// randomRemovalSplit(dataset, {fraction | count, seed, forgetRepeat}) -> split indices
Napi::Value RandomRemovalSplitJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    const std::string fn = "randomRemoval";
    CheckArgCount(info, 2, 2, fn);
    DatasetView train = data::DatasetFromValue(info[0], fn + ": trainSet");
    Options options(info[1], fn + ": scenario");
    bool hasFraction = options.Has("fraction"), hasCount = options.Has("count");
    if (hasFraction == hasCount) ThrowTypeError(fn + ": scenario needs exactly one of fraction and count");
    int64_t n = train.size();
    int64_t count = 0;
    if (hasFraction) {
      double fraction = options.Number("fraction", 0);
      if (!(fraction > 0.0 && fraction < 1.0)) {
        ThrowRangeError(options.Name("fraction") + " must be in (0, 1), got " + std::to_string(fraction));
      }
      count = std::llround(fraction * static_cast<double>(n));
      if (count < 1 || count >= n) {
        ThrowRangeError(options.Name("fraction") + " = " + std::to_string(fraction) + " of " + std::to_string(n) +
                        " samples removes " + std::to_string(count) + "; it must remove at least 1 and keep at least 1");
      }
    } else {
      count = options.Integer("count", 0, 1, n - 1);
    }
    SplitCommon common = ParseSplitCommon(options);
    at::Generator generator = SeededGenerator(common.seed);
    return SplitToJs(info.Env(),
                     data::RandomRemovalSplit(n, count, common.forgetRepeat, generator, fn + ": scenario"));
  });
}

// indexSplit(dataset, forgetIndices, sampleIndices?, {seed, forgetRepeat, forgetName, sampleName, fromFile})
Napi::Value IndexSplitJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    const std::string fn = "indexSplit";
    CheckArgCount(info, 4, 4, fn);
    DatasetView train = data::DatasetFromValue(info[0], fn + ": trainSet");
    Options options(info[3], fn + ": options");
    bool fromFile = options.Boolean("fromFile", false);
    data::IndexSource forgetSource{options.String("forgetName", fn + ": forgetIndices"), fromFile};
    data::IndexSource sampleSource{options.String("sampleName", fn + ": sampleIndices"), fromFile};
    const char* kinds = "a Float64Array, an Int32Array or a BigInt64Array";
    at::Tensor forget = FlatTensorArg(info[1], forgetSource.name, {at::kDouble, at::kInt, at::kLong}, kinds);
    std::optional<at::Tensor> sample;
    if (!info[2].IsUndefined()) {
      sample = FlatTensorArg(info[2], sampleSource.name, {at::kDouble, at::kInt, at::kLong}, kinds);
    }
    SplitCommon common = ParseSplitCommon(options);
    at::Generator generator = SeededGenerator(common.seed);
    return SplitToJs(info.Env(), data::IndexSplit(train.size(), forget, sample, common.forgetRepeat, generator,
                                                  forgetSource, sampleSource));
  });
}

// ---- counterfactual set -----------------------------------------------------------------

struct CounterfactualParams {
  DatasetView train;
  SplitView split;
  CounterfactualOptions options;
  int64_t seed = 0;
};

CounterfactualParams ParseCounterfactual(const Napi::CallbackInfo& info, const std::string& fn) {
  CounterfactualParams params;
  params.train = data::DatasetFromValue(info[0], fn + ": trainSet");
  params.split = data::SplitFromValue(info[1], fn + ": split");
  data::CheckSplitMatches(params.split, params.train, fn + ": split");
  Options options(info[2], fn + ": options");
  params.seed = options.Integer("seed", 0, 0, kMaxSeed);
  params.options.noise = options.Boolean("noise", true);
  params.options.relabel = options.Boolean("relabel", true);
  return params;
}

CounterfactualSet RunCounterfactual(const CounterfactualParams& params, const JobContext& context) {
  at::Generator generator = SeededGenerator(params.seed);
  return data::BuildCounterfactualSet(params.train, params.split, params.options, generator, context);
}

Napi::Object CounterfactualToJs(Napi::Env env, const CounterfactualSet& set) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("forgetOrder", Tensor::Wrap(env, set.forgetOrder));
  object.Set("sampleOrder", Tensor::Wrap(env, set.sampleOrder));
  object.Set("labels", Tensor::Wrap(env, set.labels));
  object.Set("noiseSeed", Napi::BigInt::New(env, set.noiseSeed));
  object.Set("noise", Napi::Boolean::New(env, set.noise));
  return object;
}

// The parts of a set CounterfactualInputs reads (its shape was checked where it was made; the
// indices are checked against the dataset when gathered).
CounterfactualSet CounterfactualFromValue(const Napi::Value& value, const std::string& name) {
  Napi::Object object = ObjectArg(value, name);
  CounterfactualSet set;
  set.sampleOrder = Tensor::FromValue(object.Get("sampleOrder"), name + ".sampleOrder");
  if (set.sampleOrder.dim() != 1 || set.sampleOrder.scalar_type() != at::kLong) {
    ThrowTypeError(name + ".sampleOrder must be a 1-D int64 Tensor");
  }
  Napi::Value seed = object.Get("noiseSeed");
  if (!seed.IsBigInt()) ThrowTypeError(name + ".noiseSeed must be a bigint, got " + DescribeJsValue(seed));
  bool lossless = false;
  set.noiseSeed = seed.As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless) ThrowRangeError(name + ".noiseSeed must lie in [0, 2^64)");
  set.noise = BooleanArg(object.Get("noise"), name + ".noise");
  return set;
}

struct BuildCounterfactualOp {
  static constexpr const char* kName = "buildCounterfactualSet";
  static constexpr size_t kMinArgs = 2, kMaxArgs = 3;
  CounterfactualParams params;
  CounterfactualSet result;
  static BuildCounterfactualOp Parse(const Napi::CallbackInfo& info, const std::string& fn,
                                     std::vector<Napi::Object>& keep) {
    BuildCounterfactualOp op{ParseCounterfactual(info, fn), {}};
    keep = {info[0].As<Napi::Object>(), info[1].As<Napi::Object>()};
    return op;
  }
  void Run(const JobContext& context) { result = RunCounterfactual(params, context); }
  Napi::Value Result(Napi::Env env) { return CounterfactualToJs(env, result); }
};

// Indices given as an Int32Array, a BigInt64Array or a 1-D int64 Tensor, as int64.
at::Tensor IndexArrayArg(const Napi::Value& value, const std::string& name) {
  if (value.IsTypedArray()) {
    return FlatTensorArg(value, name, {at::kInt, at::kLong}, "an Int32Array, a BigInt64Array or an int64 Tensor")
        .to(at::kLong);
  }
  at::Tensor indices = Tensor::FromValue(value, name);
  if (indices.dim() != 1 || indices.scalar_type() != at::kLong) ThrowTypeError(name + " must be a 1-D int64 Tensor");
  return indices;
}

// counterfactualInputs(trainSet, set, positions?) -> float32 Tensor [k, C, H', W']: x~ of those
// pairs (all pairs without positions)
Napi::Value CounterfactualInputsJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    const std::string fn = "counterfactualInputs";
    CheckArgCount(info, 2, 3, fn);
    DatasetView train = data::DatasetFromValue(info[0], fn + ": trainSet");
    CounterfactualSet set = CounterfactualFromValue(info[1], fn + ": set");
    at::Tensor positions = info[2].IsUndefined() ? at::arange(set.sampleOrder.size(0), at::kLong)
                                                 : IndexArrayArg(info[2], fn + ": positions");
    return Tensor::Wrap(info.Env(), data::CounterfactualInputs(train, set, positions));
  });
}

// ---- batching ---------------------------------------------------------------------------

// datasetBatch(dataset, indices, {train, seed}) -> float32 Tensor of network input
Napi::Value DatasetBatchJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    const std::string fn = "Dataset.batch";
    CheckArgCount(info, 2, 3, fn);
    DatasetView dataset = data::DatasetFromValue(info[0], fn + ": dataset");
    at::Tensor indices = IndexArrayArg(info[1], fn + ": indices");
    if (indices.numel() > 0 && (indices.min().item<int64_t>() < 0 || indices.max().item<int64_t>() >= dataset.size())) {
      ThrowRangeError(fn + ": indices must lie in [0, " + std::to_string(dataset.size()) + ")");
    }
    Options options(info[2], fn + ": options");
    bool train = options.Boolean("train", false);
    int64_t seed = options.Integer("seed", 0, 0, kMaxSeed);
    if (!train) return Tensor::Wrap(info.Env(), data::GatherEvaluationInput(dataset, indices));
    at::Generator generator = SeededGenerator(seed);
    return Tensor::Wrap(info.Env(), data::GatherTrainingInput(dataset, indices, generator));
  });
}

// shuffledBatches(n, batchSize, {seed, dropLast}) -> Tensor[]
Napi::Value ShuffledBatchesJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    const std::string fn = "shuffledBatches";
    CheckArgCount(info, 2, 3, fn);
    int64_t n = IntegerArg(info[0], fn + ": n", 0, INT64_C(1) << 40);
    int64_t batchSize = IntegerArg(info[1], fn + ": batchSize", 1, INT32_MAX);
    Options options(info[2], fn + ": options");
    at::Generator generator = SeededGenerator(options.Integer("seed", 0, 0, kMaxSeed));
    std::vector<at::Tensor> batches = data::ShuffledBatches(n, batchSize, generator, options.Boolean("dropLast", false));
    Napi::Array result = Napi::Array::New(info.Env(), batches.size());
    for (size_t i = 0; i < batches.size(); ++i) result.Set(static_cast<uint32_t>(i), Tensor::Wrap(info.Env(), batches[i]));
    return result;
  });
}

// pairedEpochBatches(numPairs, sampleIndices, batchSize, {seed}) -> [{pairs, sample}]
Napi::Value PairedEpochBatchesJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    const std::string fn = "pairedEpochBatches";
    CheckArgCount(info, 3, 4, fn);
    int64_t numPairs = IntegerArg(info[0], fn + ": numPairs", 0, INT64_C(1) << 40);
    const at::Tensor& sample = Tensor::FromValue(info[1], fn + ": sampleIndices");
    if (sample.dim() != 1 || sample.scalar_type() != at::kLong) ThrowTypeError(fn + ": sampleIndices must be a 1-D int64 Tensor");
    int64_t batchSize = IntegerArg(info[2], fn + ": batchSize", 1, INT32_MAX);
    Options options(info[3], fn + ": options");
    at::Generator generator = SeededGenerator(options.Integer("seed", 0, 0, kMaxSeed));
    std::vector<data::PairedBatch> steps = data::PairedEpochBatches(numPairs, sample, batchSize, generator);
    Napi::Array result = Napi::Array::New(info.Env(), steps.size());
    for (size_t i = 0; i < steps.size(); ++i) {
      Napi::Object step = Napi::Object::New(info.Env());
      step.Set("pairs", Tensor::Wrap(info.Env(), steps[i].pairs));
      step.Set("sample", Tensor::Wrap(info.Env(), steps[i].sample));
      result.Set(static_cast<uint32_t>(i), step);
    }
    return result;
  });
}

}  // namespace

void RegisterData(Napi::Env env, Napi::Object exports) {
  ExportOperation<ReadIdxOp>(env, exports);
  ExportOperation<ReadCifarOp>(env, exports);
  exports.Set("tensorsFromArrays", Napi::Function::New<TensorsFromArraysJs>(env, "tensorsFromArrays"));
  exports.Set("checkDataset", Napi::Function::New<CheckDatasetJs>(env, "checkDataset"));
  exports.Set("classRemovalSplit", Napi::Function::New<ClassRemovalSplitJs>(env, "classRemovalSplit"));
  exports.Set("randomRemovalSplit", Napi::Function::New<RandomRemovalSplitJs>(env, "randomRemovalSplit"));
  exports.Set("indexSplit", Napi::Function::New<IndexSplitJs>(env, "indexSplit"));
  ExportOperation<BuildCounterfactualOp>(env, exports);
  exports.Set("counterfactualInputs", Napi::Function::New<CounterfactualInputsJs>(env, "counterfactualInputs"));
  exports.Set("datasetBatch", Napi::Function::New<DatasetBatchJs>(env, "datasetBatch"));
  exports.Set("shuffledBatches", Napi::Function::New<ShuffledBatchesJs>(env, "shuffledBatches"));
  exports.Set("pairedEpochBatches", Napi::Function::New<PairedEpochBatchesJs>(env, "pairedEpochBatches"));
}

}  // namespace camu
