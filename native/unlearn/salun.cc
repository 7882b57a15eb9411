// SalUn (Fan et al., "SalUn: Empowering Machine Unlearning via Gradient-based Weight Saliency",
// ICLR 2024): unlearning confined to the weights that matter for the forget set. Before the first
// step, the forget loss's gradient is accumulated over all of D_f at the original weights θ_o; the
// fraction `threshold` of weights with the largest gradient magnitude form the saliency mask m_s.
// Then random-label unlearning (D_f with labels drawn from the other classes, beside D_r batches
// with their true labels, building_blocks.h) updates only the masked weights:
// θ_u = θ_o + m_s ⊙ Δθ. An epoch is one pass over D_f.
#include <torch/torch.h>

#include <cmath>

#include "core/errors.h"
#include "data/sampler.h"
#include "unlearn/building_blocks.h"

namespace camu::unlearn {

namespace {

struct SalunOptions {
  int64_t epochs = 1;
  double threshold = 0.5;  // fraction of weights in the mask: the paper's 50% sparsity
  OptimizerOptions optimizer = Defaults();
  int64_t batchSize = 32;

  static OptimizerOptions Defaults() {
    // Adam, as random-label's, at twice its rate: half the weights move (docs/methods.md).
    OptimizerOptions defaults;
    defaults.optimizer = "adam";
    defaults.learningRate = 1e-4;
    return defaults;
  }

  explicit SalunOptions(const MethodOptions& o) {
    epochs = o.Integer("epochs", epochs, 0, 1000000);
    threshold = o.Number("threshold", threshold);
    if (!(threshold >= 0 && threshold <= 1)) ThrowRangeError("option threshold must be in [0, 1]");
    optimizer.Read(o);
    batchSize = o.Integer("batchSize", batchSize, 1, 1 << 20);
  }
};

class Salun : public Method {
 public:
  explicit Salun(const MethodOptions& options) : options_(options) {}

  int64_t Epochs() const override { return options_.epochs; }
  // CE on D_f against its random labels, and on D_r.
  std::vector<std::string> StepScalars() const override { return {"forgetLoss", "retainLoss"}; }

  void Begin(Removal& run) override {
    parameters_ = run.student->Parameters();
    BuildMask(run);
    relabelled_ = RelabelForgetSet(run);
    optimizer_ = std::make_unique<Optimizer>(parameters_, options_.optimizer);
    retain_ = std::make_unique<BatchCycle>(run.split.retain, options_.batchSize);
  }

  std::vector<StepBatch> EpochBatches(Removal& run, int64_t epoch) override {
    std::vector<StepBatch> steps;
    for (at::Tensor& forget : data::ShuffledBatches(run.split.forget, options_.batchSize, run.generator)) {
      steps.push_back({{}, {}, retain_->Next(run.generator), std::move(forget)});
    }
    return steps;
  }

  std::vector<double> Step(Removal& run, const StepBatch& batch, int64_t epoch) override {
    optimizer_->ZeroGrad();
    RandomLabelLosses losses = RandomLabelLossesOn(run, batch, relabelled_);
    std::vector<double> values = FinishStep(run, *optimizer_, losses.forget + losses.retain,
                                            {losses.forget.detach(), losses.retain.detach()}, [&] {
      torch::NoGradGuard noGrad;
      // Masked gradients (summed over ranks first, on a group) keep the optimiser's state of the
      // frozen weights at zero ...
      for (size_t i = 0; i < parameters_.size(); ++i) {
        at::Tensor& grad = const_cast<at::Tensor&>(parameters_[i]).mutable_grad();
        if (grad.defined()) grad.mul_(masks_[i]);
      }
    });
    torch::NoGradGuard noGrad;
    // ... and resetting them to θ_o undoes what weight decay moved: θ_u = θ_o + m_s ⊙ Δθ exactly.
    for (size_t i = 0; i < parameters_.size(); ++i) {
      const_cast<at::Tensor&>(parameters_[i]).copy_(at::where(masks_[i], parameters_[i], original_[i]));
    }
    return values;
  }

  // The mask comes from the whole of D_f on every rank (the same on each); the steps are sharded.
  bool DataParallel() const override { return true; }

  MethodDetails Details() const override { return {{"maskedWeights", static_cast<double>(masked_)}}; }

 private:
  // |∇_θ Σ_{D_f} CE(f_θo(x_f), y_f)| in evaluation mode (the model as it stands, deterministic
  // input), then the round(threshold · N) largest entries over all N weights (ties: the earlier).
  void BuildMask(Removal& run) {
    models::Model& student = *run.student;
    student.SetTraining(false);
    for (const at::Tensor& parameter : parameters_) const_cast<at::Tensor&>(parameter).mutable_grad() = at::Tensor();
    for (const at::Tensor& forget : data::OrderedBatches(run.split.forget, options_.batchSize)) {
      at::Tensor x = data::GatherEvaluationInput(run.train, forget, run.device);
      at::Tensor y = data::GatherLabels(run.train, forget).to(run.device);
      at::cross_entropy_loss(student.Forward(x).logits, y, {}, at::Reduction::Sum).backward();
    }
    student.SetTraining(true);

    torch::NoGradGuard noGrad;
    std::vector<at::Tensor> magnitudes;
    for (const at::Tensor& parameter : parameters_) {
      at::Tensor grad = parameter.grad();
      magnitudes.push_back(grad.defined() ? grad.abs().flatten() : at::zeros({parameter.numel()}, parameter.options()));
      const_cast<at::Tensor&>(parameter).mutable_grad() = at::Tensor();
    }
    at::Tensor all = at::cat(magnitudes);
    const int64_t total = all.numel();
    masked_ = std::llround(options_.threshold * static_cast<double>(total));
    at::Tensor order = std::get<1>(all.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
    at::Tensor flat = at::zeros({total}, all.options().dtype(at::kBool));
    flat.index_fill_(0, order.narrow(0, 0, masked_), true);
    int64_t offset = 0;
    for (const at::Tensor& parameter : parameters_) {
      masks_.push_back(flat.narrow(0, offset, parameter.numel()).view(parameter.sizes()));
      original_.push_back(parameter.detach().clone());
      offset += parameter.numel();
    }
  }

  SalunOptions options_;
  std::vector<at::Tensor> parameters_, masks_, original_;  // masks_: bool, per parameter
  int64_t masked_ = 0;
  at::Tensor relabelled_;
  std::unique_ptr<Optimizer> optimizer_;
  std::unique_ptr<BatchCycle> retain_;
};

}  // namespace

CAMU_REGISTER_METHOD("salun", Salun);

}  // namespace camu::unlearn
