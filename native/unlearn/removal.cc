// The method registry and the removal loop every method shares (method.h).
#include <torch/torch.h>

#include <chrono>
#include <mutex>

#include "core/errors.h"
#include "models/device.h"
#include "unlearn/method.h"
#include "unlearn/retain_guard.h"

namespace camu::unlearn {

namespace {

using Clock = std::chrono::steady_clock;
double SecondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::map<std::string, MethodFactory>& Registry() {
  static std::map<std::string, MethodFactory> registry;
  return registry;
}

const char* TypeName(const MethodOptions::Value& value) {
  return std::holds_alternative<double>(value) ? "a number" : std::holds_alternative<bool>(value) ? "a boolean" : "a string";
}

std::string NameList(const std::vector<std::string>& names) {
  std::string list;
  for (const std::string& name : names) list += (list.empty() ? "" : ", ") + name;
  return list;
}

}  // namespace

template <typename T>
const T* MethodOptions::Read(const std::string& name, const char* expected) const {
  auto found = values_.find(name);
  if (found == values_.end()) return nullptr;
  read_.insert(name);
  if (!std::holds_alternative<T>(found->second)) {
    ThrowTypeError("option " + name + " must be " + expected + ", got " + TypeName(found->second));
  }
  return &std::get<T>(found->second);
}

double MethodOptions::Number(const std::string& name, double fallback) const {
  const double* value = Read<double>(name, "a number");
  return value ? *value : fallback;
}

int64_t MethodOptions::Integer(const std::string& name, int64_t fallback, int64_t min, int64_t max) const {
  const double* value = Read<double>(name, "a number");
  if (value == nullptr) return fallback;
  const double number = *value;
  if (!(number >= static_cast<double>(min) && number <= static_cast<double>(max)) || number != static_cast<int64_t>(number)) {
    ThrowRangeError("option " + name + " must be a whole number in [" + std::to_string(min) + ", " +
                    std::to_string(max) + "], got " + std::to_string(number));
  }
  return static_cast<int64_t>(number);
}

bool MethodOptions::Boolean(const std::string& name, bool fallback) const {
  const bool* value = Read<bool>(name, "a boolean");
  return value ? *value : fallback;
}

std::string MethodOptions::String(const std::string& name, const std::string& fallback) const {
  const std::string* value = Read<std::string>(name, "a string");
  return value ? *value : fallback;
}

std::string MethodOptions::OneOf(const std::string& name, const std::string& fallback,
                                 const std::vector<std::string>& allowed) const {
  const std::string text = String(name, fallback);
  for (const std::string& candidate : allowed) {
    if (candidate == text) return text;
  }
  ThrowRangeError("option " + name + " must be one of " + NameList(allowed) + ", got '" + text + "'");
}

void MethodOptions::CheckAllRead(const std::string& method) const {
  std::vector<std::string> unread;
  for (const auto& [name, value] : values_) {
    if (read_.count(name) == 0) unread.push_back(name);
  }
  if (!unread.empty()) ThrowRangeError("method " + method + " has no option " + NameList(unread));
}

bool RegisterMethod(const std::string& name, MethodFactory factory) {
  return Registry().emplace(name, std::move(factory)).second;
}

std::vector<std::string> MethodNames() {
  std::vector<std::string> names;
  for (const auto& [name, factory] : Registry()) names.push_back(name);
  return names;
}

MethodResult RunMethod(const std::string& name, const models::Model& original, const data::DatasetView& train,
                       const data::SplitView& split, const MethodOptions& options, const JobContext& context,
                       const std::shared_ptr<distributed::ProcessGroup>& group, int64_t checkEvery) {
  auto factory = Registry().find(name);
  if (factory == Registry().end()) {
    ThrowRangeError("unknown unlearning method '" + name + "'; registered: " + NameList(MethodNames()));
  }
  if (original.NumClasses() > 0 && original.NumClasses() != train.numClasses) {
    ThrowRangeError("the model has " + std::to_string(original.NumClasses()) + " classes but " + train.name + " has " +
                    std::to_string(train.numClasses));
  }
  data::CheckSplitMatches(split, train, "split");
  const uint64_t seed = static_cast<uint64_t>(options.Integer("seed", 0, 0, (int64_t{1} << 53) - 1));
  const at::Device device = models::ParseDevice(options.String("device", "cpu"), "option device");
  RetainGuardOptions guardOptions = RetainGuardOptions::Read(options);
  const ForgetStopOptions stopOptions = ForgetStopOptions::Read(options);
  const bool checkWeights = options.Boolean("checkWeights", false);
  std::unique_ptr<Method> method = factory->second(options);
  options.CheckAllRead(name);
  if (group && !method->DataParallel()) {
    throw Error(codes::kUnsupported, "method " + name + " does not run data-parallel (its Method::DataParallel() is false)");
  }
  if (stopOptions.target && !method->StepsForget() && !method->TunesToForgetTarget()) {
    ThrowRangeError("method " + name + " takes no forgetTarget: its steps do not move the model towards forgetting D_f");
  }
  const bool stopsSteps = method->StepsForget() && !method->TunesToForgetTarget();
  RetainGuard guard(std::move(guardOptions), name, method->TrainsFromScratch(), method->GentlerSettings());
  ForgetStop forgetStop(stopOptions);

  auto start = Clock::now();
  Removal run{train, split, device, context, at::make_generator<at::CPUGeneratorImpl>(seed), nullptr, nullptr, group.get()};
  MethodResult result;
  result.method = name;
  result.scalarNames = method->StepScalars();
  method->Setup(run);
  result.setupSeconds = SecondsSince(start);
  auto removalStart = Clock::now();

  {
    auto lock = models::LockFor(original, "unlearn", context);
    if (method->NeedsTeacher()) run.teacher = original.Clone();
    run.student = original.Clone();
  }
  if (run.teacher) {
    run.teacher->To(device);
    run.teacher->SetTraining(false);
    for (const at::Tensor& parameter : run.teacher->Parameters()) const_cast<at::Tensor&>(parameter).requires_grad_(false);
  }
  run.student->To(device);
  run.student->SetTraining(true);
  guard.Begin(*run.student, train, split, context);
  forgetStop.Begin(*run.student, train, split, context);
  if (method->TunesToForgetTarget()) run.forgetStop = &forgetStop;
  method->Begin(run);

  const int64_t epochs = method->Epochs();
  const size_t scalarCount = result.scalarNames.size();
  int64_t stepsPerEpoch = -1, step = 0;
  bool stopped = false;
  for (int64_t epoch = 0; epoch < epochs && !stopped; ++epoch) {
    auto epochStart = Clock::now();
    std::vector<StepBatch> batches = method->EpochBatches(run, epoch);
    if (stepsPerEpoch < 0) stepsPerEpoch = static_cast<int64_t>(batches.size());
    EpochStats stats;
    stats.means.assign(scalarCount, 0.0);
    for (const StepBatch& batch : batches) {
      context.CheckAborted();
      std::vector<double> scalars = method->Step(run, batch, epoch);
      if (scalars.size() != scalarCount) {
        throw Error(codes::kInternal, "method " + name + " returned " + std::to_string(scalars.size()) +
                                          " step scalars for " + std::to_string(scalarCount) + " names");
      }
      Progress progress{"removal", ++step, stepsPerEpoch * epochs, {{"epoch", static_cast<double>(epoch + 1)}}};
      for (size_t i = 0; i < scalarCount; ++i) {
        CheckFiniteStep(scalars[i], result.scalarNames[i], "unlearning with " + name, step, epoch + 1);
      }
      if (checkWeights) models::CheckFiniteWeights(*run.student, "unlearning with " + name, step, epoch + 1);
      for (size_t i = 0; i < scalarCount; ++i) {
        stats.means[i] += scalars[i];
        progress.values.emplace_back(result.scalarNames[i], scalars[i]);
      }
      ++stats.steps;
      if (group && checkEvery > 0 && step % checkEvery == 0) {
        group->CheckSame(run.student->Parameters(), "unlearned weights after step " + std::to_string(step));
      }
      context.Report(std::move(progress));
      guard.AfterStep(*run.student, step, stepsPerEpoch * epochs, epoch, context);
      if (stopsSteps && forgetStop.AfterStep(*run.student, step, context)) {
        stopped = true;
        break;
      }
    }
    if (stats.steps > 0) {
      for (double& mean : stats.means) mean /= static_cast<double>(stats.steps);
    }
    stats.seconds = SecondsSince(epochStart);
    result.epochs.push_back(std::move(stats));
  }
  method->End(run);
  if (group) group->CheckSame(run.student->Parameters(), "unlearned weights");
  guard.Final(*run.student, step, context);
  run.student->SetTraining(false);
  for (const at::Tensor& parameter : run.student->Parameters()) {
    at::Tensor& grad = const_cast<at::Tensor&>(parameter).mutable_grad();
    if (grad.defined()) grad.reset();
  }
  result.model = run.student;
  result.details = method->Details();
  result.retainGuard = guard.Report();
  result.forgetStop = forgetStop.Report();
  result.removalSeconds = SecondsSince(removalStart);
  result.seconds = SecondsSince(start);
  return result;
}

}  // namespace camu::unlearn
