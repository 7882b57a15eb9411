// Boundary Shrink (Chen et al., "Boundary Unlearning: Rapid Forgetting of Deep Networks via
// Shifting the Decision Space", CVPR 2023): each forget sample is relabelled with its nearest
// wrong class, found by an adversarial step on the ORIGINAL model's input, and the student is
// fine-tuned on D_f with those labels only. Moving each forget sample just across its nearest
// decision boundary shrinks the forgotten class's region into its neighbours instead of spreading
// it at random, which is why a few epochs on D_f alone suffice.
//
// The attack: attackSteps signed-gradient steps of epsilon/attackSteps each, ascending the
// original's cross-entropy on the true label (one step is FGSM; more are the iterated FGSM, all
// within the L∞ ball of radius epsilon in network-input units). The neighbour is the original's
// prediction on the perturbed input; where that is still the true label, its second most likely
// class. No clamping to a pixel range: epsilon is in network-input (normalised) units.
#include <torch/torch.h>

#include "data/sampler.h"
#include "unlearn/building_blocks.h"
#include "unlearn/method.h"

namespace camu::unlearn {

namespace {

struct BoundaryShrinkOptions {
  int64_t epochs = 5;
  int64_t batchSize = 64;
  double epsilon = 0.1;      // L∞ radius of the attack, network-input units
  int64_t attackSteps = 1;   // 1: FGSM
  OptimizerOptions optimizer;

  explicit BoundaryShrinkOptions(const MethodOptions& o) {
    // Small: D_f alone is trained on, so every step also costs D_r (1e-3 lost 1.5 points of
    // remaining-class test accuracy on MNIST, 2e-4 half a point; docs/methods.md).
    optimizer.learningRate = 2e-4;
    epochs = o.Integer("epochs", epochs, 0, 1000000);
    batchSize = o.Integer("batchSize", batchSize, 1, 1 << 20);
    epsilon = o.Number("epsilon", epsilon);
    attackSteps = o.Integer("attackSteps", attackSteps, 1, 1000000);
    optimizer.Read(o);
  }
};

class BoundaryShrink : public Method {
 public:
  explicit BoundaryShrink(const MethodOptions& options) : options_(options) {}

  int64_t Epochs() const override { return options_.epochs; }
  std::vector<std::string> StepScalars() const override { return {"loss"}; }
  bool NeedsTeacher() const override { return true; }  // the frozen original, attacked

  void Begin(Removal& run) override {
    FindNeighbours(run);
    optimizer_ = std::make_unique<Optimizer>(run.student->Parameters(), options_.optimizer);
  }

  std::vector<StepBatch> EpochBatches(Removal& run, int64_t epoch) override {
    // StepBatch::pairs: positions into D_f (and into the neighbour labels).
    std::vector<StepBatch> steps;
    for (at::Tensor& positions : data::ShuffledBatches(run.split.forget.size(0), options_.batchSize, run.generator)) {
      steps.push_back({std::move(positions), {}, {}, {}});
    }
    return steps;
  }

  std::vector<double> Step(Removal& run, const StepBatch& batch, int64_t epoch) override {
    at::Tensor indices = run.split.forget.index_select(0, batch.pairs);
    at::Tensor y = neighbours_.index_select(0, batch.pairs).to(run.device);
    optimizer_->ZeroGrad();
    at::Tensor loss = ShardedCrossEntropyOn(run, indices, y);
    return FinishStep(run, *optimizer_, loss, {loss.detach()});
  }

  // The neighbour labels come from the whole of D_f on every rank (the same on each); the steps are sharded.
  bool DataParallel() const override { return true; }

  MethodDetails Details() const override {
    return {{"neighbours", static_cast<double>(neighbours_.size(0))},
            {"neighboursFromAttack", static_cast<double>(fromAttack_)}};
  }

 private:
  // neighbours_[i]: the nearest wrong class of split.forget[i] under the original model.
  void FindNeighbours(Removal& run) {
    const at::Tensor& forget = run.split.forget;
    std::vector<at::Tensor> found;
    const double stepSize = options_.epsilon / static_cast<double>(options_.attackSteps);
    for (const at::Tensor& positions : data::OrderedBatches(at::arange(forget.size(0), at::kLong), options_.batchSize)) {
      run.context.CheckAborted();
      at::Tensor indices = forget.index_select(0, positions);
      at::Tensor x = data::GatherEvaluationInput(run.train, indices, run.device);
      at::Tensor y = data::GatherLabels(run.train, indices).to(run.device);
      at::Tensor adversarial = x.clone();
      for (int64_t k = 0; k < options_.attackSteps; ++k) {
        at::Tensor input = adversarial.detach().requires_grad_(true);
        // Summed, so each sample's gradient is its own (the sign is all that is used).
        at::Tensor loss = at::cross_entropy_loss(run.teacher->Forward(input).logits, y, {}, at::Reduction::Sum);
        at::Tensor grad = torch::autograd::grad({loss}, {input})[0];
        adversarial = (adversarial + stepSize * grad.sign()).detach();
      }
      torch::NoGradGuard noGrad;
      at::Tensor top2 = std::get<1>(run.teacher->Forward(adversarial).logits.topk(2, 1));
      at::Tensor first = top2.select(1, 0);
      at::Tensor flipped = first.ne(y);
      fromAttack_ += flipped.sum().item<int64_t>();
      found.push_back(at::where(flipped, first, top2.select(1, 1)).cpu());
    }
    neighbours_ = found.empty() ? at::empty({0}, at::kLong) : at::cat(found);
  }

  BoundaryShrinkOptions options_;
  std::unique_ptr<Optimizer> optimizer_;
  at::Tensor neighbours_;
  int64_t fromAttack_ = 0;
};

}  // namespace

CAMU_REGISTER_METHOD("boundary-shrink", BoundaryShrink);

}  // namespace camu::unlearn
