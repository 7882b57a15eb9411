// Native batching for the trainer, the CaMU engine and the baselines: seeded shuffles cut into
// index batches, and gathering a batch of stored images into network input.
//
// Typical epoch of a trainer over a subset (e.g. the retain set):
//   at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);   // once per run
//   for (const at::Tensor& batch : ShuffledBatches(retain, 32, gen)) {     // once per epoch
//     at::Tensor x = GatherTrainingInput(train, batch, gen);               // float32 [B,C,H',W']
//     at::Tensor y = GatherLabels(train, batch);                           // int64 [B]
//     ...
//   }
// Each epoch draws a fresh permutation from the same generator, so a run is reproducible from
// its seed. The generator must be a CPU generator; batches are CPU tensors (move them to the
// model's device yourself). Like a DataLoader with shuffle=True, the last batch may be smaller
// unless dropLast is set.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "data/dataset.h"

namespace camu::data {

// Positions 0..n-1 in a random order (one randperm from `generator`), cut into batches of
// `batchSize` (int64 tensors). n >= 0, batchSize >= 1.
std::vector<at::Tensor> ShuffledBatches(int64_t n, int64_t batchSize, at::Generator& generator,
                                        bool dropLast = false);

// The entries of `indices` (int64 [n], e.g. split.retain) in a random order, cut into batches:
// batches of train indices.
std::vector<at::Tensor> ShuffledBatches(const at::Tensor& indices, int64_t batchSize, at::Generator& generator,
                                        bool dropLast = false);

// One step of the CaMU removal epoch (shared/camu-reference.md §3): a batch of counterfactual
// pairs and, in step, a batch of the sample set.
struct PairedBatch {
  at::Tensor pairs;   // int64 [B]: positions into the CounterfactualSet (counterfactual.h)
  at::Tensor sample;  // int64 [B']: train indices from D_s (x_r, y_r)
};

// A CaMU epoch: the numPairs counterfactual pairs shuffled into batches, walked in step with
// fresh shuffled batches of `sampleIndices` (split.sample), stopping at the shorter of the two.
// Draw order: the pairs' permutation, then the sample set's.
std::vector<PairedBatch> PairedEpochBatches(int64_t numPairs, const at::Tensor& sampleIndices, int64_t batchSize,
                                            at::Generator& generator);

// images[indices] (any dtype, [N, ...]) as a new contiguous tensor [B, ...]. Gathers rows of the
// flattened [N, C*H*W] view: libtorch's index_select is far faster on 2-D than on 4-D tensors.
at::Tensor GatherSamples(const at::Tensor& images, const at::Tensor& indices);

// images[indices] through the dataset's training transform (random augmentation from `generator`).
at::Tensor GatherTrainingInput(const DatasetView& dataset, const at::Tensor& indices, at::Generator& generator);

// images[indices] through the dataset's evaluation transform (deterministic).
at::Tensor GatherEvaluationInput(const DatasetView& dataset, const at::Tensor& indices);

// labels[indices], int64.
at::Tensor GatherLabels(const DatasetView& dataset, const at::Tensor& indices);

}  // namespace camu::data
