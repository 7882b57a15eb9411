// unlearn(method, model, train, split, options?, distributed?, onProgress?, abortFlag?) ->
// Promise<{model, stats}>, its Sync twin (without the last two), and unlearnMethods() -> the registered method names (unlearn/method.h).
#include <optional>

#include "node/distributed_args.h"
#include "node/args.h"
#include "node/bindings.h"
#include "node/dataset_args.h"
#include "node/model_handle.h"
#include "node/operation.h"
#include "models/device.h"
#include "unlearn/method.h"

namespace camu::unlearn {

namespace {

// A flat object of numbers, booleans and strings (lib/unlearn resolves every option first); the
// rendezvous of a distributed run is an argument of its own, not an option.
MethodOptions MethodOptionsFromValue(const Napi::Value& value, const std::string& name) {
  MethodOptions options;
  if (value.IsUndefined()) return options;
  Napi::Object object = ObjectArg(value, name);
  Napi::Array keys = object.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    std::string key = keys.Get(i).ToString().Utf8Value();
    Napi::Value entry = object.Get(key);
    if (entry.IsUndefined()) continue;
    if (entry.IsNumber()) options.Set(key, NumberArg(entry, name + "." + key));
    else if (entry.IsBoolean()) options.Set(key, entry.As<Napi::Boolean>().Value());
    else if (entry.IsString()) options.Set(key, entry.As<Napi::String>().Utf8Value());
    else ThrowTypeError(name + "." + key + " must be a number, a boolean or a string, got " + DescribeJsValue(entry));
  }
  return options;
}

Napi::Object StatsToJs(Napi::Env env, const MethodResult& result) {
  Napi::Object stats = Napi::Object::New(env);
  stats.Set("method", result.method);
  stats.Set("seconds", result.seconds);
  stats.Set("setupSeconds", result.setupSeconds);
  stats.Set("removalSeconds", result.removalSeconds);
  for (const auto& [key, value] : result.details) {
    if (std::holds_alternative<bool>(value)) stats.Set(key, std::get<bool>(value));
    else stats.Set(key, std::get<double>(value));
  }
  Napi::Array epochs = Napi::Array::New(env, result.epochs.size());
  for (size_t i = 0; i < result.epochs.size(); ++i) {
    const EpochStats& e = result.epochs[i];
    Napi::Object epoch = Napi::Object::New(env);
    epoch.Set("seconds", e.seconds);
    epoch.Set("steps", Napi::Number::New(env, static_cast<double>(e.steps)));
    for (size_t k = 0; k < result.scalarNames.size(); ++k) epoch.Set(result.scalarNames[k], e.means[k]);
    epochs.Set(static_cast<uint32_t>(i), epoch);
  }
  stats.Set("epochs", epochs);
  const RetainGuardReport& guard = result.retainGuard;
  if (guard.enabled) {
    Napi::Object report = Napi::Object::New(env);
    report.Set("probeSize", Napi::Number::New(env, static_cast<double>(guard.probeSize)));
    report.Set("originalAccuracy", guard.originalAccuracy);
    report.Set("floor", guard.floor);
    Napi::Array checks = Napi::Array::New(env, guard.checks.size());
    for (size_t i = 0; i < guard.checks.size(); ++i) {
      Napi::Object check = Napi::Object::New(env);
      check.Set("step", Napi::Number::New(env, static_cast<double>(guard.checks[i].first)));
      check.Set("accuracy", guard.checks[i].second);
      checks.Set(static_cast<uint32_t>(i), check);
    }
    report.Set("checks", checks);
    stats.Set("retainGuard", report);
  } else {
    stats.Set("retainGuard", env.Null());
  }
  const ForgetStopReport& stop = result.forgetStop;
  if (stop.enabled) {
    Napi::Object report = Napi::Object::New(env);
    report.Set("probeSize", Napi::Number::New(env, static_cast<double>(stop.probeSize)));
    report.Set("target", stop.target);
    report.Set("originalAccuracy", stop.originalAccuracy);
    report.Set("checks", Napi::Number::New(env, static_cast<double>(stop.checks)));
    report.Set("lastAccuracy", stop.lastAccuracy);
    if (stop.stoppedAfterStep > 0) report.Set("stoppedAfterStep", Napi::Number::New(env, static_cast<double>(stop.stoppedAfterStep)));
    else report.Set("stoppedAfterStep", env.Null());
    stats.Set("forgetStop", report);
  } else {
    stats.Set("forgetStop", env.Null());
  }
  return stats;
}

struct UnlearnOp {
  static constexpr const char* kName = "unlearn";
  static constexpr size_t kMinArgs = 4, kMaxArgs = 6;

  std::string method;
  std::shared_ptr<models::Model> original;
  data::DatasetView train;
  data::SplitView split;
  MethodOptions options;
  std::optional<distributed::Options> distributedOptions;  // the group is joined on the worker thread
  int64_t checkEvery = 0;
  MethodResult result;

  static UnlearnOp Parse(const Napi::CallbackInfo& info, const std::string& fn, std::vector<Napi::Object>& keep) {
    UnlearnOp op;
    op.method = StringArg(info[0], fn + ": method");
    op.original = models::ModelHandle::FromValue(info[1], fn + ": model");
    op.train = data::DatasetFromValue(info[2], fn + ": train");
    op.split = data::SplitFromValue(info[3], fn + ": split");
    data::CheckSplitMatches(op.split, op.train, fn + ": split");
    op.options = MethodOptionsFromValue(info[4], fn + ": options");
    if (!info[5].IsUndefined() && !info[5].IsNull()) {
      op.distributedOptions = ParseDistributedOptions(info[5], fn + ": distributed", &op.checkEvery);
    }
    keep = {info[1].As<Napi::Object>(), info[2].As<Napi::Object>(), info[3].As<Napi::Object>()};
    return op;
  }
  void Run(const JobContext& context) {
    // Joining blocks until every rank has joined: here, off the JS thread (or on it, for unlearnSync).
    std::shared_ptr<distributed::ProcessGroup> group;
    if (distributedOptions) {
      // The backend follows the device the run takes place on (options.device), not the original's.
      const at::Device device = models::ParseDevice(options.String("device", "cpu"), "option device");
      group = distributed::ProcessGroup::Connect(*distributedOptions, device);
    }
    result = RunMethod(method, *original, train, split, options, context, group, checkEvery);
  }
  Napi::Value Result(Napi::Env env) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("model", models::ModelHandle::Wrap(env, result.model));
    out.Set("stats", StatsToJs(env, result));
    return out;
  }
};

Napi::Value UnlearnMethods(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 0, 0, "unlearnMethods");
    std::vector<std::string> names = MethodNames();
    Napi::Array array = Napi::Array::New(info.Env(), names.size());
    for (size_t i = 0; i < names.size(); ++i) array.Set(static_cast<uint32_t>(i), names[i]);
    return array;
  });
}

}  // namespace

void RegisterUnlearn(Napi::Env env, Napi::Object exports) {
  ExportOperation<UnlearnOp>(env, exports);
  exports.Set("unlearnMethods", Napi::Function::New<UnlearnMethods>(env, "unlearnMethods"));
}

}  // namespace camu::unlearn
