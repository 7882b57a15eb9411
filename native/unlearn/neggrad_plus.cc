// NegGrad+ (Kurmanji et al., "Towards Unbounded Machine Unlearning", NeurIPS 2023): gradient
// ascent on D_f held in place by descent on D_r. Each step minimises
//   α·CE(f(x_r), y_r) − (1−α)·CE(f(x_f), y_f)
// over a batch of D_r and, in step, a batch of D_f; an epoch is one pass over D_r, with D_f's
// batches cycling through fresh shuffles (D_f is usually much the smaller), so the retained term
// keeps the ascent from wrecking what D_r taught.
#include <torch/torch.h>

#include "data/sampler.h"
#include "unlearn/building_blocks.h"

namespace camu::unlearn {

namespace {

struct NeggradPlusOptions {
  int64_t epochs = 1;
  double alpha = 0.9995;  // weight of the retained term; 1 − alpha weighs the ascent
  OptimizerOptions optimizer = Defaults();
  int64_t batchSize = 32;

  static OptimizerOptions Defaults() {
    OptimizerOptions defaults;  // SGD, momentum 0.9, lr 0.01, weight decay 5e-4: finetune's
    return defaults;
  }

  explicit NeggradPlusOptions(const MethodOptions& o) {
    epochs = o.Integer("epochs", epochs, 0, 1000000);
    alpha = o.Number("alpha", alpha);
    optimizer.Read(o);
    batchSize = o.Integer("batchSize", batchSize, 1, 1 << 20);
  }
};

class NeggradPlus : public Method {
 public:
  explicit NeggradPlus(const MethodOptions& options) : options_(options) {}

  int64_t Epochs() const override { return options_.epochs; }
  // The two cross-entropies, unweighted: the retained one should stay low, the forget one rise.
  std::vector<std::string> StepScalars() const override { return {"retainLoss", "forgetLoss"}; }
  std::string GentlerSettings() const override { return "an alpha closer to 1 (a weaker ascent), a lower learning rate or fewer epochs"; }

  void Begin(Removal& run) override {
    optimizer_ = std::make_unique<Optimizer>(run.student->Parameters(), options_.optimizer);
    forget_ = std::make_unique<BatchCycle>(run.split.forget, options_.batchSize);
  }

  std::vector<StepBatch> EpochBatches(Removal& run, int64_t epoch) override {
    std::vector<StepBatch> steps;
    for (at::Tensor& retain : data::ShuffledBatches(run.split.retain, options_.batchSize, run.generator)) {
      steps.push_back({{}, {}, std::move(retain), forget_->Next(run.generator)});
    }
    return steps;
  }

  std::vector<double> Step(Removal& run, const StepBatch& batch, int64_t epoch) override {
    optimizer_->ZeroGrad();
    at::Tensor retainLoss = ShardedCrossEntropyOn(run, batch.retain);
    // An empty D_f leaves plain fine-tuning on D_r (weighted by alpha).
    at::Tensor forgetLoss = batch.forget.numel() > 0 ? ShardedCrossEntropyOn(run, batch.forget) : at::zeros_like(retainLoss);
    return FinishStep(run, *optimizer_, options_.alpha * retainLoss - (1 - options_.alpha) * forgetLoss,
                      {retainLoss.detach(), forgetLoss.detach()});
  }

  bool DataParallel() const override { return true; }

 private:
  NeggradPlusOptions options_;
  std::unique_ptr<Optimizer> optimizer_;
  std::unique_ptr<BatchCycle> forget_;
};

}  // namespace

CAMU_REGISTER_METHOD("neggrad+", NeggradPlus);

}  // namespace camu::unlearn
