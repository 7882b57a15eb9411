#include "unlearn/retain_guard.h"

#include <cstdio>

#include "core/errors.h"
#include "unlearn/method.h"

namespace camu::unlearn {

namespace {

std::string Percent(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f%%", value);
  return text;
}

}  // namespace

RetainGuardOptions RetainGuardOptions::Read(const MethodOptions& options) {
  RetainGuardOptions guard;
  const double floor = options.Number("retainFloor", -1);
  if (floor >= 0) {
    if (!(floor <= 100)) ThrowRangeError("option retainFloor must be an accuracy in [0, 100], got " + std::to_string(floor));
    guard.floor = floor;
  } else if (floor != -1) {
    ThrowRangeError("option retainFloor must be an accuracy in [0, 100], got " + std::to_string(floor));
  }
  guard.probeSize = options.Integer("retainProbe", guard.probeSize, 1, int64_t{1} << 40);
  guard.checks = options.Integer("retainChecks", guard.checks, 1, int64_t{1} << 40);
  return guard;
}

void RetainGuard::Begin(models::Model& student, const data::DatasetView& train, const data::SplitView& split,
                        const JobContext& context) {
  if (options_.floor && *options_.floor == 0) return;
  const int64_t retained = split.retain.numel();
  if (retained == 0) return;
  probe_ = Probe(train, split.retain, options_.probeSize);
  report_.enabled = true;
  report_.probeSize = probe_.Size();
  report_.originalAccuracy = probe_.Accuracy(student, context);
  report_.floor = options_.floor ? *options_.floor : report_.originalAccuracy / 2;
}

void RetainGuard::AfterStep(models::Model& student, int64_t step, int64_t totalSteps, int64_t epoch,
                            const JobContext& context) {
  if (!report_.enabled || fromScratch_) return;
  // Checks 1..n-1 after steps ceil(k * total / n); check n is Final's.
  const int64_t done = static_cast<int64_t>(report_.checks.size());
  if (done + 1 >= options_.checks || step * options_.checks < (done + 1) * totalSteps) return;
  Check(student, step, "after step " + std::to_string(step) + " (epoch " + std::to_string(epoch + 1) + ")", context);
}

void RetainGuard::Final(models::Model& student, int64_t step, const JobContext& context) {
  if (!report_.enabled) return;
  Check(student, step, "at the end of the run (" + std::to_string(step) + " steps)", context);
}

void RetainGuard::Check(models::Model& student, int64_t step, const std::string& when, const JobContext& context) {
  const double accuracy = probe_.Accuracy(student, context);
  report_.checks.emplace_back(step, accuracy);
  if (accuracy >= report_.floor) return;
  const std::string floor =
      options_.floor ? Percent(report_.floor) + " (retainFloor)"
                     : Percent(report_.floor) + " (half the original model's " + Percent(report_.originalAccuracy) + ")";
  const std::string advice = fromScratch_
                                 ? "the model trained from scratch did not learn D_r (try more epochs or a lower learning rate)"
                                 : "the method's settings are destroying the model (try " + gentler_ + ")";
  throw Error(codes::kRetainFloor,
              "unlearning with " + method_ + " stopped " + when + ": accuracy on " + std::to_string(report_.probeSize) +
                  " retained samples " + (fromScratch_ ? "reached only " : "fell to ") + Percent(accuracy) +
                  ", below the floor of " + floor + "; " + advice + ", or set retainFloor (0 switches this check off)");
}

}  // namespace camu::unlearn
