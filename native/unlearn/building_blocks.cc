// Shared building blocks of the baseline methods (building_blocks.h).
#include "unlearn/building_blocks.h"

#include <torch/torch.h>

#include "core/errors.h"
#include "distributed/process_group.h"
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
  if (run.group != nullptr) {
    const int64_t bf = batch.forget.size(0), br = withRetain ? batch.retain.size(0) : 0;
    const Shard forget = ShardOf(run, bf), retain = ShardOf(run, br);
    at::Tensor rows = at::cat({at::arange(forget.begin, forget.begin + forget.count, at::kLong),
                               at::arange(bf + retain.begin, bf + retain.begin + retain.count, at::kLong)});
    at::Tensor labels = at::cat({relabelled.index_select(0, forget.Of(batch.forget).to(run.device)),
                                 withRetain ? data::GatherLabels(run.train, retain.Of(batch.retain)).to(run.device)
                                            : at::empty({0}, at::TensorOptions(at::kLong).device(run.device))});
    if (rows.numel() == 0) return {at::zeros({}, x.options()), at::zeros({}, x.options())};
    at::Tensor perRow = at::cross_entropy_loss(run.student->Forward(x.index_select(0, rows.to(run.device))).logits, labels,
                                               {}, at::Reduction::None);
    return {forget.Share(perRow.narrow(0, 0, forget.count)), retain.Share(perRow.narrow(0, forget.count, retain.count))};
  }
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

namespace camu::unlearn {

at::Tensor Shard::Share(const at::Tensor& perRow) const {
  if (total == 0) return at::zeros({}, perRow.options());
  return perRow.sum() / static_cast<double>(total);
}

Shard ShardOf(const Removal& run, int64_t rows) {
  if (run.group == nullptr) return {0, rows, rows};
  auto [begin, end] = distributed::ShardRange(rows, run.group->Rank(), run.group->WorldSize());
  return {begin, end - begin, rows};
}

at::Tensor ShardedCrossEntropyOn(Removal& run, const at::Tensor& indices, const at::Tensor& labels) {
  if (run.group == nullptr) return CrossEntropyOn(run, indices, labels);
  at::Tensor x = data::GatherTrainingInput(run.train, indices, run.generator, run.device);
  const Shard shard = ShardOf(run, indices.size(0));
  if (shard.count == 0) return at::zeros({}, x.options());
  at::Tensor y = labels.defined() ? shard.Of(labels) : data::GatherLabels(run.train, shard.Of(indices)).to(run.device);
  return shard.Share(at::cross_entropy_loss(run.student->Forward(shard.Of(x)).logits, y, {}, at::Reduction::None));
}

std::vector<double> FinishStep(Removal& run, Optimizer& optimizer, const at::Tensor& loss, const std::vector<at::Tensor>& scalars,
                               const std::function<void()>& beforeStep) {
  if (loss.requires_grad()) loss.backward();
  std::vector<double> values;
  if (run.group == nullptr) {
    if (beforeStep) beforeStep();
    optimizer.Step();
    for (const at::Tensor& scalar : scalars) values.push_back(scalar.item<double>());
    return values;
  }
  for (const at::Tensor& scalar : scalars) values.push_back(scalar.item<double>());
  values = run.group->AllReduceGradients(run.student->Parameters(), 1.0, values);
  if (beforeStep) beforeStep();
  optimizer.Step();
  return values;
}

}  // namespace camu::unlearn
