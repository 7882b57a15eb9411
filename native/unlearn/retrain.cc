// Retraining from scratch on the retained data D_r: exact unlearning, the reference ("oracle")
// every approximate method is compared with (Cao and Yang, "Towards Making Systems Forget with
// Machine Unlearning", IEEE S&P 2015; the protocol of Shen et al., "CaMU", SDM 2024). Begin
// replaces the student's weights by a fresh initialisation of the original's architecture; the
// steps then train it on D_r with the recipe of the original models (train/trainer.h: Adam, lr
// 1e-3, weight decay 1e-4, batch 32). Seeded with the run's seed for both the initialisation and
// the shuffles, as train::Train is with its own, it gives bitwise the weights of training a fresh
// model of that seed on D_r (lib/train.ts, trainFromScratch).
#include <torch/torch.h>

#include "core/errors.h"
#include "models/builtin.h"
#include "unlearn/building_blocks.h"

namespace camu::unlearn {

namespace {

struct RetrainOptions {
  int64_t epochs = 20;  // the paper's protocol trains its original and retrained models 20 epochs
  OptimizerOptions optimizer = Defaults();
  int64_t batchSize = 32;

  static OptimizerOptions Defaults() {
    // train::TrainOptions' recipe, so that the default retrain is the model `camu train` makes.
    OptimizerOptions defaults;
    defaults.optimizer = "adam";
    defaults.learningRate = 1e-3;
    defaults.weightDecay = 1e-4;
    return defaults;
  }

  explicit RetrainOptions(const MethodOptions& o) {
    epochs = o.Integer("epochs", epochs, 0, 1000000);
    optimizer.Read(o);
    batchSize = o.Integer("batchSize", batchSize, 1, 1 << 20);
  }
};

class Retrain : public Method {
 public:
  explicit Retrain(const MethodOptions& options) : options_(options) {}

  int64_t Epochs() const override { return options_.epochs; }
  std::vector<std::string> StepScalars() const override { return {"loss"}; }
  bool TrainsFromScratch() const override { return true; }

  void Begin(Removal& run) override {
    const auto* builtin = dynamic_cast<const models::BuiltinModel*>(run.student.get());
    if (builtin == nullptr) {
      throw Error(codes::kUnsupported,
                  "retrain re-initialises the model, which camu can do for its built-in architectures only, not a " +
                      run.student->Architecture() +
                      " model; retrain it from scratch on D_r where it was defined (in PyTorch), then load that model");
    }
    models::BuiltinConfig config = builtin->config();
    // The run's seed initialises the fresh model; its generator, not drawn from here, shuffles.
    config.seed = run.generator.current_seed();
    run.student->LoadState(models::CreateBuiltin(config)->NamedState(), "a freshly initialised model");
    optimizer_ = std::make_unique<Optimizer>(run.student->Parameters(), options_.optimizer);
  }

  std::vector<StepBatch> EpochBatches(Removal& run, int64_t epoch) override { return RetainEpoch(run, options_.batchSize); }

  std::vector<double> Step(Removal& run, const StepBatch& batch, int64_t epoch) override {
    optimizer_->ZeroGrad();
    at::Tensor loss = ShardedCrossEntropyOn(run, batch.retain);
    return FinishStep(run, *optimizer_, loss, {loss.detach()});
  }

  // Training on D_r: every rank starts from the same fresh model (the run's seed), then steps as
  // data-parallel training does.
  bool DataParallel() const override { return true; }

 private:
  RetrainOptions options_;
  std::unique_ptr<Optimizer> optimizer_;
};

}  // namespace

CAMU_REGISTER_METHOD("retrain", Retrain);

}  // namespace camu::unlearn
