// Selective Synaptic Dampening (Foster et al., "Fast Machine Unlearning Without Retraining Through
// Selective Synaptic Dampening", AAAI 2024): no training. The importance of every parameter to a
// data set is the diagonal of its Fisher information, E[(∂ CE / ∂θ)²]; it is estimated over the
// forget set D_f ([]_Df) and over a reference set ([]_ref, option reference): the whole training
// set D (the paper's choice) or the retained set D_r. Every parameter with []_Df > α·[]_ref is
// specialised to D_f, and is multiplied by β = min(λ·[]_ref / []_Df, 1): dampened towards 0 in
// proportion to how much more D_f needs it than the reference does. The others are left bitwise
// as they were.
//
// Two estimates (option importance). "batch": the squared gradient of each batch's mean loss,
// averaged over the batches (the usual batched approximation: one backward pass per batch). It
// measures how coherently a set pulls on a weight more than how much each sample needs it, and on
// Fashion-MNIST classes no α separates the class from the others with it (docs/methods.md).
// "sample": the squared gradient of each sample's loss, averaged over the samples (the empirical
// Fisher diagonal itself; one backward pass per sample, so the reference set can be subsampled,
// option referenceSamples). Evaluation mode and the evaluation transform, so the estimate is of
// the model as it stands. In the removal loop an epoch is one pass over D_f's batches and then the
// reference set's, each step adding its squared gradients to its set's sum; the dampening is
// applied once, in End, after the last epoch.
//
// With a forget target (the loop's forgetTarget, measured on the forget stop's probe of D_f), End
// chooses α instead of taking it: the largest α on a geometric grid from the option's value down
// to 1 whose dampened model is at or below the target on the probe. Where the ratio of a class's
// importances to the others' lies differs from one trained model to the next by more than an
// order of magnitude, so one fixed α forgets one model's class and destroys another's.
#include <torch/torch.h>

#include "core/errors.h"
#include "data/sampler.h"
#include "unlearn/building_blocks.h"

namespace camu::unlearn {

namespace {

struct SsdOptions {
  int64_t epochs = 1;
  int64_t batchSize = 512;  // see docs/methods.md: the batched estimate needs large batches
  double alpha = 10;   // selection weighting: the paper's default (with a forget target: the largest tried)
  double lambda = 1;   // dampening constant: the paper's default
  bool perSample = false;         // importance "sample" (else "batch")
  bool retainReference = false;   // reference "retain" (D_r; else "train", all of D)
  int64_t referenceSamples = 0;   // at most this many reference samples per epoch, drawn at random; 0: all

  explicit SsdOptions(const MethodOptions& o) {
    epochs = o.Integer("epochs", epochs, 0, 1000000);
    batchSize = o.Integer("batchSize", batchSize, 1, 1 << 20);
    alpha = o.Number("alpha", alpha);
    if (!(alpha >= 0)) ThrowRangeError("option alpha must be at least 0");
    lambda = o.Number("lambda", lambda);
    if (!(lambda >= 0)) ThrowRangeError("option lambda must be at least 0");
    perSample = o.OneOf("importance", "batch", {"batch", "sample"}) == "sample";
    retainReference = o.OneOf("reference", "train", {"train", "retain"}) == "retain";
    referenceSamples = o.Integer("referenceSamples", referenceSamples, 0, int64_t{1} << 40);
  }
};

// α grid of the forget-target search: from the largest down to 1 by a factor of 1.08 (a step the
// accuracy on the probe moves little over), or the largest alone when it is below 1.
std::vector<double> AlphaGrid(double largest) {
  std::vector<double> grid{largest};
  while (grid.back() / 1.08 > 1) grid.push_back(grid.back() / 1.08);
  if (largest > 1) grid.push_back(1);
  return grid;
}

class Ssd : public Method {
 public:
  explicit Ssd(const MethodOptions& options) : options_(options) {}

  int64_t Epochs() const override { return options_.epochs; }
  // The batch's mean CE: on a D_f step forgetLoss (trainLoss 0), on a D step trainLoss.
  std::vector<std::string> StepScalars() const override { return {"forgetLoss", "trainLoss"}; }
  // Its steps only accumulate importances; the weights change in End.
  bool StepsForget() const override { return false; }
  // With a forget target, End chooses α (the file's head).
  bool TunesToForgetTarget() const override { return true; }
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

  // D_f's batches (forget set only), then the reference set's: D (each batch cut into its D_r and
  // D_f parts) or D_r; retain is defined on these steps, possibly empty.
  std::vector<StepBatch> EpochBatches(Removal& run, int64_t epoch) override {
    std::vector<StepBatch> steps;
    for (at::Tensor& forget : data::ShuffledBatches(run.split.forget, options_.batchSize, run.generator)) {
      steps.push_back({{}, {}, {}, std::move(forget)});
    }
    at::Tensor reference = options_.retainReference ? run.split.retain : at::arange(run.train.size(), at::kLong);
    if (options_.referenceSamples > 0 && options_.referenceSamples < reference.numel()) {
      at::Tensor drawn = at::randperm(reference.numel(), run.generator, at::kLong).narrow(0, 0, options_.referenceSamples);
      reference = reference.index_select(0, drawn);
    }
    for (const at::Tensor& batch : data::ShuffledBatches(reference, options_.batchSize, run.generator)) {
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
    std::vector<at::Tensor>& sums = onTrain ? trainImportance_ : forgetImportance_;
    int64_t& terms = onTrain ? trainTerms_ : forgetTerms_;
    double value = 0;
    if (options_.perSample) {
      for (int64_t row = 0; row < x.size(0); ++row) {
        value += AddSquaredGradient(*run.student, x.narrow(0, row, 1), y.narrow(0, row, 1), sums);
        ++terms;
      }
      value /= static_cast<double>(std::max<int64_t>(x.size(0), 1));
    } else if (x.size(0) > 0) {
      value = AddSquaredGradient(*run.student, x, y, sums);
      ++terms;
    }
    return onTrain ? std::vector<double>{0.0, value} : std::vector<double>{value, 0.0};
  }

  // θ ← θ·min(λ·[]_ref / []_Df, 1) where []_Df > α·[]_ref, at the option's α or, with a forget
  // target, at the α the search chooses; nothing before an importance was measured.
  void End(Removal& run) override {
    if (forgetTerms_ == 0 || trainTerms_ == 0) return;
    torch::NoGradGuard noGrad;
    for (size_t i = 0; i < parameters_.size(); ++i) {
      forgetImportance_[i].div_(static_cast<double>(forgetTerms_));
      trainImportance_[i].div_(static_cast<double>(trainTerms_));
    }
    if (run.forgetStop == nullptr || !run.forgetStop->Enabled()) {
      Dampen(options_.alpha);
      return;
    }
    std::vector<at::Tensor> original;
    for (const at::Tensor& parameter : parameters_) original.push_back(parameter.clone());
    // Whether the model dampened at grid[k] meets the target; the probe's accuracy falls as α does.
    const std::vector<double> grid = AlphaGrid(options_.alpha);
    size_t applied = 0;
    auto meets = [&](size_t k) {
      run.context.CheckAborted();
      for (size_t i = 0; i < parameters_.size(); ++i) const_cast<at::Tensor&>(parameters_[i]).copy_(original[i]);
      Dampen(grid[k]);
      applied = k;
      return run.forgetStop->Check(*run.student, run.context);
    };
    // Bisection between an α known to miss and one known to meet; when even the smallest misses,
    // it is taken: the strongest dampening the method allows.
    size_t chosen = 0;
    if (!meets(0)) {
      size_t missed = 0;
      chosen = grid.size() - 1;
      if (chosen > 0 && meets(chosen)) {
        while (chosen - missed > 1) {
          const size_t middle = (missed + chosen) / 2;
          (meets(middle) ? chosen : missed) = middle;
        }
      }
    }
    if (applied != chosen) meets(chosen);
  }

  MethodDetails Details() const override {
    return {{"dampenedWeights", static_cast<double>(dampened_)}, {"alpha", alpha_}};
  }

 private:
  // Adds the squared gradient of CE(f(x), y) to `sums`; returns the loss.
  double AddSquaredGradient(models::Model& student, const at::Tensor& x, const at::Tensor& y, std::vector<at::Tensor>& sums) {
    at::Tensor loss = at::cross_entropy_loss(student.Forward(x).logits, y);
    std::vector<at::Tensor> grads = torch::autograd::grad({loss}, parameters_, {}, false, false, /*allow_unused=*/true);
    torch::NoGradGuard noGrad;
    for (size_t i = 0; i < grads.size(); ++i) {
      if (grads[i].defined()) sums[i].addcmul_(grads[i], grads[i]);
    }
    return loss.item<double>();
  }

  // Dampens the student at `alpha` (importances already means).
  void Dampen(double alpha) {
    alpha_ = alpha;
    dampened_ = 0;
    for (size_t i = 0; i < parameters_.size(); ++i) {
      const at::Tensor& forget = forgetImportance_[i];
      const at::Tensor& reference = trainImportance_[i];
      at::Tensor selected = forget > reference * alpha;
      at::Tensor factor = (reference * options_.lambda / forget).clamp_max(1.0);
      at::Tensor& parameter = const_cast<at::Tensor&>(parameters_[i]);
      parameter.copy_(at::where(selected, parameter * factor, parameter));
      dampened_ += selected.sum().item<int64_t>();
    }
  }

  SsdOptions options_;
  // Sums of squared gradients (means after the last epoch), per parameter: on D_f and on the
  // reference set (D or D_r).
  std::vector<at::Tensor> parameters_, forgetImportance_, trainImportance_;
  at::Tensor isForget_;  // bool [N]: train index in D_f
  int64_t forgetTerms_ = 0, trainTerms_ = 0;  // batches ("batch") or samples ("sample") summed
  int64_t dampened_ = 0;
  double alpha_ = 0;  // the α of the dampening applied
};

}  // namespace

CAMU_REGISTER_METHOD("ssd", Ssd);

}  // namespace camu::unlearn
