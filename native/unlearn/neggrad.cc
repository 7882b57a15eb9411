// NegGrad: gradient ascent on the forget set D_f (Thudi et al., "Unrolling SGD: Understanding
// Factors Influencing Machine Unlearning", EuroS&P 2022; the NegGrad baseline of Golatkar et al.,
// "Eternal Sunshine of the Spotless Net", CVPR 2020). Each step minimises -CE(f(x_f), y_f) over a
// batch of D_f, undoing the descent steps that D_f contributed to training; an epoch is one pass
// over D_f. The ascent is unbounded (the loss has no maximum): the defaults keep it
// short and small (docs/methods.md).
#include <torch/torch.h>

#include "data/sampler.h"
#include "unlearn/building_blocks.h"

namespace camu::unlearn {

namespace {

struct NeggradOptions {
  int64_t epochs = 1;
  OptimizerOptions optimizer = Defaults();
  int64_t batchSize = 32;

  static OptimizerOptions Defaults() {
    // Adam: its per-step update is bounded by the learning rate, where SGD's grows with the
    // gradient, which the ascent itself inflates (on MNIST, SGD went from no effect to NaN
    // between lr 1e-4 and 2e-4). 2.5e-5 for one pass over D_f forgets a class of the paper's
    // 20-epoch models (docs/methods.md).
    OptimizerOptions defaults;
    defaults.optimizer = "adam";
    defaults.learningRate = 2.5e-5;
    defaults.weightDecay = 0;
    return defaults;
  }

  explicit NeggradOptions(const MethodOptions& o) {
    epochs = o.Integer("epochs", epochs, 0, 1000000);
    optimizer.Read(o);
    batchSize = o.Integer("batchSize", batchSize, 1, 1 << 20);
  }
};

class Neggrad : public Method {
 public:
  explicit Neggrad(const MethodOptions& options) : options_(options) {}

  int64_t Epochs() const override { return options_.epochs; }
  // The forget set's cross-entropy, which the ascent raises.
  std::vector<std::string> StepScalars() const override { return {"forgetLoss"}; }

  void Begin(Removal& run) override {
    optimizer_ = std::make_unique<Optimizer>(run.student->Parameters(), options_.optimizer);
  }

  std::vector<StepBatch> EpochBatches(Removal& run, int64_t epoch) override {
    std::vector<StepBatch> steps;
    for (at::Tensor& forget : data::ShuffledBatches(run.split.forget, options_.batchSize, run.generator)) {
      steps.push_back({{}, {}, {}, std::move(forget)});
    }
    return steps;
  }

  std::vector<double> Step(Removal& run, const StepBatch& batch, int64_t epoch) override {
    optimizer_->ZeroGrad();
    at::Tensor forgetLoss = ShardedCrossEntropyOn(run, batch.forget);
    return FinishStep(run, *optimizer_, -forgetLoss, {forgetLoss.detach()});
  }

  bool DataParallel() const override { return true; }

 private:
  NeggradOptions options_;
  std::unique_ptr<Optimizer> optimizer_;
};

}  // namespace

CAMU_REGISTER_METHOD("neggrad", Neggrad);

}  // namespace camu::unlearn
