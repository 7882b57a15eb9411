// Selective Synaptic Dampening (Foster et al., "Fast Machine Unlearning Without Retraining Through
// Selective Synaptic Dampening", AAAI 2024): no training. The importance of every parameter to a
// data set is the diagonal of its Fisher information, E[(∂ CE / ∂θ)²]; it is estimated over the
// forget set D_f ([]_Df) and over the whole training set D ([]_D, the paper's choice; D_r would
// leave out the samples whose influence is being measured against). Every parameter with
// []_Df > α·[]_D is specialised to D_f, and is multiplied by β = min(λ·[]_D / []_Df, 1):
// dampened towards 0 in proportion to how much more D_f needs it than D does. The others are
// left bitwise as they were.
//
// Estimate: the squared gradient of each batch's mean loss, averaged over the batches (the usual
// batched approximation of the Fisher diagonal; per-sample gradients would cost a backward pass
// per sample over all of D). Evaluation mode and the evaluation transform, so the estimate is of
// the model as it stands. In the removal loop: an epoch is one pass over D_f's batches and then
// D's, each step adding one batch's squared gradient to its set's sum; the dampening is applied
// once, in End, after the last epoch (more epochs: more shuffles of the same sets averaged).
#include <torch/torch.h>

#include "core/errors.h"
#include "data/sampler.h"
#include "unlearn/building_blocks.h"

namespace camu::unlearn {

namespace {

struct SsdOptions {
  int64_t epochs = 1;
  int64_t batchSize = 512;  // see docs/methods.md: the batched estimate needs large batches
  double alpha = 10;   // selection weighting: the paper's default
  double lambda = 1;   // dampening constant: the paper's default

  explicit SsdOptions(const MethodOptions& o) {
    epochs = o.Integer("epochs", epochs, 0, 1000000);
    batchSize = o.Integer("batchSize", batchSize, 1, 1 << 20);
    alpha = o.Number("alpha", alpha);
    if (!(alpha >= 0)) ThrowRangeError("option alpha must be at least 0");
    lambda = o.Number("lambda", lambda);
    if (!(lambda >= 0)) ThrowRangeError("option lambda must be at least 0");
  }
};

class Ssd : public Method {
 public:
  explicit Ssd(const MethodOptions& options) : options_(options) {}

  int64_t Epochs() const override { return options_.epochs; }
  // The batch's mean CE: on a D_f step forgetLoss (trainLoss 0), on a D step trainLoss.
  std::vector<std::string> StepScalars() const override { return {"forgetLoss", "trainLoss"}; }
  // Its steps only accumulate importances; the weights change in End.
  bool StepsForget() const override { return false; }
  // On a group every rank computes the whole of it: there is no gradient step to share, and
  // sharding the importance passes would need their sums reduced instead (docs/distributed.md).
  // The ranks end with the same model, which RunMethod checks.
  bool DataParallel() const override { return true; }
  std::string GentlerSettings() const override { return "a larger alpha (fewer weights dampened) or a larger lambda (weaker dampening)"; }

  void Begin(Removal& run) override {
    parameters_ = run.student->Parameters();
    for (const at::Tensor& parameter : parameters_) {
      forgetImportance_.push_back(at::zeros_like(parameter));
      trainImportance_.push_back(at::zeros_like(parameter));
    }
    const int64_t n = run.train.size();
    isForget_ = at::zeros({n}, at::kBool);
    isForget_.index_fill_(0, run.split.forget, true);
    run.student->SetTraining(false);
  }

  // D_f's batches (forget set only), then D's (each cut into its D_r and D_f parts; retain is
  // defined on these steps, possibly empty).
  std::vector<StepBatch> EpochBatches(Removal& run, int64_t epoch) override {
    std::vector<StepBatch> steps;
    for (at::Tensor& forget : data::ShuffledBatches(run.split.forget, options_.batchSize, run.generator)) {
      steps.push_back({{}, {}, {}, std::move(forget)});
    }
    at::Tensor all = at::arange(run.train.size(), at::kLong);
    for (const at::Tensor& batch : data::ShuffledBatches(all, options_.batchSize, run.generator)) {
      at::Tensor inForget = isForget_.index_select(0, batch);
      steps.push_back({{}, {}, batch.masked_select(inForget.logical_not()), batch.masked_select(inForget)});
    }
    return steps;
  }

  std::vector<double> Step(Removal& run, const StepBatch& batch, int64_t epoch) override {
    const bool onTrain = batch.retain.defined();
    at::Tensor indices = onTrain ? at::cat({batch.retain, batch.forget}) : batch.forget;
    at::Tensor x = data::GatherEvaluationInput(run.train, indices, run.device);
    at::Tensor y = data::GatherLabels(run.train, indices).to(run.device);
    at::Tensor loss = at::cross_entropy_loss(run.student->Forward(x).logits, y);
    std::vector<at::Tensor> grads = torch::autograd::grad({loss}, parameters_, {}, false, false, /*allow_unused=*/true);
    torch::NoGradGuard noGrad;
    std::vector<at::Tensor>& sums = onTrain ? trainImportance_ : forgetImportance_;
    for (size_t i = 0; i < grads.size(); ++i) {
      if (grads[i].defined()) sums[i].addcmul_(grads[i], grads[i]);
    }
    ++(onTrain ? trainBatches_ : forgetBatches_);
    const double value = loss.item<double>();
    return onTrain ? std::vector<double>{0.0, value} : std::vector<double>{value, 0.0};
  }

  // θ ← θ·min(λ·[]_D / []_Df, 1) where []_Df > α·[]_D; nothing before an importance was measured.
  void End(Removal& run) override {
    if (forgetBatches_ == 0 || trainBatches_ == 0) return;
    torch::NoGradGuard noGrad;
    for (size_t i = 0; i < parameters_.size(); ++i) {
      at::Tensor forget = forgetImportance_[i] / static_cast<double>(forgetBatches_);
      at::Tensor train = trainImportance_[i] / static_cast<double>(trainBatches_);
      at::Tensor selected = forget > train * options_.alpha;
      at::Tensor factor = (train * options_.lambda / forget).clamp_max(1.0);
      at::Tensor& parameter = const_cast<at::Tensor&>(parameters_[i]);
      parameter.copy_(at::where(selected, parameter * factor, parameter));
      dampened_ += selected.sum().item<int64_t>();
    }
  }

  MethodDetails Details() const override { return {{"dampenedWeights", static_cast<double>(dampened_)}}; }

 private:
  SsdOptions options_;
  std::vector<at::Tensor> parameters_, forgetImportance_, trainImportance_;  // sums of squared batch gradients
  at::Tensor isForget_;  // bool [N]: train index in D_f
  int64_t forgetBatches_ = 0, trainBatches_ = 0, dampened_ = 0;
};

}  // namespace

CAMU_REGISTER_METHOD("ssd", Ssd);

}  // namespace camu::unlearn
