// The retained-accuracy guard of the removal loop (removal.cc): it measures the student's accuracy
// on a fixed probe of D_r before the first step, a few times during the run and after the last,
// and stops the run with ERR_CAMU_RETAIN_FLOOR when it falls below a floor. A method whose
// settings collapse the model (every prediction one class, or chance) is stopped and reported
// instead of handing back a useless model. A method that trains from scratch (retrain) starts at
// chance, so only the final check applies to it: a model that ends below the floor is as useless.
// The checks run in eval mode without autograd and draw nothing from the run's generator, so a run
// the guard does not stop is bitwise the run without it.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/job_context.h"
#include "data/dataset.h"
#include "models/model.h"
#include "unlearn/probe.h"

namespace camu::unlearn {

class MethodOptions;

struct RetainGuardOptions {
  // Accuracy (%) on the probe below which the run stops; 0 switches the guard off. Unset: half
  // the original model's accuracy on the probe, far below any useful model and far above the
  // chance level a collapsed one falls to.
  std::optional<double> floor;
  int64_t probeSize = 512;  // D_r samples, evenly spaced over D_r (all of D_r when smaller)
  int64_t checks = 10;      // checks in all: checks - 1 evenly spread over the steps, the last after the last step

  // Reads the loop's options retainFloor, retainProbe and retainChecks.
  static RetainGuardOptions Read(const MethodOptions& options);
};

// What the guard measured, for the run's result.
struct RetainGuardReport {
  bool enabled = false;
  int64_t probeSize = 0;
  double originalAccuracy = 0;  // the original model's, before the first step
  double floor = 0;
  std::vector<std::pair<int64_t, double>> checks;  // (steps done, accuracy %), the last after End
};

class RetainGuard {
 public:
  // `fromScratch`: the method re-initialises the student (Method::TrainsFromScratch); only Final
  // checks. `gentler`: what to try when the method destroys the model (Method::GentlerSettings).
  RetainGuard(RetainGuardOptions options, const std::string& method, bool fromScratch, std::string gentler)
      : options_(std::move(options)), method_(method), fromScratch_(fromScratch), gentler_(std::move(gentler)) {}

  // Before the first step, on the student as cloned: picks the probe and sets the floor.
  void Begin(models::Model& student, const data::DatasetView& train, const data::SplitView& split,
             const JobContext& context);
  // After step `step` (1-based) of an estimated `totalSteps` (a method may end up taking more or
  // fewer): checks when a check is due (never for a method that trains from scratch).
  void AfterStep(models::Model& student, int64_t step, int64_t totalSteps, int64_t epoch, const JobContext& context);
  // After the method's End: the final check.
  void Final(models::Model& student, int64_t step, const JobContext& context);

  const RetainGuardReport& Report() const { return report_; }

 private:
  void Check(models::Model& student, int64_t step, const std::string& when, const JobContext& context);

  RetainGuardOptions options_;
  std::string method_;
  bool fromScratch_;
  std::string gentler_;
  Probe probe_;  // of D_r
  RetainGuardReport report_;
};

}  // namespace camu::unlearn
