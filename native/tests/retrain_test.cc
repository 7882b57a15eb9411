// Retraining from scratch (unlearn/retrain.cc): what the conformance suite (unlearn_test.cc) does
// not check. It is the trainer's run on a fresh model, the retained-accuracy guard checks only the
// model it ends with, and a model camu cannot re-initialise is refused with a code.
#include <gtest/gtest.h>

#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/errors.h"
#include "core/job_context.h"
#include "models/torchscript_model.h"
#include "tests/tiny_task.h"
#include "train/trainer.h"
#include "unlearn/method.h"

namespace camu::unlearn {
namespace {

using Task = test::TinyTask;
using test::CodeOf;

TEST(Retrain, GivesBitwiseTheTrainersModelOfTheSameSeedOnTheRetainedData) {
  Task task;
  MethodResult retrained = task.Run("retrain", {{"epochs", 2.0}, {"batchSize", 8.0}, {"seed", 5.0}});

  models::BuiltinConfig config;
  config.architecture = "mlp";
  config.numClasses = 4;
  config.inFeatures = 16;
  config.hiddenSize = 8;
  config.seed = 5;
  std::shared_ptr<models::Model> fresh = models::CreateBuiltin(config);
  train::TrainOptions options;
  options.epochs = 2;
  options.batchSize = 8;
  options.seed = 5;
  train::Train(*fresh, {task.train, task.split.retain}, options, JobContext::Synchronous());

  const models::NamedTensors expected = fresh->NamedState(), got = retrained.model->NamedState();
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].first, expected[i].first);
    EXPECT_TRUE(at::equal(got[i].second, expected[i].second)) << got[i].first;
  }
  // 48 retained samples in batches of 8.
  EXPECT_EQ(retrained.epochs[0].steps, 6);
}

TEST(Retrain, TheRetainedAccuracyGuardChecksOnlyTheModelItEndsWith) {
  Task task;
  const RetainGuardReport guard =
      task.Run("retrain", {{"epochs", 2.0}, {"batchSize", 8.0}, {"retainChecks", 5.0}}).retainGuard;
  EXPECT_TRUE(guard.enabled);
  ASSERT_EQ(guard.checks.size(), 1u);
  EXPECT_EQ(guard.checks[0].first, 12);

  std::string message;
  EXPECT_EQ(CodeOf([&] { task.Run("retrain", {{"epochs", 1.0}, {"batchSize", 8.0}, {"retainFloor", 100.0}}); }, &message),
            codes::kRetainFloor);
  EXPECT_NE(message.find("unlearning with retrain stopped at the end of the run (6 steps)"), std::string::npos) << message;
  EXPECT_NE(message.find("did not learn D_r"), std::string::npos) << message;
}

TEST(Retrain, RefusesATorchScriptModelWithACode) {
  Task task;
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("camu-retrain-test-" + std::to_string(getpid()) + ".pt");
  models::SaveTorchScript(task.model->ToTorchScript(), file.string(), task.model.get());
  models::TorchScriptOptions trusted;
  trusted.trustCode = true;  // the test's own export
  std::shared_ptr<models::Model> scripted = models::LoadTorchScript(file.string(), trusted);
  std::filesystem::remove(file);

  std::string message;
  EXPECT_EQ(CodeOf([&] {
              MethodOptions options;
              options.Set("epochs", 1.0);
              RunMethod("retrain", *scripted, task.train, task.split, options, JobContext::Synchronous());
            },
                   &message),
            codes::kUnsupported);
  EXPECT_NE(message.find("not a torchscript model"), std::string::npos) << message;
  EXPECT_NE(message.find("where it was defined"), std::string::npos) << message;
}

}  // namespace
}  // namespace camu::unlearn
