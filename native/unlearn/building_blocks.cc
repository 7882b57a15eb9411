// Shared building blocks of the baseline methods (building_blocks.h).
#include "unlearn/building_blocks.h"

#include <torch/torch.h>

#include "core/errors.h"
#include "data/sampler.h"
#include "train/adam.h"

namespace camu::unlearn {

void OptimizerOptions::Read(const MethodOptions& o) {
  optimizer = o.OneOf("optimizer", optimizer, {"sgd", "adam"});
  learningRate = o.Number("learningRate", learningRate);
  momentum = o.Number("momentum", momentum);
  weightDecay = o.Number("weightDecay", weightDecay);
  fusedAdam = o.Boolean("fusedAdam", fusedAdam);
}

Optimizer::Optimizer(const std::vector<at::Tensor>& parameters, const OptimizerOptions& options) {
  if (options.optimizer == "adam") {
    adam_ = std::make_unique<train::Adam>(parameters, options.learningRate, options.weightDecay, options.fusedAdam);
  } else {
    sgd_ = std::make_unique<torch::optim::SGD>(
        parameters,
        torch::optim::SGDOptions(options.learningRate).momentum(options.momentum).weight_decay(options.weightDecay));
  }
}

Optimizer::~Optimizer() = default;

void Optimizer::ZeroGrad() {
  if (adam_) adam_->ZeroGrad();
  else sgd_->zero_grad();
}

void Optimizer::Step() {
  if (adam_) adam_->Step();
  else sgd_->step();
}

at::Tensor BatchCycle::Next(at::Generator& generator) {
  if (next_ == batches_.size()) {
    batches_ = data::ShuffledBatches(indices_, batchSize_, generator);
    next_ = 0;
    if (batches_.empty()) return at::empty({0}, at::kLong);
  }
  return batches_[next_++];
}

at::Tensor OtherClassLabels(const at::Tensor& labels, int64_t numClasses, at::Generator& generator) {
  if (numClasses < 2) ThrowRangeError("random labels from the other classes need at least 2 classes");
  // Drawn on the CPU from the run's generator: the same seed gives the same labels on any device.
  at::Tensor shift = at::randint(1, numClasses, {labels.size(0)}, generator, at::kLong);
  return (labels + shift.to(labels.device())).remainder(numClasses);
}

std::vector<StepBatch> RetainEpoch(Removal& run, int64_t batchSize) {
  std::vector<StepBatch> steps;
  for (at::Tensor& retain : data::ShuffledBatches(run.split.retain, batchSize, run.generator)) {
    steps.push_back({{}, {}, std::move(retain), {}});
  }
  return steps;
}

at::Tensor RelabelForgetSet(Removal& run) {
  at::Tensor labels = run.train.labels.to(at::kLong).clone();
  at::Tensor forget = run.split.forget;
  labels.index_put_({forget}, OtherClassLabels(labels.index_select(0, forget), run.train.numClasses, run.generator));
  return labels.to(run.device);
}

RandomLabelLosses RandomLabelLossesOn(Removal& run, const StepBatch& batch, const at::Tensor& relabelled) {
  const bool withRetain = batch.retain.defined() && batch.retain.numel() > 0;
  at::Tensor indices = withRetain ? at::cat({batch.forget, batch.retain}) : batch.forget;
  at::Tensor x = data::GatherTrainingInput(run.train, indices, run.generator, run.device);
  at::Tensor logits = run.student->Forward(x).logits;
  const int64_t bf = batch.forget.size(0);
  at::Tensor forget = at::cross_entropy_loss(logits.narrow(0, 0, bf), relabelled.index_select(0, batch.forget.to(run.device)));
  if (!withRetain) return {forget, at::zeros_like(forget)};
  at::Tensor yr = data::GatherLabels(run.train, batch.retain).to(run.device);
  return {forget, at::cross_entropy_loss(logits.narrow(0, bf, logits.size(0) - bf), yr)};
}

at::Tensor CrossEntropyOn(Removal& run, const at::Tensor& indices, const at::Tensor& labels) {
  at::Tensor x = data::GatherTrainingInput(run.train, indices, run.generator, run.device);
  at::Tensor y = labels.defined() ? labels : data::GatherLabels(run.train, indices).to(run.device);
  return at::cross_entropy_loss(run.student->Forward(x).logits, y);
}

}  // namespace camu::unlearn
