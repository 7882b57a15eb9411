// Building blocks shared by the baseline methods: the optimiser a method's options choose (every
// baseline), an endless stream of shuffled batches for the set a method walks in step with its
// epoch's own, and random labels from the other classes. Every random draw comes from the run's
// generator (method.h).
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "unlearn/method.h"

namespace torch::optim {
class SGD;
}

namespace camu::train {
class Adam;
}

namespace camu::unlearn {

// The options of the optimiser a method steps: SGD with momentum or Adam, both with L2 weight
// decay. A method sets its own defaults in the struct, then Read takes the given values.
struct OptimizerOptions {
  std::string optimizer = "sgd";  // "sgd" (with momentum) or "adam"
  double learningRate = 0.01;
  double momentum = 0.9;          // SGD only
  double weightDecay = 5e-4;
  bool fusedAdam = true;          // Adam: camu's one-pass update where it applies (train/adam.h)

  // Reads optimizer, learningRate, momentum, weightDecay and fusedAdam over the defaults above.
  void Read(const MethodOptions& o);
};

// SGD (torch::optim::SGD) or Adam (train::Adam) over `parameters`, as OptimizerOptions choose.
class Optimizer {
 public:
  Optimizer(const std::vector<at::Tensor>& parameters, const OptimizerOptions& options);
  ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  void ZeroGrad();
  void Step();

 private:
  std::unique_ptr<train::Adam> adam_;
  std::unique_ptr<torch::optim::SGD> sgd_;
};

// Batches of `indices` in a shuffled order without end: when one shuffle is used up the next is
// drawn. For the set a method walks beside its epoch's own (neggrad+'s D_f beside D_r), so that
// every sample of it is used equally often whatever the two sizes. Empty `indices` give empty
// batches.
class BatchCycle {
 public:
  BatchCycle(at::Tensor indices, int64_t batchSize) : indices_(std::move(indices)), batchSize_(batchSize) {}
  at::Tensor Next(at::Generator& generator);

 private:
  at::Tensor indices_;
  int64_t batchSize_;
  std::vector<at::Tensor> batches_;
  size_t next_ = 0;
};

// One epoch over D_r in a fresh shuffled order, a step per batch (StepBatch::retain only): the
// epoch of the methods that descend on the retained data (finetune, retrain, scrub's min steps).
std::vector<StepBatch> RetainEpoch(Removal& run, int64_t batchSize);

// For each label y (int64, on any device) a label drawn uniformly from the numClasses - 1 others:
// (y + U{1..K-1}) mod K. Returned on the labels' device.
at::Tensor OtherClassLabels(const at::Tensor& labels, int64_t numClasses, at::Generator& generator);

// Random-label unlearning's relabelling (Golatkar et al. 2020; Graves et al. 2021): a label per
// train index, where each D_f sample gets one drawn once from its other classes (the others keep
// their own); int64 [N] on the run's device. One draw per run, so D_f is fit to fixed wrong labels.
at::Tensor RelabelForgetSet(Removal& run);

// One step's two cross-entropies of random-label unlearning: the D_f batch against `relabelled`
// (RelabelForgetSet) and, when the step has one, the D_r batch with its true labels (else a zero),
// in one forward pass so that batch statistics see the mix the data loader of the papers would.
// On a group, each is this rank's share (Shard::Share) from one pass over its shards of both.
struct RandomLabelLosses {
  at::Tensor forget, retain;
};
RandomLabelLosses RandomLabelLossesOn(Removal& run, const StepBatch& batch, const at::Tensor& relabelled);

// Mean cross-entropy of the student on train samples `indices` (training input and mode), with
// `labels` (on the run's device) or, when undefined, the true ones.
at::Tensor CrossEntropyOn(Removal& run, const at::Tensor& indices, const at::Tensor& labels = {});

// Data-parallel steps (Removal::group; docs/distributed.md). Every rank draws the same batches and
// gathers each batch in full, so that the run's generator (augmentation) stays in step across
// ranks, then runs the student on its shard of each of the step's blocks (a block: the step's
// D_r rows, its D_f rows, ...). A block's loss on a rank is its rows' summed loss over the block's
// size in the whole batch, so that the ranks' losses add up to the one-process mean and so do
// their gradients, which one all-reduce per step then sums (FinishStep).
struct Shard {
  int64_t begin = 0, count = 0, total = 0;
  at::Tensor Of(const at::Tensor& rows) const { return rows.narrow(0, begin, count); }
  // This rank's share of the block's mean: the sum of its rows' values over all the block's rows.
  at::Tensor Share(const at::Tensor& perRow) const;
};
// This rank's rows of a block of `rows` (distributed::ShardRange).
Shard ShardOf(const Removal& run, int64_t rows);

// This rank's share of the mean cross-entropy over the batch `indices` (gathered in full; the
// shard's rows run through the student), with `labels` (on the run's device, per row of `indices`)
// or the true ones. A zero without a gradient when the shard is empty. One process: CrossEntropyOn.
at::Tensor ShardedCrossEntropyOn(Removal& run, const at::Tensor& indices, const at::Tensor& labels = {});

// The end of every baseline's gradient step: backward of `loss` (skipped when nothing on this rank
// has a gradient), then, on a group, one all-reduce of the gradients together with `scalars` (each
// rank's share), then `beforeStep` (SalUn masks the summed gradients) and the optimiser's step.
// Returns the step's scalars: summed over ranks on a group, as given in one process.
std::vector<double> FinishStep(Removal& run, Optimizer& optimizer, const at::Tensor& loss, const std::vector<at::Tensor>& scalars,
                               const std::function<void()>& beforeStep = {});

}  // namespace camu::unlearn
