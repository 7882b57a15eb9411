// train(...) and evaluate(...), each async with its Sync twin (node/operation.h).

#include "node/dataset_args.h"
#include "node/distributed_args.h"
#include "node/args.h"
#include "node/errors.h"
#include "node/job.h"
#include "node/operation.h"
#include "node/tensor_bridge.h"
#include "node/tensor.h"
#include "node/model_handle.h"
#include "train/evaluate.h"
#include "node/bindings.h"
#include "train/trainer.h"

#include <optional>

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
  if (stats.allReduceSeconds > 0) object.Set("allReduceSeconds", stats.allReduceSeconds);
  object.Set("seconds", stats.seconds);
  return object;
}

// train(model, images, labels, indices?, options?) -> {model, steps, samplesPerEpoch, epochLosses, seconds}
struct TrainOp {
  static constexpr const char* kName = "train";
  static constexpr size_t kMinArgs = 3, kMaxArgs = 5;
  std::string fn;
  std::shared_ptr<models::Model> model, trained;
  LabelledData data;
  TrainOptions options;
  std::optional<distributed::Options> distributedOptions;  // the group is joined on the worker thread
  bool inPlace = false;
  Napi::ObjectReference modelObject;  // in place: the handle the result returns
  TrainStats stats;

  static TrainOp Parse(const Napi::CallbackInfo& info, const std::string& fn, std::vector<Napi::Object>&) {
    TrainOp op;
    op.fn = fn;
    op.model = models::ModelHandle::FromValue(info[0], fn + ": model");
    op.data = ParseData(info, true, *op.model, fn);
    Options options(info[4], fn + ": options");
    op.options.epochs = options.Integer("epochs", 20, 1, 1000000);
    op.options.batchSize = options.Integer("batchSize", 32, 1, 1 << 20);
    op.options.learningRate = PositiveNumber(options, "learningRate", 1e-3, false);
    op.options.weightDecay = PositiveNumber(options, "weightDecay", 1e-4, true);
    op.options.seed = static_cast<uint64_t>(options.Integer("seed", 0, 0, 9007199254740991LL));
    op.options.shuffle = options.Boolean("shuffle", true);
    op.options.fusedAdam = options.Boolean("fusedAdam", true);
    op.options.checkWeights = options.Boolean("checkWeights", false);
    op.inPlace = options.Boolean("inPlace", false);
    if (options.Has("distributed") && Present(options.Get("distributed"))) {
      op.distributedOptions =
          ParseDistributedOptions(options.Get("distributed"), options.Name("distributed"), &op.options.checkEvery);
    }
    if (SampleCount(op.data) == 0) ThrowRangeError(fn + ": no samples selected");
    if (op.inPlace) op.modelObject = Napi::Persistent(info[0].As<Napi::Object>());
    return op;
  }

  // Trains a copy either way, so a failed or aborted run leaves the input model as it was; in
  // place, the trained weights are copied back at the end.
  void Run(const JobContext& context) {
    {
      auto lock = models::LockFor(*model, fn, context);
      trained = model->Clone();
    }
    // Joining blocks until every rank has joined: here, off the JS thread.
    if (distributedOptions) options.group = distributed::ProcessGroup::Connect(*distributedOptions, trained->Device());
    stats = Train(*trained, data, options, context);
    if (inPlace) {
      auto lock = models::LockFor(*model, fn, context);
      model->LoadState(trained->NamedState(), "the trained copy");
    }
  }

  Napi::Value Result(Napi::Env env) {
    Napi::Object result = StatsToJs(env, stats);
    result.Set("model", inPlace ? modelObject.Value() : models::ModelHandle::Wrap(env, trained));
    return result;
  }
};

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

// evaluate(model, images, labels?, indices?, options?) -> result
struct EvaluateOp {
  static constexpr const char* kName = "evaluate";
  static constexpr size_t kMinArgs = 2, kMaxArgs = 5;
  std::string fn;
  EvaluateCall call;
  EvaluateResult result;

  static EvaluateOp Parse(const Napi::CallbackInfo& info, const std::string& fn, std::vector<Napi::Object>&) {
    return {fn, ParseEvaluate(info, fn), {}};
  }
  void Run(const JobContext& context) {
    auto lock = models::LockFor(*call.model, fn, context);
    result = Evaluate(*call.model, call.data, call.options, context);
  }
  Napi::Value Result(Napi::Env env) { return EvaluateToJs(env, result); }
};

}  // namespace

void RegisterTrain(Napi::Env env, Napi::Object exports) {
  ExportOperation<TrainOp>(env, exports);
  ExportOperation<EvaluateOp>(env, exports);
}

}  // namespace camu::train
