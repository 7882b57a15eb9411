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

// `order` (int64 [n]) cut into batches of `batchSize` as it stands; the last may be short.
std::vector<at::Tensor> OrderedBatches(const at::Tensor& order, int64_t batchSize);

// `order` (int64 [n]) cut as it stands into the fewest batches of at most `maxBatchSize`, whose
// sizes differ by at most one (the longer first): for inference, where the batches' results do not
// depend on how the samples are grouped. A short last batch would need activation buffers of a
// second size; the caching allocator (core/memory.cc) serves a request only from a block at most
// 1/8 larger, so it mapped a second set beside the first (ResNet-18-cifar at 256: 330 MiB more).
std::vector<at::Tensor> EvenBatches(const at::Tensor& order, int64_t maxBatchSize);

// The entries of `indices` (int64 [n], e.g. split.retain) in a random order, cut into batches:
// batches of train indices.
std::vector<at::Tensor> ShuffledBatches(const at::Tensor& indices, int64_t batchSize, at::Generator& generator,
                                        bool dropLast = false);

// One step of the CaMU removal epoch (docs/algorithm.md §3): a batch of counterfactual
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

// images[indices] (any dtype, [N, ...]) as a new contiguous tensor [B, ...]. index_select on the
// stored shape: measured 2-6x faster than on a flattened [N, C*H*W] view for uint8 MNIST batches of
// 256-1338 rows (libtorch 1.13 and 2.13, 1 thread), equal at 32.
at::Tensor GatherSamples(const at::Tensor& images, const at::Tensor& indices);

// images[indices] through the dataset's training transform (random augmentation from `generator`),
// on `device`. Without geometry the stored batch moves first (uint8: 4x smaller than its input).
at::Tensor GatherTrainingInput(const DatasetView& dataset, const at::Tensor& indices, at::Generator& generator,
                               const at::Device& device = at::kCPU);

// images[indices] through the dataset's evaluation transform (deterministic), on `device`.
at::Tensor GatherEvaluationInput(const DatasetView& dataset, const at::Tensor& indices,
                                 const at::Device& device = at::kCPU);

// labels[indices], int64.
at::Tensor GatherLabels(const DatasetView& dataset, const at::Tensor& indices);

}  // namespace camu::data
