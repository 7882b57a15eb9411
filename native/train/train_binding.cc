// train(...) and evaluate(...) / evaluateSync(...): argument parsing, jobs, results to JS.
#include <mutex>

#include "bridge/args.h"
#include "bridge/errors.h"
#include "bridge/job.h"
#include "bridge/tensor_bridge.h"
#include "core/tensor.h"
#include "models/model_handle.h"
#include "train/evaluate.h"
#include "train/train.h"
#include "train/trainer.h"

namespace camu::train {

namespace {

bool Present(const Napi::Value& value) { return !value.IsUndefined() && !value.IsNull(); }

// Arguments 1..3: a Dataset (its own labels and transform; argument 2 must be absent) or images
// + labels (optional unless `needLabels`), then indices (optional).
LabelledData ParseData(const Napi::CallbackInfo& info, bool needLabels, const models::Model& model, const std::string& fn) {
  LabelledData data;
  if (info[1].IsObject() && !Tensor::IsInstance(info[1])) {
    if (Present(info[2])) ThrowTypeError(fn + ": labels must be left out with a Dataset (it has its own)");
    data.dataset = data::DatasetFromValue(info[1], fn + ": dataset");
    if (model.NumClasses() > 0 && model.NumClasses() != data.dataset.numClasses) {
      ThrowRangeError(fn + ": the model has " + std::to_string(model.NumClasses()) + " classes but " +
                      data.dataset.name + " has " + std::to_string(data.dataset.numClasses));
    }
  } else {
    data.dataset.name = "images";
    data.dataset.images = Tensor::FromValue(info[1], fn + ": images");
    if (Present(info[2])) data.dataset.labels = Tensor::FromValue(info[2], fn + ": labels");
    data.dataset.numClasses = model.NumClasses();
    data.dataset.transform.input = model.Input();
  }
  if (Present(info[3])) data.indices = Tensor::FromValue(info[3], fn + ": indices");
  CheckLabelledData(data, needLabels, model.NumClasses(), fn);
  return data;
}

double PositiveNumber(const Options& options, const char* key, double fallback, bool allowZero) {
  double value = options.Number(key, fallback);
  if (value < 0 || (!allowZero && value == 0)) {
    ThrowRangeError(options.Name(key) + " must be " + (allowZero ? "non-negative" : "positive") + ", got " +
                    std::to_string(value));
  }
  return value;
}

Napi::Object StatsToJs(Napi::Env env, const TrainStats& stats) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("steps", Napi::Number::New(env, static_cast<double>(stats.steps)));
  object.Set("samplesPerEpoch", Napi::Number::New(env, static_cast<double>(stats.samplesPerEpoch)));
  Napi::Array losses = Napi::Array::New(env, stats.epochLosses.size());
  for (size_t i = 0; i < stats.epochLosses.size(); ++i) losses.Set(static_cast<uint32_t>(i), stats.epochLosses[i]);
  object.Set("epochLosses", losses);
  object.Set("seconds", stats.seconds);
  return object;
}

class TrainJob : public Job {
 public:
  TrainJob(Napi::Env env, const JobHooks& hooks, Napi::Object modelObject, std::shared_ptr<models::Model> model,
           LabelledData data, TrainOptions options, bool inPlace)
      : Job(env, "camu.train", hooks),
        model_(std::move(model)),
        data_(std::move(data)),
        options_(options),
        inPlace_(inPlace) {
    if (inPlace_) modelObject_ = Napi::Persistent(modelObject);
  }

 private:
  // Trains a copy either way, so a failed or aborted run leaves the input model as it was; in
  // place, the trained weights are copied back at the end.
  void Run(const JobContext& context) override {
    {
      std::lock_guard<std::mutex> lock(model_->Mutex());
      trained_ = model_->Clone();
    }
    stats_ = Train(*trained_, data_, options_, context);
    if (inPlace_) {
      std::lock_guard<std::mutex> lock(model_->Mutex());
      model_->LoadState(trained_->NamedState(), "the trained copy");
    }
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object result = StatsToJs(env, stats_);
    result.Set("model", inPlace_ ? modelObject_.Value() : models::ModelHandle::Wrap(env, trained_));
    return result;
  }

  std::shared_ptr<models::Model> model_, trained_;
  LabelledData data_;
  TrainOptions options_;
  bool inPlace_;
  Napi::ObjectReference modelObject_;
  TrainStats stats_;
};

// train(model, images, labels, indices?, options?, onProgress?, abortFlag?)
//   -> Promise<{model, steps, samplesPerEpoch, epochLosses, seconds}>
Napi::Value TrainAsync(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 3, 7, "train");
    std::shared_ptr<models::Model> model = models::ModelHandle::FromValue(info[0], "train: model");
    LabelledData data = ParseData(info, true, *model, "train");
    Options options(info[4], "train: options");
    TrainOptions train;
    train.epochs = options.Integer("epochs", 20, 1, 1000000);
    train.batchSize = options.Integer("batchSize", 32, 1, 1 << 20);
    train.learningRate = PositiveNumber(options, "learningRate", 1e-3, false);
    train.weightDecay = PositiveNumber(options, "weightDecay", 1e-4, true);
    train.seed = static_cast<uint64_t>(options.Integer("seed", 0, 0, 9007199254740991LL));
    train.shuffle = options.Boolean("shuffle", true);
    train.fusedAdam = options.Boolean("fusedAdam", true);
    bool inPlace = options.Boolean("inPlace", false);
    if (SampleCount(data) == 0) ThrowRangeError("train: no samples selected");
    JobHooks hooks = JobHooks::Parse(info[5], info[6], "train");
    return (new TrainJob(info.Env(), hooks, info[0].As<Napi::Object>(), model, std::move(data), train, inPlace))->Start();
  });
}

struct EvaluateCall {
  std::shared_ptr<models::Model> model;
  LabelledData data;
  EvaluateOptions options;
};

EvaluateCall ParseEvaluate(const Napi::CallbackInfo& info, const std::string& fn) {
  EvaluateCall call;
  call.model = models::ModelHandle::FromValue(info[0], fn + ": model");
  call.data = ParseData(info, false, *call.model, fn);
  Options options(info[4], fn + ": options");
  call.options.batchSize = options.Integer("batchSize", 256, 1, 1 << 20);
  if (options.Has("outputs")) {
    Napi::Value outputs = options.Get("outputs");
    if (!outputs.IsArray()) ThrowTypeError(options.Name("outputs") + " must be an array of strings");
    auto array = outputs.As<Napi::Array>();
    for (uint32_t i = 0; i < array.Length(); ++i) {
      std::string name = StringArg(array.Get(i), options.Name("outputs") + "[" + std::to_string(i) + "]");
      if (name == "logits") call.options.logits = true;
      else if (name == "probabilities") call.options.probabilities = true;
      else if (name == "embeddings") call.options.embeddings = true;
      else if (name == "loss") call.options.losses = true;
      else if (name == "predictions") call.options.predictions = true;
      else {
        ThrowRangeError(options.Name("outputs") + "[" + std::to_string(i) +
                        "] must be one of 'logits', 'probabilities', 'embeddings', 'loss', 'predictions', got '" + name + "'");
      }
    }
  }
  if (call.options.losses && !call.data.dataset.labels.defined()) ThrowRangeError(fn + ": the 'loss' output needs labels");
  return call;
}

Napi::Object EvaluateToJs(Napi::Env env, const EvaluateResult& result) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("count", Napi::Number::New(env, static_cast<double>(result.count)));
  object.Set("numClasses", Napi::Number::New(env, static_cast<double>(result.numClasses)));
  object.Set("embeddingSize", Napi::Number::New(env, static_cast<double>(result.embeddingSize)));
  if (result.correct >= 0) {
    object.Set("correct", Napi::Number::New(env, static_cast<double>(result.correct)));
    object.Set("accuracy", result.count > 0 ? static_cast<double>(result.correct) / static_cast<double>(result.count) : 0.0);
    object.Set("meanLoss", result.meanLoss);
  }
  if (result.logits.defined()) object.Set("logits", TypedArrayFromTensor(env, result.logits));
  if (result.probabilities.defined()) object.Set("probabilities", TypedArrayFromTensor(env, result.probabilities));
  if (result.embeddings.defined()) object.Set("embeddings", TypedArrayFromTensor(env, result.embeddings));
  if (result.losses.defined()) object.Set("loss", TypedArrayFromTensor(env, result.losses));
  if (result.predictions.defined()) object.Set("predictions", TypedArrayFromTensor(env, result.predictions.to(at::kInt)));
  return object;
}

class EvaluateJob : public Job {
 public:
  EvaluateJob(Napi::Env env, const JobHooks& hooks, EvaluateCall call)
      : Job(env, "camu.evaluate", hooks), call_(std::move(call)) {}

 private:
  void Run(const JobContext& context) override {
    std::lock_guard<std::mutex> lock(call_.model->Mutex());
    result_ = Evaluate(*call_.model, call_.data, call_.options, context);
  }
  Napi::Value Result(Napi::Env env) override { return EvaluateToJs(env, result_); }

  EvaluateCall call_;
  EvaluateResult result_;
};

// evaluate(model, images, labels?, indices?, options?, onProgress?, abortFlag?) -> Promise<result>
Napi::Value EvaluateAsync(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 2, 7, "evaluate");
    EvaluateCall call = ParseEvaluate(info, "evaluate");
    JobHooks hooks = JobHooks::Parse(info[5], info[6], "evaluate");
    return (new EvaluateJob(info.Env(), hooks, std::move(call)))->Start();
  });
}

// evaluateSync(model, images, labels?, indices?, options?) -> result
Napi::Value EvaluateSync(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 2, 5, "evaluateSync");
    EvaluateCall call = ParseEvaluate(info, "evaluateSync");
    auto lock = models::LockForSync(*call.model, "evaluateSync");
    return EvaluateToJs(info.Env(), Evaluate(*call.model, call.data, call.options, JobContext::Synchronous()));
  });
}

}  // namespace

void RegisterTrain(Napi::Env env, Napi::Object exports) {
  exports.Set("train", Napi::Function::New<TrainAsync>(env, "train"));
  exports.Set("evaluate", Napi::Function::New<EvaluateAsync>(env, "evaluate"));
  exports.Set("evaluateSync", Napi::Function::New<EvaluateSync>(env, "evaluateSync"));
}

}  // namespace camu::train
