// unlearnCamu(model, train, split, options?, onProgress?, abortFlag?) -> Promise<{model, stats}>
#include <cmath>

#include "bridge/args.h"
#include "bridge/errors.h"
#include "bridge/job.h"
#include "models/device.h"
#include "models/model_handle.h"
#include "unlearn/camu.h"
#include "unlearn/unlearn.h"

namespace camu::unlearn {

namespace {

double PositiveNumber(const Options& options, const char* key, double fallback) {
  double value = options.Number(key, fallback);
  if (!(value > 0)) ThrowRangeError(options.Name(key) + " must be > 0, got " + std::to_string(value));
  return value;
}

double NonNegativeNumber(const Options& options, const char* key, double fallback) {
  double value = options.Number(key, fallback);
  if (value < 0) ThrowRangeError(options.Name(key) + " must be >= 0, got " + std::to_string(value));
  return value;
}

CamuOptions ParseCamuOptions(const Napi::Value& value) {
  Options options(value, "unlearnCamu: options");
  CamuOptions camu;
  camu.epochs = options.Integer("epochs", camu.epochs, 0, 100000);
  camu.klLr = PositiveNumber(options, "klLr", camu.klLr);
  camu.impairLr = PositiveNumber(options, "impairLr", camu.impairLr);
  camu.weightDecay = NonNegativeNumber(options, "weightDecay", camu.weightDecay);
  camu.batchSize = options.Integer("batchSize", camu.batchSize, 1, 1 << 20);
  if (options.Has("weights")) {
    Options weights(options.Get("weights"), options.Name("weights"));
    camu.klSampleWeight = NonNegativeNumber(weights, "klSample", camu.klSampleWeight);
    camu.klCounterfactualWeight = NonNegativeNumber(weights, "klCounterfactual", camu.klCounterfactualWeight);
    camu.ceSampleWeight = NonNegativeNumber(weights, "ceSample", camu.ceSampleWeight);
    camu.ceCounterfactualWeight = NonNegativeNumber(weights, "ceCounterfactual", camu.ceCounterfactualWeight);
  }
  camu.counterfactual.noise = options.Boolean("noise", true);
  camu.counterfactual.relabel = options.Boolean("relabel", true);
  camu.seed = static_cast<uint64_t>(options.Integer("seed", 0, 0, (int64_t{1} << 53) - 1));
  camu.device = models::ParseDevice(options.String("device", "cpu"), options.Name("device"));
  camu.cacheTeacherEmbeddings = options.Boolean("cacheTeacherEmbeddings", true);
  camu.batchStudentPasses = options.Boolean("batchStudentPasses", true);
  camu.fusedAdam = options.Boolean("fusedAdam", true);
  camu.loss = options.OneOf("loss", "fused", {"fused", "reference"}) == "fused" ? kernels::LossImplementation::kFused
                                                                                 : kernels::LossImplementation::kReference;
  return camu;
}

Napi::Object StatsToJs(Napi::Env env, const CamuResult& result) {
  Napi::Object stats = Napi::Object::New(env);
  stats.Set("pairs", Napi::Number::New(env, static_cast<double>(result.pairs)));
  stats.Set("counterfactualSeconds", result.counterfactualSeconds);
  stats.Set("removalSeconds", result.removalSeconds);
  stats.Set("seconds", result.seconds);
  stats.Set("teacherSampleCached", result.teacherSampleCached);
  stats.Set("studentPassesBatched", result.studentPassesBatched);
  Napi::Array epochs = Napi::Array::New(env, result.epochs.size());
  for (size_t i = 0; i < result.epochs.size(); ++i) {
    const CamuEpochStats& e = result.epochs[i];
    Napi::Object epoch = Napi::Object::New(env);
    epoch.Set("seconds", e.seconds);
    epoch.Set("steps", Napi::Number::New(env, static_cast<double>(e.steps)));
    epoch.Set("klSample", e.klSample);
    epoch.Set("klCounterfactual", e.klCounterfactual);
    epoch.Set("ceSample", e.ceSample);
    epoch.Set("ceCounterfactual", e.ceCounterfactual);
    epochs.Set(static_cast<uint32_t>(i), epoch);
  }
  stats.Set("epochs", epochs);
  return stats;
}

class CamuJob : public Job {
 public:
  CamuJob(Napi::Env env, const JobHooks& hooks, std::shared_ptr<models::Model> original, data::DatasetView train,
          data::SplitView split, CamuOptions options, const std::vector<Napi::Object>& kept)
      : Job(env, "camu.unlearnCamu", hooks),
        original_(std::move(original)),
        train_(std::move(train)),
        split_(std::move(split)),
        options_(std::move(options)) {
    for (const Napi::Object& object : kept) Keep(object);
  }

 private:
  void Run(const JobContext& context) override { result_ = RunCamu(*original_, train_, split_, options_, context); }
  Napi::Value Result(Napi::Env env) override {
    Napi::Object out = Napi::Object::New(env);
    out.Set("model", models::ModelHandle::Wrap(env, result_.model));
    out.Set("stats", StatsToJs(env, result_));
    return out;
  }

  std::shared_ptr<models::Model> original_;
  data::DatasetView train_;
  data::SplitView split_;
  CamuOptions options_;
  CamuResult result_;
};

Napi::Value UnlearnCamu(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 3, 6, "unlearnCamu");
    auto original = models::ModelHandle::FromValue(info[0], "unlearnCamu: model");
    data::DatasetView train = data::DatasetFromValue(info[1], "unlearnCamu: train");
    data::SplitView split = data::SplitFromValue(info[2], "unlearnCamu: split");
    data::CheckSplitMatches(split, train, "unlearnCamu: split");
    CamuOptions options = ParseCamuOptions(info[3]);
    JobHooks hooks = JobHooks::Parse(info[4], info[5], "unlearnCamu");
    auto* job = new CamuJob(info.Env(), hooks, std::move(original), std::move(train), std::move(split),
                            std::move(options), {info[0].As<Napi::Object>(), info[1].As<Napi::Object>(),
                                                 info[2].As<Napi::Object>()});
    return job->Start();
  });
}

}  // namespace

void RegisterUnlearn(Napi::Env env, Napi::Object exports) {
  exports.Set("unlearnCamu", Napi::Function::New<UnlearnCamu>(env, "unlearnCamu"));
}

}  // namespace camu::unlearn
