// The numeric guard (CheckFiniteStep, core/errors.h): a training or unlearning step whose loss is
// NaN or infinite stops the job with ERR_CAMU_NON_FINITE instead of returning a broken model.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <limits>
#include <map>
#include <string>

#include "core/errors.h"
#include "tests/tiny_task.h"
#include "train/trainer.h"
#include "unlearn/method.h"

namespace camu {
namespace {

// The code and message of what `body` throws ("" when it returns).
std::pair<std::string, std::string> Thrown(const std::function<void()>& body) {
  std::string message;
  std::string code = unlearn::test::CodeOf(body, &message);
  return {code, message};
}

TEST(NumericGuard, NamesTheStepTheTermAndTheValue) {
  EXPECT_EQ(Thrown([] { CheckFiniteStep(0.25, "loss", "training", 1, 1); }).first, "");
  auto [code, message] = Thrown([] { CheckFiniteStep(std::nan(""), "kl term", "unlearning with camu", 7, 2); });
  EXPECT_EQ(code, codes::kNonFinite);
  EXPECT_NE(message.find("unlearning with camu stopped at step 7 (epoch 2): its kl term became NaN"), std::string::npos) << message;
  EXPECT_NE(message.find("lower the learning rate"), std::string::npos) << message;
  const double infinity = std::numeric_limits<double>::infinity();
  EXPECT_NE(Thrown([&] { CheckFiniteStep(infinity, "loss", "training", 1, 1); }).second.find("+Infinity"), std::string::npos);
  EXPECT_NE(Thrown([&] { CheckFiniteStep(-infinity, "loss", "training", 1, 1); }).second.find("-Infinity"), std::string::npos);
}

TEST(NumericGuard, StopsAnUnlearningRunWhoseWeightsDiverge) {
  unlearn::test::TinyTask task;
  // SGD at 1e30 sends the weights to infinity within a few steps; the guard of the retained
  // accuracy is off so that only the numeric guard can stop the run.
  auto [code, message] = Thrown([&] {
    task.Run("finetune", {{"learningRate", 1e30}, {"epochs", 3.0}, {"batchSize", 8.0}, {"retainFloor", 0.0}});
  });
  EXPECT_EQ(code, codes::kNonFinite) << message;
  EXPECT_NE(message.find("unlearning with finetune stopped at step"), std::string::npos) << message;
  // The same run at a sane rate finishes.
  EXPECT_EQ(Thrown([&] { task.Run("finetune", {{"epochs", 1.0}, {"retainFloor", 0.0}}); }).first, "");
}

TEST(NumericGuard, StopsTrainingWhoseWeightsDiverge) {
  unlearn::test::TinyTask task;
  std::shared_ptr<models::Model> model = task.model->Clone();
  train::TrainOptions options;
  options.epochs = 3;
  options.batchSize = 8;
  options.learningRate = 1e30;  // Adam's steps are about lr in size: the weights leave float range
  auto [code, message] = Thrown([&] { train::Train(*model, {task.train, task.split.retain}, options, JobContext::Synchronous()); });
  EXPECT_EQ(code, codes::kNonFinite) << message;
  EXPECT_NE(message.find("training stopped at step"), std::string::npos) << message;
  EXPECT_NE(message.find("cross-entropy loss"), std::string::npos) << message;
}

}  // namespace
}  // namespace camu
