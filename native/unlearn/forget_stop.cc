#include "unlearn/forget_stop.h"

#include "core/errors.h"
#include "unlearn/method.h"

namespace camu::unlearn {

ForgetStopOptions ForgetStopOptions::Read(const MethodOptions& options) {
  ForgetStopOptions stop;
  const double target = options.Number("forgetTarget", -1);
  if (target != -1) {
    if (!(target >= 0 && target <= 100)) {
      ThrowRangeError("option forgetTarget must be an accuracy in [0, 100] or -1 (never stop early), got " +
                      std::to_string(target));
    }
    stop.target = target;
  }
  stop.probeSize = options.Integer("forgetProbe", stop.probeSize, 1, int64_t{1} << 40);
  stop.every = options.Integer("forgetCheckEvery", stop.every, 1, int64_t{1} << 40);
  return stop;
}

void ForgetStop::Begin(models::Model& student, const data::DatasetView& train, const data::SplitView& split,
                       const JobContext& context) {
  if (!options_.target || split.forget.numel() == 0) return;
  probe_ = Probe(train, split.forget, options_.probeSize);
  report_.enabled = true;
  report_.probeSize = probe_.Size();
  report_.target = *options_.target;
  report_.originalAccuracy = probe_.Accuracy(student, context);
  report_.lastAccuracy = report_.originalAccuracy;
}

bool ForgetStop::AfterStep(models::Model& student, int64_t step, const JobContext& context) {
  if (!report_.enabled || step % options_.every != 0) return false;
  if (!Check(student, context)) return false;
  report_.stoppedAfterStep = step;
  return true;
}

bool ForgetStop::Check(models::Model& student, const JobContext& context) {
  report_.lastAccuracy = probe_.Accuracy(student, context);
  ++report_.checks;
  return report_.lastAccuracy <= report_.target;
}

}  // namespace camu::unlearn
