// The counterfactual (intervention) set of CaMU (docs/algorithm.md §2):
//   1. D_f (each index forgetRepeat times) in a seeded random order: forgetOrder;
//   2. D_s in a seeded random order: sampleOrder; x~ = EvaluationInput(x_s) + u, u ~ U[0,1)
//      elementwise, i.e. the noise is added to the network input (after normalisation);
//   3. y~ = y_s, except where y~ equals the paired y_f: then y~ is redrawn uniformly from the
//      other C-1 classes;
//   pair i = (x_f = train[forgetOrder[i]], y_f, x~[i], y~[i]).
// x~ is fixed for the whole run but never stored whole: the noise of element j of pair i is a
// hash of (noiseSeed, i·values per sample + j), so CounterfactualInputs makes any pairs' x~ on
// demand, the same values every time, for any batching and thread count. A stored x~ would
// cost n × C×H'×W' floats (MNIST class 0: 18.6 MB; CIFAR-10 class 0 at 224 px: 3 GB) and its
// first touch was most of the construction time; CaMU reads x~ once per pair anyway (the
// teacher's embeddings of x~ are cached after the first epoch). x_s goes through the dataset's
// deterministic evaluation transform (for CIFAR at 224 px: resize + centre crop).
//
// Draws from `generator`, in this order: the forget permutation, the sample permutation, the n
// candidate re-draw labels, then the 64-bit noise seed. The candidates and the seed are drawn
// even when relabelling or noise is off, so each ablation sees the same pairs, labels and noise
// as the full method.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>

#include "core/job_context.h"
#include "data/dataset.h"

namespace camu::data {

struct CounterfactualOptions {
  bool noise = true;    // false (ablation): x~ = EvaluationInput(x_s), no noise
  bool relabel = true;  // false (ablation): y~ = y_s even where it equals y_f
};

struct CounterfactualSet {
  at::Tensor forgetOrder;  // int64 [n]: train indices of x_f / y_f, n = |D_f| * forgetRepeat
  at::Tensor sampleOrder;  // int64 [n]: train indices of the x_s each x~ is made from
  at::Tensor labels;       // int64 [n]: y~
  uint64_t noiseSeed = 0;  // seeds the noise of x~
  bool noise = true;       // false (ablation): x~ = EvaluationInput(x_s)
};

// `train` must be the dataset `split` was made for (CheckSplitMatches). Reports progress
// ("counterfactual", n, n) when done. CPU tensors.
CounterfactualSet BuildCounterfactualSet(const DatasetView& train, const SplitView& split,
                                         const CounterfactualOptions& options, at::Generator& generator,
                                         const JobContext& context);

// x~ of the pairs at `positions` (int64 [k], each in [0, n)): float32 [k, C, H', W'] on the CPU.
// `train` must be the dataset the set was built from.
at::Tensor CounterfactualInputs(const DatasetView& train, const CounterfactualSet& set, const at::Tensor& positions);

}  // namespace camu::data
