// SCRUB (Kurmanji et al., "Towards Unbounded Machine Unlearning", NeurIPS 2023): the student,
// initialised from the original, is its teacher's "bad student" on D_f and its good student on D_r.
// Each epoch, while epoch < maxSteps (the paper's msteps), a max pass over D_f batches pushes
// the student away from the frozen original (minimises −KL(teacher ‖ student)); then a min pass
// over D_r batches pulls it back (minimises klWeight·KL + ceWeight·CE). Stopping the max passes
// early is the paper's guard against the unbounded −KL term wrecking the model.
//
// Steps: a step is one batch of one pass, so it reports what it did: forgetKl on a max step,
// retainKl and retainCe on a min step, 0 for the names of the other kind (the epoch means then
// average over all of the epoch's steps, both kinds).
#include <torch/torch.h>

#include "data/sampler.h"
#include "unlearn/building_blocks.h"
#include "unlearn/distillation.h"
#include "unlearn/method.h"

namespace camu::unlearn {

namespace {

struct ScrubOptions {
  int64_t epochs = 4;
  int64_t maxSteps = 2;           // the paper's msteps: epochs that start with a max pass over D_f
  int64_t batchSize = 64;         // D_r samples per min step
  int64_t forgetBatchSize = 128;  // D_f samples per max step
  double temperature = 4;         // distillation temperature (the paper's T)
  double klWeight = 1;            // α: KL(teacher ‖ student) on D_r
  double ceWeight = 1;            // γ: CE(student, y) on D_r
  OptimizerOptions optimizer;

  explicit ScrubOptions(const MethodOptions& o) {
    // Adam, not the paper's SGD: the max pass starts where −KL has zero gradient (student =
    // teacher) and, under SGD, then grows the KL exponentially until the weights overflow on a
    // whole class of D_f (docs/methods.md); Adam's bounded steps keep it controllable.
    optimizer.optimizer = "adam";
    optimizer.learningRate = 5e-5;
    epochs = o.Integer("epochs", epochs, 0, 1000000);
    maxSteps = o.Integer("maxSteps", maxSteps, 0, 1000000);
    batchSize = o.Integer("batchSize", batchSize, 1, 1 << 20);
    forgetBatchSize = o.Integer("forgetBatchSize", forgetBatchSize, 1, 1 << 20);
    temperature = o.Number("temperature", temperature);
    klWeight = o.Number("klWeight", klWeight);
    ceWeight = o.Number("ceWeight", ceWeight);
    optimizer.Read(o);
  }
};

class Scrub : public Method {
 public:
  explicit Scrub(const MethodOptions& options) : options_(options) {}

  int64_t Epochs() const override { return options_.epochs; }
  std::vector<std::string> StepScalars() const override { return {"forgetKl", "retainKl", "retainCe"}; }
  bool NeedsTeacher() const override { return true; }

  void Begin(Removal& run) override {
    // One optimizer for both passes, as in the paper's alternating optimisation of one student.
    optimizer_ = std::make_unique<Optimizer>(run.student->Parameters(), options_.optimizer);
  }

  std::vector<StepBatch> EpochBatches(Removal& run, int64_t epoch) override {
    std::vector<StepBatch> steps;
    if (epoch < options_.maxSteps) {
      for (at::Tensor& forget : data::ShuffledBatches(run.split.forget, options_.forgetBatchSize, run.generator)) {
        steps.push_back({{}, {}, {}, std::move(forget)});
      }
    }
    for (StepBatch& retain : RetainEpoch(run, options_.batchSize)) steps.push_back(std::move(retain));
    return steps;
  }

  std::vector<double> Step(Removal& run, const StepBatch& batch, int64_t epoch) override {
    const bool max = batch.forget.defined();
    const at::Tensor& indices = max ? batch.forget : batch.retain;
    at::Tensor x = data::GatherTrainingInput(run.train, indices, run.generator, run.device);
    if (run.group != nullptr) return ShardedStep(run, x, indices, max);
    at::Tensor teacher;
    {
      torch::NoGradGuard noGrad;
      teacher = run.teacher->Forward(x).logits;
    }
    optimizer_->ZeroGrad();
    at::Tensor student = run.student->Forward(x).logits;
    at::Tensor kl = DistillationKL(teacher, student, options_.temperature);
    if (max) {
      // Max step: ascend the KL on D_f (minimise its negative).
      (-kl).backward();
      optimizer_->Step();
      return {kl.item<double>(), 0.0, 0.0};
    }
    at::Tensor y = data::GatherLabels(run.train, indices).to(run.device);
    at::Tensor ce = at::cross_entropy_loss(student, y);
    (options_.klWeight * kl + options_.ceWeight * ce).backward();
    optimizer_->Step();
    return {0.0, kl.item<double>(), ce.item<double>()};
  }

  bool DataParallel() const override { return true; }

  // The same step as one rank of several: the batch `x` (gathered in full, as in one process)
  // runs through both models on this rank's shard only; the KL and CE are this rank's shares of
  // the batch means (building_blocks.h), summed over ranks by FinishStep's all-reduce.
  std::vector<double> ShardedStep(Removal& run, const at::Tensor& x, const at::Tensor& indices, bool max) {
    const Shard shard = ShardOf(run, x.size(0));
    optimizer_->ZeroGrad();
    at::Tensor zero = at::zeros({}, x.options());
    at::Tensor kl = zero, ce = zero, student;
    if (shard.count > 0) {
      at::Tensor rows = shard.Of(x), teacher;
      {
        torch::NoGradGuard noGrad;
        teacher = run.teacher->Forward(rows).logits;
      }
      student = run.student->Forward(rows).logits;
      kl = shard.Share(DistillationKLPerRow(teacher, student, options_.temperature));
    }
    if (max) return FinishStep(run, *optimizer_, -kl, {kl.detach(), zero, zero});
    if (shard.count > 0) {
      at::Tensor y = data::GatherLabels(run.train, shard.Of(indices)).to(run.device);
      ce = shard.Share(at::cross_entropy_loss(student, y, {}, at::Reduction::None));
    }
    return FinishStep(run, *optimizer_, options_.klWeight * kl + options_.ceWeight * ce, {zero, kl.detach(), ce.detach()});
  }

 private:
  ScrubOptions options_;
  std::unique_ptr<Optimizer> optimizer_;
};

}  // namespace

CAMU_REGISTER_METHOD("scrub", Scrub);

}  // namespace camu::unlearn
