// Bad Teaching (Chundawat et al., "Can Bad Teaching Induce Forgetting? Unlearning in Deep
// Networks Using an Incompetent Teacher", AAAI 2023): a student initialised from the original
// distils from two teachers at once: the competent one (the frozen original) on retained samples,
// an incompetent one (the same architecture, randomly initialised) on forget samples. Trained on
// D_f ∪ a random fraction of D_r, the student keeps the original's knowledge of D_r and answers
// D_f like an untrained network, i.e. with no information about those samples.
//
// The Model interface has no re-initialisation, so the incompetent teacher is a clone of the
// original whose parameters are drawn here from run.generator the way PyTorch's default layers
// draw them (DrawAfresh).
#include <torch/torch.h>

#include <cmath>
#include <map>
#include <string>

#include "core/errors.h"
#include "data/sampler.h"
#include "unlearn/building_blocks.h"
#include "unlearn/distillation.h"
#include "unlearn/method.h"

namespace camu::unlearn {

namespace {

struct BadTeacherOptions {
  int64_t epochs = 3;            // the paper: 1 (with 1e-4, too little for a whole class)
  int64_t batchSize = 256;       // the paper's
  double temperature = 1;        // the paper's KL temperature
  double retainFraction = 0.3;   // the paper: 30% of D_r
  OptimizerOptions optimizer;

  explicit BadTeacherOptions(const MethodOptions& o) {
    // The paper's optimiser, Adam without weight decay; its 1 epoch at 1e-4 leaves an MNIST class
    // at 22% accuracy on D_f, 3 epochs at 1e-3 take it to under 1% (docs/methods.md).
    optimizer.optimizer = "adam";
    optimizer.learningRate = 1e-3;
    optimizer.weightDecay = 0;
    epochs = o.Integer("epochs", epochs, 0, 1000000);
    batchSize = o.Integer("batchSize", batchSize, 1, 1 << 20);
    temperature = o.Number("temperature", temperature);
    retainFraction = o.Number("retainFraction", retainFraction);
    if (!(retainFraction >= 0 && retainFraction <= 1)) {
      ThrowRangeError("option retainFraction must be in [0, 1], got " + std::to_string(retainFraction));
    }
    optimizer.Read(o);
  }
};

std::string Prefix(const std::string& name) {
  const size_t dot = name.rfind('.');
  return dot == std::string::npos ? "" : name.substr(0, dot + 1);
}

std::string Leaf(const std::string& name) {
  const size_t dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

int64_t FanIn(const at::Tensor& weight) { return weight.numel() / std::max<int64_t>(weight.size(0), 1); }

// Draws every parameter of `model` afresh from `generator` as PyTorch's default layers initialise
// them: tensors of dim >= 2 (Linear, Conv weights) Kaiming-uniform with a = √5, whose bound
// gain·√(3/fan_in) with gain = √(2/(1+a²)) is 1/√fan_in; vectors (biases) uniform in ±1/√fan_in
// of their layer's weight (their own length when there is none); normalisation layers (those with
// running statistics) reset to weight 1, bias 0, mean 0, variance 1. Draws are made on the CPU,
// in state_dict order, so the teacher is the same on every device for a seed.
void DrawAfresh(models::Model& model, at::Generator& generator) {
  torch::NoGradGuard noGrad;
  const models::NamedTensors state = model.NamedState();
  std::map<std::string, at::Tensor> byName(state.begin(), state.end());
  for (const auto& [name, tensor] : state) {
    at::Tensor target = tensor;
    const std::string prefix = Prefix(name), leaf = Leaf(name);
    if (leaf == "num_batches_tracked") {
      target.zero_();
      continue;
    }
    if (!target.is_floating_point()) continue;
    if (byName.count(prefix + "running_mean") > 0) {
      if (leaf == "weight" || leaf == "running_var") target.fill_(1);
      else target.zero_();  // bias, running_mean
      continue;
    }
    int64_t fanIn = target.numel();
    if (target.dim() >= 2) {
      fanIn = FanIn(target);
    } else {
      auto weight = byName.find(prefix + "weight");
      if (weight != byName.end() && weight->second.dim() >= 2) fanIn = FanIn(weight->second);
    }
    const double bound = fanIn > 0 ? 1.0 / std::sqrt(static_cast<double>(fanIn)) : 0.0;
    at::Tensor drawn = at::empty(target.sizes(), at::TensorOptions().dtype(at::kFloat)).uniform_(-bound, bound, generator);
    target.copy_(drawn);
  }
}

class BadTeacher : public Method {
 public:
  explicit BadTeacher(const MethodOptions& options) : options_(options) {}

  int64_t Epochs() const override { return options_.epochs; }
  std::vector<std::string> StepScalars() const override { return {"loss", "forgetKl", "retainKl"}; }
  bool NeedsTeacher() const override { return true; }

  void Begin(Removal& run) override {
    incompetent_ = run.teacher->Clone();  // frozen and in eval mode, like the competent one
    DrawAfresh(*incompetent_, run.generator);
    // The paper's retained subset: drawn once for the run.
    const int64_t retained = run.split.retain.size(0);
    const int64_t keep = static_cast<int64_t>(std::llround(options_.retainFraction * static_cast<double>(retained)));
    at::Tensor chosen = at::randperm(retained, run.generator, at::kLong).narrow(0, 0, keep);
    members_ = at::cat({run.split.forget, run.split.retain.index_select(0, chosen)});
    isForget_ = at::zeros({run.train.size()}, at::kBool);
    isForget_.index_fill_(0, run.split.forget, true);
    optimizer_ = std::make_unique<Optimizer>(run.student->Parameters(), options_.optimizer);
  }

  std::vector<StepBatch> EpochBatches(Removal& run, int64_t epoch) override {
    // Mixed batches of D_f ∪ the retained subset (StepBatch::sample holds their train indices).
    std::vector<StepBatch> steps;
    for (at::Tensor& batch : data::ShuffledBatches(members_, options_.batchSize, run.generator)) {
      steps.push_back({{}, std::move(batch), {}, {}});
    }
    return steps;
  }

  std::vector<double> Step(Removal& run, const StepBatch& batch, int64_t epoch) override {
    at::Tensor x = data::GatherTrainingInput(run.train, batch.sample, run.generator, run.device);
    at::Tensor forget = isForget_.index_select(0, batch.sample).to(run.device);
    if (run.group != nullptr) return ShardedStep(run, x, forget);
    at::Tensor teacher;
    {
      torch::NoGradGuard noGrad;
      // Per sample: the incompetent teacher for D_f, the competent one for D_r.
      teacher = at::where(forget.unsqueeze(1), incompetent_->Forward(x).logits, run.teacher->Forward(x).logits);
    }
    optimizer_->ZeroGrad();
    at::Tensor kl = DistillationKLPerRow(teacher, run.student->Forward(x).logits, options_.temperature);
    at::Tensor loss = kl.mean();
    loss.backward();
    optimizer_->Step();

    at::Tensor perRow = kl.detach();
    at::Tensor forgetMask = forget.to(perRow.dtype());
    at::Tensor sums = at::stack({perRow.sum(), (perRow * forgetMask).sum(), forgetMask.sum()}).cpu();
    const double total = sums[0].item<double>(), forgetSum = sums[1].item<double>(), forgetRows = sums[2].item<double>();
    const double retainRows = static_cast<double>(perRow.size(0)) - forgetRows;
    return {total / static_cast<double>(perRow.size(0)), forgetRows > 0 ? forgetSum / forgetRows : 0.0,
            retainRows > 0 ? (total - forgetSum) / retainRows : 0.0};
  }

  bool DataParallel() const override { return true; }

  // The same step as one rank of several: the shard's rows through both teachers and the student,
  // the batch mean's share as the loss (building_blocks.h); the per-row sums behind the reported
  // means travel with the gradients' all-reduce.
  std::vector<double> ShardedStep(Removal& run, const at::Tensor& x, const at::Tensor& forgetRows) {
    const Shard shard = ShardOf(run, x.size(0));
    optimizer_->ZeroGrad();
    at::Tensor zero = at::zeros({}, x.options());
    at::Tensor loss = zero, sum = zero, forgetSum = zero, forgetCount = zero;
    if (shard.count > 0) {
      at::Tensor rows = shard.Of(x), forget = shard.Of(forgetRows), teacher;
      {
        torch::NoGradGuard noGrad;
        teacher = at::where(forget.unsqueeze(1), incompetent_->Forward(rows).logits, run.teacher->Forward(rows).logits);
      }
      at::Tensor kl = DistillationKLPerRow(teacher, run.student->Forward(rows).logits, options_.temperature);
      loss = shard.Share(kl);
      at::Tensor perRow = kl.detach(), mask = forget.to(perRow.dtype());
      sum = perRow.sum();
      forgetSum = (perRow * mask).sum();
      forgetCount = mask.sum();
    }
    std::vector<double> sums = FinishStep(run, *optimizer_, loss, {sum, forgetSum, forgetCount});
    const double rows = static_cast<double>(x.size(0)), retainRows = rows - sums[2];
    return {sums[0] / rows, sums[2] > 0 ? sums[1] / sums[2] : 0.0, retainRows > 0 ? (sums[0] - sums[1]) / retainRows : 0.0};
  }

  MethodDetails Details() const override { return {{"trainingSamples", static_cast<double>(members_.size(0))}}; }

 private:
  BadTeacherOptions options_;
  std::shared_ptr<models::Model> incompetent_;
  std::unique_ptr<Optimizer> optimizer_;
  at::Tensor members_, isForget_;
};

}  // namespace

CAMU_REGISTER_METHOD("bad-teacher", BadTeacher);

}  // namespace camu::unlearn
