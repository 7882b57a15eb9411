// The counterfactual (intervention) set of CaMU, built once before the removal epochs, exactly
// as shared/camu-reference.md §2:
//   1. D_f (each index forgetRepeat times) in a seeded random order: forgetOrder;
//   2. D_s in a seeded random order: sampleOrder; x~ = EvaluationInput(x_s) + u, u ~ U[0,1)
//      elementwise, i.e. the noise is added to the network input (after normalisation);
//   3. y~ = y_s, except where y~ equals the paired y_f: then y~ is redrawn uniformly from the
//      other C-1 classes;
//   pair i = (x_f = train[forgetOrder[i]], y_f, x~[i], y~[i]).
// x~ is fixed for the whole run. x_s goes through the dataset's deterministic evaluation
// transform (for CIFAR at 224 px: resize + centre crop), so inputs has the network-input shape.
// Memory: n × C×H'×W' float32 (MNIST class 0: 5923 × 784 floats = 18.6 MB; CIFAR-10 class 0 at
// 224 px: 5000 × 150528 floats = 3 GB).
//
// Draws from `generator`, in this order: the forget permutation, the sample permutation, the n
// candidate re-draw labels, then one 64-bit noise seed; the noise of element i is a hash of
// (seed, i), filled chunk by chunk (CounterfactualChunkSamples). The re-draw candidates and the
// seed are drawn even when relabelling or noise is off, so each ablation sees the same pairs,
// labels and noise as the full method.
#pragma once
#include <ATen/ATen.h>

#include <algorithm>
#include <cstdint>

#include "bridge/job.h"
#include "data/dataset.h"

namespace camu::data {

// Samples per chunk: about 2^20 float values (4 MB), at least one sample. Small chunks keep the
// temporaries small enough for the allocator to recycle: only the output is fresh memory.
inline int64_t CounterfactualChunkSamples(int64_t valuesPerSample) {
  return std::max<int64_t>(1, (int64_t(1) << 20) / std::max<int64_t>(valuesPerSample, 1));
}

struct CounterfactualOptions {
  bool noise = true;    // false (ablation): x~ = EvaluationInput(x_s), no noise
  bool relabel = true;  // false (ablation): y~ = y_s even where it equals y_f
};

struct CounterfactualSet {
  at::Tensor forgetOrder;  // int64 [n]: train indices of x_f / y_f, n = |D_f| * forgetRepeat
  at::Tensor sampleOrder;  // int64 [n]: train indices of the x_s each x~ was made from
  at::Tensor inputs;       // float32 [n, C, H', W']: x~ (network input)
  at::Tensor labels;       // int64 [n]: y~
};

// `train` must be the dataset `split` was made for (CheckSplitMatches). Checks context.CheckAborted()
// between chunks and reports progress ("counterfactual", samples done, n) about every 1%. CPU tensors.
CounterfactualSet BuildCounterfactualSet(const DatasetView& train, const SplitView& split,
                                         const CounterfactualOptions& options, at::Generator& generator,
                                         const JobContext& context);

}  // namespace camu::data
