// Unlearning methods over one shared removal loop, and the registry that runs them by name.
//
// A method is one file in this folder (docs/adding-a-method.md): a class deriving from Method,
// its options read from MethodOptions, and a CAMU_REGISTER_METHOD line. The loop (removal.cc)
// does everything methods share: the seeded generator, cloning the original into a student (and
// a frozen teacher when asked), moving them to the device, abort checks between steps, progress
// with the method's named per-step scalars, per-epoch means and timings. The original model is
// never modified.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/job_context.h"
#include "data/dataset.h"
#include "distributed/process_group.h"
#include "models/model.h"
#include "unlearn/forget_stop.h"
#include "unlearn/retain_guard.h"

namespace camu::unlearn {

// A method's options as a host passes them: name -> number, boolean or string. A method reads
// each of its options once, with the default of its options struct; RunMethod rejects names that
// no method read (a misspelt option is an error, not a silent default). Values are validated
// where the host's API is (lib/unlearn/methods/*.ts); the readers here check types and what
// would make the loop misbehave (a batch size below 1).
class MethodOptions {
 public:
  using Value = std::variant<double, bool, std::string>;

  void Set(const std::string& name, Value value) { values_[name] = std::move(value); }

  double Number(const std::string& name, double fallback) const;
  // A whole number in [min, max].
  int64_t Integer(const std::string& name, int64_t fallback, int64_t min, int64_t max) const;
  bool Boolean(const std::string& name, bool fallback) const;
  std::string String(const std::string& name, const std::string& fallback) const;
  std::string OneOf(const std::string& name, const std::string& fallback, const std::vector<std::string>& allowed) const;

  // RangeError naming every option that was set but never read.
  void CheckAllRead(const std::string& method) const;

 private:
  // The value of `name` (null when absent), marked read; TypeError unless it holds a T.
  template <typename T>
  const T* Read(const std::string& name, const char* expected) const;

  std::map<std::string, Value> values_;
  mutable std::set<std::string> read_;
};

// One step's indices; a method's EpochBatches decides which are set.
struct StepBatch {
  at::Tensor pairs;   // positions in a paired set (CaMU's counterfactual pairs)
  at::Tensor sample;  // train indices from D_s
  at::Tensor retain;  // train indices from D_r
  at::Tensor forget;  // train indices from D_f
};

// What the loop gives a method while it runs.
struct Removal {
  const data::DatasetView& train;
  const data::SplitView& split;
  const at::Device device;
  const JobContext& context;
  at::Generator generator;            // seeded with the run's seed; every draw of a run comes from it
  std::shared_ptr<models::Model> student;  // the model being unlearned (training mode); set before Begin
  std::shared_ptr<models::Model> teacher;  // the frozen original (eval mode, no gradients) when asked for
  // Data-parallel (a method whose DataParallel() is true): every rank draws the same batches, and
  // the method computes its losses on this rank's shard of each and all-reduces the gradients
  // before each optimiser step (building_blocks.h: Shard, FinishStep). Null: one process.
  distributed::ProcessGroup* group = nullptr;
  // The forget stop, for a method whose End meets the forget target itself (TunesToForgetTarget);
  // null for the others, whose runs the loop ends.
  ForgetStop* forgetStop = nullptr;
};

// Method-specific numbers for the result (CaMU: its pair count, which shortcuts applied).
using MethodDetails = std::vector<std::pair<std::string, std::variant<double, bool>>>;

class Method {
 public:
  virtual ~Method() = default;

  virtual int64_t Epochs() const = 0;
  // The names of the scalars each Step returns, in order (loss terms, ...).
  virtual std::vector<std::string> StepScalars() const = 0;
  // Whether the loop should provide a frozen copy of the original as Removal::teacher.
  virtual bool NeedsTeacher() const { return false; }
  // Whether Begin re-initialises the student (retrain): its accuracy then climbs from chance, so
  // the retained-accuracy guard checks only the model the run ends with.
  virtual bool TrainsFromScratch() const { return false; }
  // Whether each step moves the student towards forgetting D_f, so that the forget stop may end
  // the run early: not for a method whose steps only measure (SSD) or that starts from scratch.
  virtual bool StepsForget() const { return !TrainsFromScratch(); }
  // Whether End chooses how strongly to change the model so that the forget stop's probe reaches
  // the forget target (SSD's α): the loop then makes no checks after the steps and lends End
  // its forget stop (Removal::forgetStop).
  virtual bool TunesToForgetTarget() const { return false; }
  // Which of the method's options to change when its settings destroy the model, for the
  // retained-accuracy guard's message ("try ...").
  virtual std::string GentlerSettings() const { return "a lower learning rate or fewer epochs"; }
  // Whether the method runs on Removal::group: its steps all-reduce their gradients (every
  // built-in method but SSD, whose every rank computes the whole). RunMethod refuses a group for
  // a method that does not say so, since one that ignores the group would not share its work.
  virtual bool DataParallel() const { return false; }

  // Before the models are cloned: data the method builds from the split (timed as setupSeconds).
  virtual void Setup(Removal& run) {}
  // After cloning, before the first epoch: optimisers, caches.
  virtual void Begin(Removal& run) = 0;
  // The steps of one epoch, in order.
  virtual std::vector<StepBatch> EpochBatches(Removal& run, int64_t epoch) = 0;
  // One step; returns the values of StepScalars().
  virtual std::vector<double> Step(Removal& run, const StepBatch& batch, int64_t epoch) = 0;
  // After the last epoch's last step, before the student is handed back: work on the model that
  // the steps only prepared (SSD dampens the weights its steps found important to D_f).
  virtual void End(Removal& run) {}
  virtual MethodDetails Details() const { return {}; }
};

using MethodFactory = std::function<std::unique_ptr<Method>(const MethodOptions& options)>;

struct EpochStats {
  double seconds = 0;
  int64_t steps = 0;
  std::vector<double> means;  // per StepScalars() name: its mean over the epoch's steps
};

struct MethodResult {
  std::shared_ptr<models::Model> model;
  std::string method;
  double setupSeconds = 0;    // Method::Setup
  double removalSeconds = 0;  // cloning, Begin and every epoch
  double seconds = 0;         // the unlearning time: both of the above
  std::vector<std::string> scalarNames;
  std::vector<EpochStats> epochs;
  MethodDetails details;
  RetainGuardReport retainGuard;
  ForgetStopReport forgetStop;
};

// Registers a method under `name` (CAMU_REGISTER_METHOD does it at static initialisation).
bool RegisterMethod(const std::string& name, MethodFactory factory);
// The registered names, sorted.
std::vector<std::string> MethodNames();

// Runs the method `name` on a clone of `original`. `options` holds the method's options plus the
// loop's own: "seed" (default 0), "device" ("cpu" or "cuda", default "cpu"), "checkWeights" (default
// false: after every step every weight must be finite, models::CheckFiniteWeights), the retained-accuracy
// guard's "retainFloor", "retainProbe", "retainChecks" (retain_guard.h) and the forget stop's
// "forgetTarget", "forgetProbe", "forgetCheckEvery" (forget_stop.h). An unknown name or option is a
// RangeError, and so is a forget target for a method whose steps do not forget (StepsForget) and
// that does not tune its End to it (TunesToForgetTarget); a
// run the guard stops throws ERR_CAMU_RETAIN_FLOOR. Progress is reported
// as phase "removal" with "epoch" and the method's scalars; an abort stops the run at the next
// step, leaving `original` untouched.
// With `group`, the run is one rank of a data-parallel run (methods whose DataParallel() is true;
// every rank makes the same call): the ranks check at the end, and every `checkEvery` steps when
// it is above 0, that their students are the same.
MethodResult RunMethod(const std::string& name, const models::Model& original, const data::DatasetView& train,
                       const data::SplitView& split, const MethodOptions& options, const JobContext& context,
                       const std::shared_ptr<distributed::ProcessGroup>& group = nullptr, int64_t checkEvery = 0);

}  // namespace camu::unlearn

#define CAMU_METHOD_CONCAT_(a, b) a##b
#define CAMU_METHOD_CONCAT(a, b) CAMU_METHOD_CONCAT_(a, b)
// CAMU_REGISTER_METHOD("name", Class): Class(const MethodOptions&) is constructed per run.
#define CAMU_REGISTER_METHOD(name, Class)                                                      \
  static const bool CAMU_METHOD_CONCAT(registered_method_, __LINE__) = ::camu::unlearn::RegisterMethod( \
      name, [](const ::camu::unlearn::MethodOptions& options) -> std::unique_ptr<::camu::unlearn::Method> { \
        return std::make_unique<Class>(options);                                               \
      })
