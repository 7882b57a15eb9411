// The removal loop's forget stop (unlearn/forget_stop.h): it checks every forgetCheckEvery steps,
// ends the run at the first check at or below forgetTarget, and a run it ends is the same run cut
// short. That its checks never change a run it does not end is a conformance check of every method
// whose steps forget (unlearn_test.cc).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "core/errors.h"
#include "tests/tiny_task.h"
#include "unlearn/method.h"

namespace camu::unlearn {
namespace {

using Task = test::TinyTask;
using test::SameState;
using test::State;

int64_t StepsTaken(const MethodResult& result) {
  int64_t steps = 0;
  for (const EpochStats& epoch : result.epochs) steps += epoch.steps;
  return steps;
}

TEST(ForgetStop, EndsTheRunAtTheFirstCheckAtOrBelowTheTarget) {
  Task task;
  // 16 forgotten samples in batches of 4: 4 steps an epoch. Every accuracy is at or below 100%.
  MethodResult stopped = task.Run("neggrad", {{"epochs", 3.0}, {"batchSize", 4.0}, {"forgetTarget", 100.0}});
  const ForgetStopReport& stop = stopped.forgetStop;
  ASSERT_TRUE(stop.enabled);
  EXPECT_EQ(stop.probeSize, 16);
  EXPECT_EQ(stop.checks, 1);
  EXPECT_EQ(stop.stoppedAfterStep, 1);
  EXPECT_EQ(StepsTaken(stopped), 1);
  ASSERT_EQ(stopped.epochs.size(), 1u);
  // Checks every 3 steps: the first after step 3.
  MethodResult third = task.Run("neggrad", {{"epochs", 3.0}, {"batchSize", 4.0}, {"forgetTarget", 100.0}, {"forgetCheckEvery", 3.0}});
  EXPECT_EQ(third.forgetStop.stoppedAfterStep, 3);
  EXPECT_EQ(third.forgetStop.checks, 1);
  // A probe smaller than D_f.
  EXPECT_EQ(task.Run("neggrad", {{"epochs", 1.0}, {"forgetTarget", 100.0}, {"forgetProbe", 5.0}}).forgetStop.probeSize, 5);
}

TEST(ForgetStop, ARunItEndsIsTheSameRunCutShort) {
  Task task;
  // One step an epoch (batch = |D_f|): stopping after step 2 of 5 is the 2-epoch run, to the bit.
  MethodResult stopped = task.Run("neggrad", {{"epochs", 5.0}, {"batchSize", 16.0}, {"forgetTarget", 100.0}, {"forgetCheckEvery", 2.0}});
  MethodResult shorter = task.Run("neggrad", {{"epochs", 2.0}, {"batchSize", 16.0}});
  EXPECT_EQ(stopped.forgetStop.stoppedAfterStep, 2);
  EXPECT_EQ(stopped.epochs.size(), 2u);
  EXPECT_TRUE(SameState(State(*stopped.model), State(*shorter.model)));
}

TEST(ForgetStop, NeverEndsARunWhoseTargetIsNotReached) {
  Task task;
  // Checks only every 1000 steps: none runs, the run takes all 12 steps.
  MethodResult result = task.Run("neggrad", {{"epochs", 3.0}, {"batchSize", 4.0}, {"forgetTarget", 100.0}, {"forgetCheckEvery", 1000.0}});
  EXPECT_TRUE(result.forgetStop.enabled);
  EXPECT_EQ(result.forgetStop.checks, 0);
  EXPECT_EQ(result.forgetStop.stoppedAfterStep, 0);
  EXPECT_EQ(StepsTaken(result), 12);
  EXPECT_FALSE(task.Run("neggrad", {{"epochs", 1.0}}).forgetStop.enabled);
}

TEST(ForgetStop, IsRefusedForMethodsWhoseStepsDoNotForget) {
  Task task;
  std::string message;
  // retrain starts from scratch. (SSD's steps only measure importances too, but it takes the
  // target to choose its α: test/native/unlearn/ssd.test.ts.)
  EXPECT_EQ(test::CodeOf([&] { task.Run("retrain", {{"forgetTarget", 5.0}}); }, &message), codes::kOutOfRange);
  EXPECT_NE(message.find("method retrain takes no forgetTarget"), std::string::npos) << message;
}

TEST(ForgetStop, OptionsAreChecked) {
  Task task;
  auto code = [&](const std::map<std::string, MethodOptions::Value>& values) {
    return test::CodeOf([&] { task.Run("neggrad", values); });
  };
  EXPECT_EQ(code({{"forgetTarget", 100.5}}), codes::kOutOfRange);
  EXPECT_EQ(code({{"forgetTarget", -0.5}}), codes::kOutOfRange);
  EXPECT_EQ(code({{"forgetProbe", 0.0}}), codes::kOutOfRange);
  EXPECT_EQ(code({{"forgetCheckEvery", 0.0}}), codes::kOutOfRange);
  EXPECT_EQ(code({{"forgetTarget", std::string("low")}}), codes::kInvalidArgType);
}

}  // namespace
}  // namespace camu::unlearn
