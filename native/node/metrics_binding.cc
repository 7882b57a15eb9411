// The metrics' Node-API boundary: each entry point takes one options object of Tensor handles
// (batched inference produces them) and returns plain numbers and counts. The metrics with real
// work, mia.camu (100 boosting rounds) and mia.efficacy (a kernel SVM fit), are async jobs with
// synchronous twins.
#include <ATen/Parallel.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "node/args.h"
#include "node/errors.h"
#include "node/job.h"
#include "node/operation.h"
#include "node/tensor.h"
#include "metrics/accuracy.h"
#include "metrics/attacks.h"
#include "metrics/camu_mia.h"
#include "metrics/divergence.h"
#include "node/bindings.h"

namespace camu::metrics {

namespace {

constexpr int64_t kMaxSafeInteger = 9007199254740991LL;

at::Tensor RequiredTensor(const Options& options, const char* key) {
  if (!options.Has(key)) ThrowTypeError(options.Name(key) + " must be a Tensor, got undefined");
  return Tensor::FromValue(options.Get(key), options.Name(key));
}

uint64_t SeedOption(const Options& options) {
  return static_cast<uint64_t>(options.Integer("seed", 0, 0, kMaxSafeInteger));
}

Napi::Value OptionalNumber(Napi::Env env, const std::optional<double>& value) {
  return value ? Napi::Number::New(env, *value) : env.Null();
}

Napi::Number Count(Napi::Env env, int64_t value) { return Napi::Number::New(env, static_cast<double>(value)); }

Napi::Object AccuracyCountToJs(Napi::Env env, const AccuracyCount& count) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("correct", Count(env, count.correct));
  object.Set("count", Count(env, count.count));
  object.Set("percent", OptionalNumber(env, count.Percent()));
  return object;
}

// metricsAccuracy({predictions, labels, mask?, forgottenClasses?, numClasses?})
//   -> {correct, count, percent, remainingClasses?, forgottenClasses?}
Napi::Value AccuracyEntry(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 1, 1, "metricsAccuracy");
    Options options(info[0], "metricsAccuracy: options");
    AccuracyInput input;
    input.predictions = RequiredTensor(options, "predictions");
    input.labels = RequiredTensor(options, "labels");
    if (options.Has("mask")) input.mask = Tensor::FromValue(options.Get("mask"), options.Name("mask"));
    input.numClasses = options.Integer("numClasses", 0, 1, INT32_MAX);
    if (options.Has("forgottenClasses")) {
      Napi::Value value = options.Get("forgottenClasses");
      std::string name = options.Name("forgottenClasses");
      if (!value.IsArray()) ThrowTypeError(name + " must be an array of class indices, got " + DescribeJsValue(value));
      auto array = value.As<Napi::Array>();
      std::vector<int64_t> classes;
      for (uint32_t i = 0; i < array.Length(); ++i) {
        classes.push_back(IntegerArg(array.Get(i), name + "[" + std::to_string(i) + "]", 0, INT32_MAX));
      }
      input.forgottenClasses = std::move(classes);
    }
    AccuracyResult result = Accuracy(input);
    Napi::Env env = info.Env();
    Napi::Object object = AccuracyCountToJs(env, result.all);
    if (result.remainingClasses) object.Set("remainingClasses", AccuracyCountToJs(env, *result.remainingClasses));
    if (result.forgottenClasses) object.Set("forgottenClasses", AccuracyCountToJs(env, *result.forgottenClasses));
    return object;
  });
}

CamuMiaData ParseCamuMia(const Napi::Value& value, const std::string& fn) {
  Options options(value, fn + ": options");
  at::Tensor sample = RequiredTensor(options, "sampleProbabilities");
  at::Tensor test = RequiredTensor(options, "testProbabilities");
  at::Tensor forget = RequiredTensor(options, "forgetProbabilities");
  CamuMiaOptions params;
  params.trainSize = options.Integer("trainSize", kCamuMiaTrainSize, 1, INT32_MAX);
  params.seed = SeedOption(options);
  // Read on the JS thread: the intra-op setting camu applied at load (CAMU_NUM_THREADS or the cores).
  params.threads = at::get_num_threads();
  return PrepareCamuMia(sample, test, forget, params);
}

Napi::Object CamuMiaToJs(Napi::Env env, const CamuMiaData& data, const CamuMiaResult& result) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("available", result.available);
  if (!result.available) {
    object.Set("reason", result.reason);
    return object;
  }
  object.Set("accuracy", result.accuracy);
  object.Set("heldOutAccuracy", result.heldOutAccuracy);
  object.Set("trainMembers", Count(env, data.trainMembers));
  object.Set("trainNonMembers", Count(env, data.trainNonMembers));
  object.Set("heldOut", Count(env, data.heldOut));
  object.Set("heldOutMembers", Count(env, data.heldOutMembers));
  object.Set("evalMembers", Count(env, data.evalMembers));
  object.Set("evalNonMembers", Count(env, data.evalNonMembers));
  object.Set("trees", kCamuMiaTrees);
  object.Set("seed", Count(env, static_cast<int64_t>(data.options.seed)));
  object.Set("threads", data.options.threads);
  object.Set("xgboostVersion", result.xgboostVersion);
  return object;
}

// metricsMiaCamu({sampleProbabilities, testProbabilities, forgetProbabilities, seed?, trainSize?})
struct MiaCamuOp {
  static constexpr const char* kName = "metricsMiaCamu";
  static constexpr size_t kMinArgs = 1, kMaxArgs = 1;
  CamuMiaData data;
  CamuMiaResult result;
  static MiaCamuOp Parse(const Napi::CallbackInfo& info, const std::string& fn, std::vector<Napi::Object>&) {
    return {ParseCamuMia(info[0], fn), {}};
  }
  void Run(const JobContext& context) { result = RunCamuMia(data, context); }
  Napi::Value Result(Napi::Env env) { return CamuMiaToJs(env, data, result); }
};

// metricsMiaLoss({forgetLosses, testLosses, folds?, seed?}) -> result
Napi::Value MiaLossEntry(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 1, 1, "metricsMiaLoss");
    Options options(info[0], "metricsMiaLoss: options");
    at::Tensor forget = RequiredTensor(options, "forgetLosses");
    at::Tensor test = RequiredTensor(options, "testLosses");
    int64_t folds = options.Integer("folds", 5, 2, INT32_MAX);
    uint64_t seed = SeedOption(options);
    LossMiaResult result = MiaLoss(forget, test, folds, seed);
    Napi::Env env = info.Env();
    Napi::Object object = Napi::Object::New(env);
    object.Set("accuracy", result.accuracy);
    Napi::Array foldAccuracies = Napi::Array::New(env, result.foldAccuracies.size());
    for (size_t i = 0; i < result.foldAccuracies.size(); ++i) {
      foldAccuracies.Set(static_cast<uint32_t>(i), result.foldAccuracies[i]);
    }
    object.Set("foldAccuracies", foldAccuracies);
    object.Set("perSide", Count(env, result.perSide));
    object.Set("folds", Count(env, result.folds));
    object.Set("forgetRows", Count(env, result.forgetRows));
    object.Set("testRows", Count(env, result.testRows));
    object.Set("seed", Count(env, static_cast<int64_t>(seed)));
    return object;
  });
}

// metricsMiaEntropy({retainProbabilities, testProbabilities, forgetProbabilities, seed?}) -> result
Napi::Value MiaEntropyEntry(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 1, 1, "metricsMiaEntropy");
    Options options(info[0], "metricsMiaEntropy: options");
    at::Tensor retain = RequiredTensor(options, "retainProbabilities");
    at::Tensor test = RequiredTensor(options, "testProbabilities");
    at::Tensor forget = RequiredTensor(options, "forgetProbabilities");
    uint64_t seed = SeedOption(options);
    EntropyMiaResult result = MiaEntropy(retain, test, forget, seed);
    Napi::Env env = info.Env();
    Napi::Object object = Napi::Object::New(env);
    object.Set("memberFraction", result.memberFraction);
    object.Set("predictedMembers", Count(env, result.predictedMembers));
    object.Set("trainMembers", Count(env, result.trainMembers));
    object.Set("trainNonMembers", Count(env, result.trainNonMembers));
    object.Set("forgetRows", Count(env, result.forgetRows));
    object.Set("seed", Count(env, static_cast<int64_t>(seed)));
    return object;
  });
}

EfficacyMiaData ParseEfficacyMia(const Napi::Value& value, const std::string& fn) {
  Options options(value, fn + ": options");
  return PrepareEfficacyMia(RequiredTensor(options, "retainProbabilities"), RequiredTensor(options, "retainLabels"),
                            RequiredTensor(options, "testProbabilities"), RequiredTensor(options, "testLabels"),
                            RequiredTensor(options, "forgetProbabilities"), RequiredTensor(options, "forgetLabels"),
                            SeedOption(options));
}

Napi::Object EfficacyMiaToJs(Napi::Env env, const EfficacyMiaData& data, const EfficacyMiaResult& result) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("efficacy", result.efficacy);
  object.Set("predictedNonMembers", Count(env, result.predictedNonMembers));
  object.Set("forgetRows", Count(env, result.forgetRows));
  object.Set("trainMembers", Count(env, data.trainMembers));
  object.Set("trainNonMembers", Count(env, data.trainNonMembers));
  object.Set("supportVectors", Count(env, result.supportVectors));
  object.Set("iterations", Count(env, result.iterations));
  object.Set("converged", result.converged);
  object.Set("c", kEfficacyMiaC);
  object.Set("gamma", kEfficacyMiaGamma);
  object.Set("seed", Count(env, static_cast<int64_t>(data.seed)));
  return object;
}

// metricsMiaEfficacy({retainProbabilities, retainLabels, testProbabilities, testLabels,
//                     forgetProbabilities, forgetLabels, seed?})
struct MiaEfficacyOp {
  static constexpr const char* kName = "metricsMiaEfficacy";
  static constexpr size_t kMinArgs = 1, kMaxArgs = 1;
  EfficacyMiaData data;
  EfficacyMiaResult result;
  static MiaEfficacyOp Parse(const Napi::CallbackInfo& info, const std::string& fn, std::vector<Napi::Object>&) {
    return {ParseEfficacyMia(info[0], fn), {}};
  }
  void Run(const JobContext& context) { result = RunEfficacyMia(data, context); }
  Napi::Value Result(Napi::Env env) { return EfficacyMiaToJs(env, data, result); }
};

// metricsDistanceToRetrained({probabilities, retrainedProbabilities}) -> {activationDistance, jsDivergence, rows}
Napi::Value DistanceEntry(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 1, 1, "metricsDistanceToRetrained");
    Options options(info[0], "metricsDistanceToRetrained: options");
    at::Tensor probabilities = RequiredTensor(options, "probabilities");
    at::Tensor retrained = RequiredTensor(options, "retrainedProbabilities");
    OutputDistances result = DistanceToRetrained(probabilities, retrained);
    Napi::Env env = info.Env();
    Napi::Object object = Napi::Object::New(env);
    object.Set("activationDistance", result.activationDistance);
    object.Set("jsDivergence", result.jsDivergence);
    object.Set("rows", Count(env, result.rows));
    return object;
  });
}

// metricsZrf({probabilities, randomProbabilities}) -> {zrf, jsDivergence, legacyBadTeacher, rows}
Napi::Value ZrfEntry(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 1, 1, "metricsZrf");
    Options options(info[0], "metricsZrf: options");
    at::Tensor probabilities = RequiredTensor(options, "probabilities");
    at::Tensor random = RequiredTensor(options, "randomProbabilities");
    ZrfResult result = Zrf(probabilities, random);
    Napi::Env env = info.Env();
    Napi::Object object = Napi::Object::New(env);
    object.Set("zrf", result.zrf);
    object.Set("jsDivergence", result.jsDivergence);
    object.Set("legacyBadTeacher", OptionalNumber(env, result.legacyBadTeacher));
    object.Set("rows", Count(env, result.rows));
    return object;
  });
}

}  // namespace

void RegisterMetrics(Napi::Env env, Napi::Object exports) {
  exports.Set("metricsAccuracy", Napi::Function::New<AccuracyEntry>(env, "metricsAccuracy"));
  ExportOperation<MiaCamuOp>(env, exports);
  exports.Set("metricsMiaLoss", Napi::Function::New<MiaLossEntry>(env, "metricsMiaLoss"));
  exports.Set("metricsMiaEntropy", Napi::Function::New<MiaEntropyEntry>(env, "metricsMiaEntropy"));
  ExportOperation<MiaEfficacyOp>(env, exports);
  exports.Set("metricsDistanceToRetrained", Napi::Function::New<DistanceEntry>(env, "metricsDistanceToRetrained"));
  exports.Set("metricsZrf", Napi::Function::New<ZrfEntry>(env, "metricsZrf"));
}

}  // namespace camu::metrics
