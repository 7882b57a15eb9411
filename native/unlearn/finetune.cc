// Fine-tuning on the retained data D_r (Golatkar et al., "Eternal Sunshine of the Spotless Net",
// CVPR 2020, the "Fine-tune" baseline; Jia et al., "Model Sparsity Can Simplify Machine
// Unlearning", NeurIPS 2023, its settings: SGD with momentum for a few epochs). Continued training
// without D_f lets the model drift away from what only D_f taught it (docs/methods.md).
#include <torch/torch.h>

#include "data/sampler.h"
#include "train/adam.h"
#include "unlearn/method.h"

namespace camu::unlearn {

namespace {

struct FinetuneOptions {
  int64_t epochs = 5;
  std::string optimizer = "sgd";  // "sgd" (with momentum) or "adam"
  double learningRate = 0.01;
  double momentum = 0.9;          // SGD only
  double weightDecay = 5e-4;
  int64_t batchSize = 32;
  bool fusedAdam = true;          // Adam: camu's one-pass update where it applies (train/adam.h)

  explicit FinetuneOptions(const MethodOptions& o) {
    epochs = o.Integer("epochs", epochs, 0, 1000000);
    optimizer = o.OneOf("optimizer", optimizer, {"sgd", "adam"});
    learningRate = o.Number("learningRate", learningRate);
    momentum = o.Number("momentum", momentum);
    weightDecay = o.Number("weightDecay", weightDecay);
    batchSize = o.Integer("batchSize", batchSize, 1, 1 << 20);
    fusedAdam = o.Boolean("fusedAdam", fusedAdam);
  }
};

class Finetune : public Method {
 public:
  explicit Finetune(const MethodOptions& options) : options_(options) {}

  int64_t Epochs() const override { return options_.epochs; }
  std::vector<std::string> StepScalars() const override { return {"loss"}; }

  void Begin(Removal& run) override {
    const std::vector<at::Tensor> parameters = run.student->Parameters();
    if (options_.optimizer == "adam") {
      adam_ = std::make_unique<train::Adam>(parameters, options_.learningRate, options_.weightDecay, options_.fusedAdam);
    } else {
      sgd_ = std::make_unique<torch::optim::SGD>(
          parameters,
          torch::optim::SGDOptions(options_.learningRate).momentum(options_.momentum).weight_decay(options_.weightDecay));
    }
  }

  std::vector<StepBatch> EpochBatches(Removal& run, int64_t epoch) override {
    std::vector<StepBatch> steps;
    for (at::Tensor& retain : data::ShuffledBatches(run.split.retain, options_.batchSize, run.generator)) {
      steps.push_back({{}, {}, std::move(retain), {}});
    }
    return steps;
  }

  std::vector<double> Step(Removal& run, const StepBatch& batch, int64_t epoch) override {
    at::Tensor x = data::GatherTrainingInput(run.train, batch.retain, run.generator, run.device);
    at::Tensor y = data::GatherLabels(run.train, batch.retain).to(run.device);
    if (adam_) adam_->ZeroGrad();
    else sgd_->zero_grad();
    at::Tensor loss = at::cross_entropy_loss(run.student->Forward(x).logits, y);
    loss.backward();
    if (adam_) adam_->Step();
    else sgd_->step();
    return {loss.item<double>()};
  }

 private:
  FinetuneOptions options_;
  std::unique_ptr<train::Adam> adam_;
  std::unique_ptr<torch::optim::SGD> sgd_;
};

}  // namespace

CAMU_REGISTER_METHOD("finetune", Finetune);

}  // namespace camu::unlearn
