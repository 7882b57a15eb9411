// Batched inference (train/evaluate.h) and the batches it cuts (data::EvenBatches): the fewest
// batches of at most the batch size, of sizes within one of each other, so that a pass never runs a
// short last batch whose buffers would be mapped beside the full batches' (data/sampler.h).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "core/errors.h"
#include "data/sampler.h"
#include "tests/tiny_task.h"
#include "train/evaluate.h"

namespace camu::train {
namespace {

std::vector<int64_t> Sizes(const std::vector<at::Tensor>& batches) {
  std::vector<int64_t> sizes;
  for (const at::Tensor& batch : batches) sizes.push_back(batch.size(0));
  return sizes;
}

TEST(EvenBatches, CutsTheFewestBatchesOfSizesWithinOneKeepingTheOrder) {
  using Sizes_ = std::vector<int64_t>;
  EXPECT_EQ(Sizes(data::EvenBatches(at::arange(1200, at::kLong), 256)), Sizes_({240, 240, 240, 240, 240}));
  EXPECT_EQ(Sizes(data::EvenBatches(at::arange(900, at::kLong), 256)), Sizes_({225, 225, 225, 225}));
  EXPECT_EQ(Sizes(data::EvenBatches(at::arange(7, at::kLong), 3)), Sizes_({3, 2, 2}));
  EXPECT_EQ(Sizes(data::EvenBatches(at::arange(512, at::kLong), 256)), Sizes_({256, 256}));
  EXPECT_EQ(Sizes(data::EvenBatches(at::arange(5, at::kLong), 256)), Sizes_({5}));
  EXPECT_TRUE(data::EvenBatches(at::empty({0}, at::kLong), 256).empty());

  at::Tensor order = at::randperm(1001, at::kLong);
  std::vector<at::Tensor> batches = data::EvenBatches(order, 100);
  EXPECT_EQ(batches.size(), 11u);
  EXPECT_TRUE(at::equal(at::cat(batches), order));
}

TEST(EvenBatches, RejectsABatchSizeBelowOneAndIndicesThatAreNotInt64) {
  EXPECT_EQ(unlearn::test::CodeOf([] { data::EvenBatches(at::arange(4, at::kLong), 0); }), "ERR_OUT_OF_RANGE");
  EXPECT_EQ(unlearn::test::CodeOf([] { data::EvenBatches(at::arange(4, at::kInt), 2); }), "ERR_INVALID_ARG_TYPE");
}

// A model that records the batch size of every forward pass and runs the tiny task's MLP.
class RecordingModel final : public models::Model {
 public:
  explicit RecordingModel(std::shared_ptr<models::Model> inner) : inner_(std::move(inner)) {}
  std::vector<int64_t> batchSizes;

  models::ModelOutput Forward(const at::Tensor& input) override {
    batchSizes.push_back(input.size(0));
    return inner_->Forward(input);
  }
  void SetTraining(bool training) override { inner_->SetTraining(training); }
  bool IsTraining() const override { return inner_->IsTraining(); }
  std::vector<at::Tensor> Parameters() const override { return inner_->Parameters(); }
  models::NamedTensors NamedState() const override { return inner_->NamedState(); }
  std::shared_ptr<Model> Clone() const override { return std::make_shared<RecordingModel>(inner_->Clone()); }
  void To(const at::Device& device) override { inner_->To(device); }
  at::Device Device() const override { return inner_->Device(); }
  bool HasBatchStatistics() const override { return inner_->HasBatchStatistics(); }
  std::string Architecture() const override { return inner_->Architecture(); }
  const data::InputSpec& Input() const override { return inner_->Input(); }
  std::vector<int64_t> InputShape() const override { return inner_->InputShape(); }
  int64_t NumClasses() const override { return inner_->NumClasses(); }
  int64_t EmbeddingSize() const override { return inner_->EmbeddingSize(); }
  torch::jit::Module ToTorchScript() const override { return inner_->ToTorchScript(); }

 private:
  std::shared_ptr<models::Model> inner_;
};

TEST(Evaluate, RunsEvenBatchesOfAtMostTheBatchSizeWithTheSameOutputsAsOneBatch) {
  unlearn::test::TinyTask task;
  RecordingModel model(task.model);
  EvaluateOptions options;
  options.logits = true;
  options.losses = true;
  options.batchSize = 24;
  // 48 retained samples: 2 batches of 24; all 64: 3 batches of 22, 21, 21 (not 24, 24, 16).
  EvaluateResult retained = Evaluate(model, {task.train, task.split.retain}, options, JobContext::Synchronous());
  EXPECT_EQ(model.batchSizes, std::vector<int64_t>({24, 24}));
  model.batchSizes.clear();
  EvaluateResult all = Evaluate(model, {task.train, at::Tensor()}, options, JobContext::Synchronous());
  EXPECT_EQ(model.batchSizes, std::vector<int64_t>({22, 21, 21}));

  options.batchSize = 64;
  EvaluateResult oneBatch = Evaluate(model, {task.train, at::Tensor()}, options, JobContext::Synchronous());
  EXPECT_EQ(all.count, 64);
  EXPECT_EQ(all.correct, oneBatch.correct);
  EXPECT_TRUE(at::allclose(all.logits, oneBatch.logits, 1e-6, 1e-6));
  EXPECT_TRUE(at::allclose(all.losses, oneBatch.losses, 1e-6, 1e-6));
  EXPECT_EQ(retained.count, task.split.retain.numel());
}

}  // namespace
}  // namespace camu::train
