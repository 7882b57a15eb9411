// Random labels: fine-tuning on the forget set D_f relabelled with classes it does not belong to
// (the random-label baseline of Golatkar et al., "Eternal Sunshine of the Spotless Net", CVPR
// 2020; Graves et al., "Amnesiac Machine Learning", AAAI 2021). Each D_f sample gets a label drawn
// once, uniformly from its other classes, and each step minimises CE(f(x_f), y') over a D_f batch;
// an epoch is one pass over D_f. With `retain`, each step also takes a D_r batch with its true
// labels (Amnesiac's mix of relabelled and retained data), which holds the rest of the model in
// place while D_f is overwritten.
#include <torch/torch.h>

#include "data/sampler.h"
#include "unlearn/building_blocks.h"

namespace camu::unlearn {

namespace {

struct RandomLabelOptions {
  int64_t epochs = 1;
  bool retain = false;  // also a D_r batch (true labels) in each step
  OptimizerOptions optimizer = Defaults();
  int64_t batchSize = 32;

  static OptimizerOptions Defaults() {
    // Adam at 5e-5 for one pass: wrong labels on D_f alone are a strong pull on the whole model
    // (on MNIST, SGD with momentum collapsed it to chance even at lr 1e-3), and Adam's steps
    // stay bounded by the learning rate (docs/methods.md).
    OptimizerOptions defaults;
    defaults.optimizer = "adam";
    defaults.learningRate = 5e-5;
    return defaults;
  }

  explicit RandomLabelOptions(const MethodOptions& o) {
    epochs = o.Integer("epochs", epochs, 0, 1000000);
    retain = o.Boolean("retain", retain);
    optimizer.Read(o);
    batchSize = o.Integer("batchSize", batchSize, 1, 1 << 20);
  }
};

class RandomLabel : public Method {
 public:
  explicit RandomLabel(const MethodOptions& options) : options_(options) {}

  int64_t Epochs() const override { return options_.epochs; }
  // CE on D_f against its random labels (falls as D_f is overwritten), and on D_r (0 without retain).
  std::vector<std::string> StepScalars() const override { return {"forgetLoss", "retainLoss"}; }

  void Begin(Removal& run) override {
    relabelled_ = RelabelForgetSet(run);
    optimizer_ = std::make_unique<Optimizer>(run.student->Parameters(), options_.optimizer);
    if (options_.retain) retain_ = std::make_unique<BatchCycle>(run.split.retain, options_.batchSize);
  }

  std::vector<StepBatch> EpochBatches(Removal& run, int64_t epoch) override {
    std::vector<StepBatch> steps;
    for (at::Tensor& forget : data::ShuffledBatches(run.split.forget, options_.batchSize, run.generator)) {
      steps.push_back({{}, {}, retain_ ? retain_->Next(run.generator) : at::Tensor(), std::move(forget)});
    }
    return steps;
  }

  std::vector<double> Step(Removal& run, const StepBatch& batch, int64_t epoch) override {
    optimizer_->ZeroGrad();
    RandomLabelLosses losses = RandomLabelLossesOn(run, batch, relabelled_);
    return FinishStep(run, *optimizer_, losses.forget + losses.retain, {losses.forget.detach(), losses.retain.detach()});
  }

  bool DataParallel() const override { return true; }

 private:
  RandomLabelOptions options_;
  at::Tensor relabelled_;  // per train index: D_f's random labels, the true ones elsewhere
  std::unique_ptr<Optimizer> optimizer_;
  std::unique_ptr<BatchCycle> retain_;
};

}  // namespace

CAMU_REGISTER_METHOD("random-label", RandomLabel);

}  // namespace camu::unlearn
