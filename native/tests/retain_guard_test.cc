// The removal loop's retained-accuracy guard (unlearn/retain_guard.h): it checks when it says and
// stops a run below its floor with ERR_CAMU_RETAIN_FLOOR. That it never changes a run it does not
// stop is a conformance check of every method (unlearn_test.cc).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "core/errors.h"
#include "tests/tiny_task.h"
#include "unlearn/method.h"

namespace camu::unlearn {
namespace {

using Task = test::TinyTask;

std::string CodeOf(const Task& task, const std::string& method, const std::map<std::string, MethodOptions::Value>& values,
                   std::string* message = nullptr) {
  return test::CodeOf([&] { task.Run(method, values); }, message);
}

TEST(RetainGuard, ProbesEvenlySpacedRetainedSamplesAndSetsHalfTheOriginalsAccuracyAsTheFloor) {
  Task task;
  MethodResult result = task.Run("finetune", {{"epochs", 2.0}, {"batchSize", 8.0}, {"retainChecks", 2.0}, {"retainProbe", 5.0}});
  const RetainGuardReport& guard = result.retainGuard;
  EXPECT_EQ(guard.probeSize, 5);
  EXPECT_DOUBLE_EQ(guard.floor, guard.originalAccuracy / 2);
  // 48 retained samples in batches of 8: 6 steps an epoch, 12 in all; 2 checks: after step 6 and after the last.
  ASSERT_EQ(guard.checks.size(), 2u);
  EXPECT_EQ(guard.checks[0].first, 6);
  EXPECT_EQ(guard.checks[1].first, 12);
  // 5 checks over 12 steps: after steps 3 (12/5 rounded up), 5, 8, 10, and the last.
  std::vector<int64_t> steps;
  for (const auto& check : task.Run("finetune", {{"epochs", 2.0}, {"batchSize", 8.0}, {"retainChecks", 5.0}}).retainGuard.checks) {
    steps.push_back(check.first);
  }
  EXPECT_EQ(steps, (std::vector<int64_t>{3, 5, 8, 10, 12}));
  for (const auto& [step, accuracy] : guard.checks) {
    // 5 samples: every accuracy is a multiple of 20%.
    EXPECT_NEAR(std::fmod(accuracy, 20.0), 0.0, 1e-9);
  }
  // All 48 when the probe asks for more.
  EXPECT_EQ(task.Run("finetune", {{"epochs", 1.0}, {"retainProbe", 1000.0}}).retainGuard.probeSize, 48);
}

TEST(RetainGuard, StopsARunBelowTheFloorAtItsFirstCheck) {
  Task task;
  std::string message;
  EXPECT_EQ(CodeOf(task, "finetune", {{"epochs", 2.0}, {"batchSize", 8.0}, {"retainChecks", 2.0}, {"retainFloor", 100.0}}, &message),
            codes::kRetainFloor);
  EXPECT_NE(message.find("unlearning with finetune stopped after step 6 (epoch 1)"), std::string::npos) << message;
  EXPECT_NE(message.find("below the floor of 100.00% (retainFloor)"), std::string::npos) << message;
  // SSD changes the model only after its last step: the final check still applies.
  EXPECT_EQ(CodeOf(task, "ssd", {{"retainFloor", 100.0}}, &message), codes::kRetainFloor);
  EXPECT_NE(message.find("stopped"), std::string::npos);
  // The advice names the method's own knobs.
  EXPECT_NE(message.find("(try a larger alpha (fewer weights dampened)"), std::string::npos) << message;
  EXPECT_EQ(CodeOf(task, "finetune", {{"epochs", 1.0}, {"retainFloor", 100.0}}, &message), codes::kRetainFloor);
  EXPECT_NE(message.find("(try a lower learning rate or fewer epochs)"), std::string::npos) << message;
  EXPECT_EQ(CodeOf(task, "neggrad+", {{"epochs", 1.0}, {"retainFloor", 100.0}}, &message), codes::kRetainFloor);
  EXPECT_NE(message.find("(try an alpha closer to 1 (a weaker ascent)"), std::string::npos) << message;
}

TEST(RetainGuard, OptionsAreChecked) {
  Task task;
  EXPECT_EQ(CodeOf(task, "finetune", {{"retainFloor", 100.5}}), codes::kOutOfRange);
  EXPECT_EQ(CodeOf(task, "finetune", {{"retainFloor", -0.5}}), codes::kOutOfRange);
  EXPECT_EQ(CodeOf(task, "finetune", {{"retainProbe", 0.0}}), codes::kOutOfRange);
  EXPECT_EQ(CodeOf(task, "finetune", {{"retainChecks", 1.5}}), codes::kOutOfRange);
  EXPECT_EQ(CodeOf(task, "finetune", {{"retainFloor", std::string("high")}}), codes::kInvalidArgType);
}

}  // namespace
}  // namespace camu::unlearn
