// Fine-tuning on the retained data D_r (Golatkar et al., "Eternal Sunshine of the Spotless Net",
// CVPR 2020, the "Fine-tune" baseline; Jia et al., "Model Sparsity Can Simplify Machine
// Unlearning", NeurIPS 2023, its settings: SGD with momentum for a few epochs). Continued training
// without D_f lets the model drift away from what only D_f taught it (docs/methods.md).
//
// With `l1` > 0 it is the "l1-sparse" unlearning of Jia et al. (2023): each step minimises
// CE(f(x_r), y_r) + γ_t·‖θ‖₁ over all parameters, where γ_t decays linearly from `l1` to 0 over
// the run's steps, γ_t = l1·(1 − t/T) for step t = 0..T−1 of T (the paper's linear schedule, taken
// per step rather than per epoch so that it is smooth whatever the number of epochs). l1 = 0 adds
// nothing to the step: plain fine-tuning, bitwise.
#include <torch/torch.h>

#include "core/errors.h"
#include "unlearn/building_blocks.h"

namespace camu::unlearn {

namespace {

struct FinetuneOptions {
  int64_t epochs = 5;
  OptimizerOptions optimizer;  // SGD with momentum 0.9 and weight decay 5e-4 (building_blocks.h), lr 0.03
  int64_t batchSize = 32;
  double l1 = 0;  // γ at the first step of l1-sparse unlearning; 0: plain fine-tuning

  explicit FinetuneOptions(const MethodOptions& o) {
    epochs = o.Integer("epochs", epochs, 0, 1000000);
    // 0.01 leaves a class of the paper's 20-epoch models at ~86% in 5 epochs; 0.03 forgets it
    // (docs/methods.md).
    optimizer.learningRate = 0.03;
    optimizer.Read(o);
    batchSize = o.Integer("batchSize", batchSize, 1, 1 << 20);
    l1 = o.Number("l1", l1);
    if (!(l1 >= 0)) ThrowRangeError("option l1 must be at least 0");
  }
};

class Finetune : public Method {
 public:
  explicit Finetune(const MethodOptions& options) : options_(options) {}

  int64_t Epochs() const override { return options_.epochs; }
  std::vector<std::string> StepScalars() const override { return {"loss"}; }

  void Begin(Removal& run) override {
    optimizer_ = std::make_unique<Optimizer>(run.student->Parameters(), options_.optimizer);
    const int64_t n = run.split.retain.numel(), b = options_.batchSize;
    totalSteps_ = options_.epochs * ((n + b - 1) / b);
  }

  std::vector<StepBatch> EpochBatches(Removal& run, int64_t epoch) override { return RetainEpoch(run, options_.batchSize); }

  std::vector<double> Step(Removal& run, const StepBatch& batch, int64_t epoch) override {
    optimizer_->ZeroGrad();
    at::Tensor loss = ShardedCrossEntropyOn(run, batch.retain);
    // On a group the penalty is rank 0's alone: the all-reduce then adds it to the step once.
    if (options_.l1 > 0 && (run.group == nullptr || run.group->Rank() == 0)) {
      // γ_t·‖θ‖₁; its gradient γ_t·sign(θ) (0 at θ = 0) is the paper's subgradient.
      const double gamma = options_.l1 * (1.0 - static_cast<double>(step_) / static_cast<double>(totalSteps_));
      at::Tensor norm = at::zeros({}, loss.options());
      for (const at::Tensor& parameter : run.student->Parameters()) norm = norm + parameter.abs().sum();
      loss = loss + gamma * norm;
    }
    ++step_;
    return FinishStep(run, *optimizer_, loss, {loss.detach()});
  }

  bool DataParallel() const override { return true; }

 private:
  FinetuneOptions options_;
  std::unique_ptr<Optimizer> optimizer_;
  int64_t step_ = 0, totalSteps_ = 1;  // for γ_t of l1-sparse unlearning
};

}  // namespace

CAMU_REGISTER_METHOD("finetune", Finetune);

}  // namespace camu::unlearn
