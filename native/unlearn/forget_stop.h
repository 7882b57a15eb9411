// The forget stop of the removal loop (removal.cc): with a target accuracy on D_f, it measures the
// student on a fixed probe of D_f every few steps and ends the run early at the first check at or
// below the target. The methods that forget by ascent or by wrong labels have a cliff: the steps
// that take D_f's accuracy to the retrained model's are followed, a few steps later, by steps that
// take every class down with it, and where the cliff lies moves with the seed. Stopping on a
// measurement instead of a step count lets their class presets give them room to forget on every
// seed without running over the edge (docs/methods.md). Off by default; like the retained-accuracy
// guard, its checks draw nothing from the run's generator, so a run it does not stop is bitwise
// the run without it.
#pragma once
#include <cstdint>
#include <optional>

#include "core/job_context.h"
#include "data/dataset.h"
#include "models/model.h"
#include "unlearn/probe.h"

namespace camu::unlearn {

class MethodOptions;

struct ForgetStopOptions {
  // Accuracy (%) on the probe at or below which the run ends; unset (forgetTarget -1): never.
  std::optional<double> target;
  int64_t probeSize = 256;  // D_f samples, evenly spaced over D_f
  int64_t every = 1;        // steps between checks

  // Reads the loop's options forgetTarget, forgetProbe and forgetCheckEvery.
  static ForgetStopOptions Read(const MethodOptions& options);
};

// What the stop measured, for the run's result.
struct ForgetStopReport {
  bool enabled = false;
  int64_t probeSize = 0;
  double target = 0;
  double originalAccuracy = 0;  // before the first step
  int64_t checks = 0;
  double lastAccuracy = 0;      // at the last check (the original's when none ran)
  int64_t stoppedAfterStep = 0; // 0: the run took every step it planned
};

class ForgetStop {
 public:
  explicit ForgetStop(ForgetStopOptions options) : options_(options) {}

  // Before the first step, on the student as cloned.
  void Begin(models::Model& student, const data::DatasetView& train, const data::SplitView& split,
             const JobContext& context);
  // After step `step` (1-based): whether the run should end here.
  bool AfterStep(models::Model& student, int64_t step, const JobContext& context);
  // One check of the model as it stands: whether its accuracy on the probe is at or below the
  // target. For a method that meets the target by choosing its strength at the end (SSD's α).
  bool Check(models::Model& student, const JobContext& context);
  bool Enabled() const { return report_.enabled; }

  const ForgetStopReport& Report() const { return report_; }

 private:
  ForgetStopOptions options_;
  Probe probe_;  // of D_f
  ForgetStopReport report_;
};

}  // namespace camu::unlearn
