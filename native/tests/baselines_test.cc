// The baselines of issue #20 on the core (scrub.cc, bad_teacher.cc, boundary_shrink.cc and their
// shared distillation.{h,cc}): what the conformance suite (unlearn_test.cc) does not check. The
// methods' effect on a learnable problem is tested through the API, test/native/unlearn/.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>
#include <map>
#include <string>
#include <variant>

#include "core/errors.h"
#include "core/job_context.h"
#include "unlearn/distillation.h"
#include "tests/tiny_task.h"
#include "unlearn/method.h"

namespace camu::unlearn {
namespace {

using Task = test::TinyTask;

double Detail(const MethodResult& result, const std::string& name) {
  for (const auto& [key, value] : result.details) {
    if (key == name) return std::get<double>(value);
  }
  ADD_FAILURE() << "no detail " << name;
  return -1;
}

TEST(Distillation, KLIsTheTemperedKLTimesTSquared) {
  at::Tensor teacher = at::tensor({1.0f, 2.0f, 0.5f, -1.0f, 0.0f, 3.0f}).reshape({2, 3});
  at::Tensor student = at::tensor({0.0f, 1.0f, 2.0f, 1.0f, 1.0f, 1.0f}).reshape({2, 3});
  const double t = 2.0;
  at::Tensor rows = DistillationKLPerRow(teacher, student, t);
  for (int64_t r = 0; r < 2; ++r) {
    at::Tensor p = at::softmax(teacher[r] / t, 0), q = at::softmax(student[r] / t, 0);
    const double expected = (p * (p.log() - q.log())).sum().item<double>() * t * t;
    EXPECT_NEAR(rows[r].item<double>(), expected, 1e-6);
  }
  EXPECT_NEAR(DistillationKL(teacher, student, t).item<double>(), rows.mean().item<double>(), 1e-7);
  EXPECT_NEAR(DistillationKL(teacher, teacher, t).item<double>(), 0.0, 1e-7);
  EXPECT_EQ(DistillationKL(teacher.narrow(0, 0, 0), student.narrow(0, 0, 0), t).item<double>(), 0.0);
}

TEST(Distillation, OptimizerChoiceIsCheckedByName) {
  Task task;
  EXPECT_EQ(task.Run("scrub", {{"epochs", 1.0}, {"optimizer", std::string("sgd")}}).epochs.size(), 1u);
  try {
    task.Run("scrub", {{"optimizer", std::string("rmsprop")}});
    FAIL() << "rmsprop accepted";
  } catch (...) {
    EXPECT_EQ(CaptureCurrentException().code, codes::kOutOfRange);
  }
}

TEST(Scrub, MaxPassesOnlyInTheFirstMaxStepsEpochs) {
  Task task;
  MethodResult result =
      task.Run("scrub", {{"epochs", 3.0}, {"maxSteps", 1.0}, {"batchSize", 8.0}, {"forgetBatchSize", 8.0}});
  EXPECT_EQ(result.scalarNames, (std::vector<std::string>{"forgetKl", "retainKl", "retainCe"}));
  // 16 forget samples in batches of 8, 48 retained in batches of 8.
  ASSERT_EQ(result.epochs.size(), 3u);
  EXPECT_EQ(result.epochs[0].steps, 2 + 6);
  EXPECT_EQ(result.epochs[1].steps, 6);
  EXPECT_EQ(result.epochs[2].steps, 6);
  EXPECT_EQ(result.epochs[1].means[0], 0.0);  // no max step, no forgetKl
  EXPECT_GT(result.epochs[1].means[2], 0.0);
}

TEST(BadTeacher, TrainsOnTheForgetSetAndAFractionOfTheRetainedOnes) {
  Task task;
  MethodResult result = task.Run("bad-teacher", {{"epochs", 1.0}, {"batchSize", 8.0}});
  EXPECT_EQ(result.scalarNames, (std::vector<std::string>{"loss", "forgetKl", "retainKl"}));
  EXPECT_EQ(Detail(result, "trainingSamples"), 16.0 + std::round(0.3 * 48));
  EXPECT_EQ(result.epochs[0].steps, 4);  // 30 samples in batches of 8
  // The incompetent teacher is far from the original on D_f; the competent one is the original.
  EXPECT_GT(result.epochs[0].means[1], result.epochs[0].means[2]);
  EXPECT_EQ(Detail(task.Run("bad-teacher", {{"retainFraction", 1.0}}), "trainingSamples"), 64.0);
  try {
    task.Run("bad-teacher", {{"retainFraction", 1.5}});
    FAIL() << "retainFraction 1.5 accepted";
  } catch (...) {
    EXPECT_EQ(CaptureCurrentException().code, codes::kOutOfRange);
  }
}

TEST(BoundaryShrink, FindsANeighbourForEveryForgetSample) {
  Task task;
  MethodResult none = task.Run("boundary-shrink", {{"epochs", 1.0}, {"epsilon", 0.0}});
  EXPECT_EQ(Detail(none, "neighbours"), 16.0);
  // Without a perturbation the attack changes no prediction: only the original's own mistakes
  // (an untrained MLP's) count as found by it.
  MethodResult strong = task.Run("boundary-shrink", {{"epochs", 1.0}, {"epsilon", 50.0}, {"attackSteps", 5.0}});
  EXPECT_GE(Detail(strong, "neighboursFromAttack"), Detail(none, "neighboursFromAttack"));
  EXPECT_LE(Detail(strong, "neighboursFromAttack"), 16.0);
  EXPECT_EQ(strong.scalarNames, std::vector<std::string>{"loss"});
}

}  // namespace
}  // namespace camu::unlearn
