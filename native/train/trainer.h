// Supervised training: the recipe of the paper's original models (Adam lr 1e-3, weight decay
// 1e-4, cross-entropy, batch 32), used for original models, the retrain-from-scratch oracle on
// D_r (a subset of indices) and fine-tuning. Batches are drawn with a seeded generator, so the
// same seed, thread count and libtorch give bitwise-identical weights on CPU.
#pragma once
#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "core/job_context.h"
#include "data/dataset.h"
#include "distributed/process_group.h"
#include "models/model.h"

namespace camu::train {

// Samples in memory, batched through data/sampler.h with the dataset's transform: its random
// augmentation when training, its deterministic part when evaluating. Raw tensors from JS become a
// dataset named "images" without geometry whose InputSpec is the model's: images uint8
// [N, C, H, W] (scaled to [0,1], then normalised) or float32 [N, ...] (normalised only).
struct LabelledData {
  data::DatasetView dataset;  // dataset.labels undefined: unlabelled (inference only)
  at::Tensor indices;         // int64 [M] in [0, N), e.g. D_r; undefined: all N samples
};

// TypeError / RangeError naming `fn`'s arguments when dtypes, shapes, index or label ranges are
// wrong (labels are checked against `numClasses` when it is known, i.e. > 0). Call it before
// starting a job, so a bad call fails at once.
void CheckLabelledData(const LabelledData& data, bool needLabels, int64_t numClasses, const std::string& fn);

// The selected sample count (M, or N without indices).
int64_t SampleCount(const LabelledData& data);

// The selected dataset indices in order (all of the dataset's when none are selected).
at::Tensor SelectionOrder(const LabelledData& data);

struct TrainOptions {
  int64_t epochs = 1;
  int64_t batchSize = 32;
  double learningRate = 1e-3;
  double weightDecay = 1e-4;
  uint64_t seed = 0;   // the shuffle generator
  bool shuffle = true;  // reshuffle every epoch, like DataLoader(shuffle=True); keeps the last short batch
  bool fusedAdam = true;  // one-pass Adam (train/adam.h) where it applies, else libtorch's (same formula)
  bool checkWeights = false;  // after every step, every weight must be finite (models::CheckFiniteWeights)
  // Data-parallel training: every rank draws the same global batches (same seed), computes the
  // loss on its shard of each (distributed::ShardRange) and steps with the all-reduced gradient of
  // the global-batch mean. Null: one process.
  std::shared_ptr<distributed::ProcessGroup> group;
  // With a group: every this many steps (0: only after the last), ranks check that their
  // parameters and optimiser state hash the same.
  int64_t checkEvery = 0;
};

struct TrainStats {
  int64_t steps = 0;
  int64_t samplesPerEpoch = 0;
  std::vector<double> epochLosses;  // mean cross-entropy over each epoch's batches (sample-weighted)
  double seconds = 0;
  double allReduceSeconds = 0;  // data-parallel: time spent in the gradient all-reduce (waiting included)
};

// Trains `model` in place, in train mode (its previous mode is restored at the end). Reports
// {phase: "train", step, total, loss, epoch} after every step and stops between steps when
// aborted. The caller holds the model's mutex.
TrainStats Train(models::Model& model, const LabelledData& data, const TrainOptions& options, const JobContext& context);


}  // namespace camu::train
