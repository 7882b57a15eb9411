// Fine-tuning on the retained data D_r (Golatkar et al., "Eternal Sunshine of the Spotless Net",
// CVPR 2020, the "Fine-tune" baseline; Jia et al., "Model Sparsity Can Simplify Machine
// Unlearning", NeurIPS 2023, its settings: SGD with momentum for a few epochs). Continued training
// without D_f lets the model drift away from what only D_f taught it (docs/methods.md).
#include <torch/torch.h>

#include "data/sampler.h"
#include "unlearn/building_blocks.h"

namespace camu::unlearn {

namespace {

struct FinetuneOptions {
  int64_t epochs = 5;
  OptimizerOptions optimizer;  // SGD with momentum 0.9, lr 0.01, weight decay 5e-4 (building_blocks.h)
  int64_t batchSize = 32;

  explicit FinetuneOptions(const MethodOptions& o) {
    epochs = o.Integer("epochs", epochs, 0, 1000000);
    optimizer.Read(o);
    batchSize = o.Integer("batchSize", batchSize, 1, 1 << 20);
  }
};

class Finetune : public Method {
 public:
  explicit Finetune(const MethodOptions& options) : options_(options) {}

  int64_t Epochs() const override { return options_.epochs; }
  std::vector<std::string> StepScalars() const override { return {"loss"}; }

  void Begin(Removal& run) override {
    optimizer_ = std::make_unique<Optimizer>(run.student->Parameters(), options_.optimizer);
  }

  std::vector<StepBatch> EpochBatches(Removal& run, int64_t epoch) override {
    std::vector<StepBatch> steps;
    for (at::Tensor& retain : data::ShuffledBatches(run.split.retain, options_.batchSize, run.generator)) {
      steps.push_back({{}, {}, std::move(retain), {}});
    }
    return steps;
  }

  std::vector<double> Step(Removal& run, const StepBatch& batch, int64_t epoch) override {
    optimizer_->ZeroGrad();
    at::Tensor loss = CrossEntropyOn(run, batch.retain);
    loss.backward();
    optimizer_->Step();
    return {loss.item<double>()};
  }

 private:
  FinetuneOptions options_;
  std::unique_ptr<Optimizer> optimizer_;
};

}  // namespace

CAMU_REGISTER_METHOD("finetune", Finetune);

}  // namespace camu::unlearn
