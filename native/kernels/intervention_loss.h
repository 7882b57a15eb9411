// CaMU's intervention loss terms as fused kernels (docs/algorithm.md §3):
//   step 1: Σ_r w_r · KL( softmax(teacher_r) ‖ softmax(student_r) )   over embedding rows
//   step 2: Σ_r w_r · CE( logits_r, label_r )                          over logit rows
// Both terms of a step go through ONE call: rows of the sample batch and of the forget/
// counterfactual batch are concatenated, carry their own weights (0.5 / 0.5 for step 1, 0.9/B_r
// and 0.01/B_f for step 2's two means), and `split` marks where the second block starts. The
// result is float32 [2]: the two terms' weighted losses (their sum is the step's loss). Each call
// computes both terms and their gradient in one pass (one kernel launch on CUDA).
#pragma once
#include <ATen/ATen.h>

namespace camu::kernels {

enum class LossImplementation { kFused, kReference };

// teacher, student: float32 [R, D] on one device; rowWeights: float32 [R]. Differentiable w.r.t.
// student only (the teacher is the frozen original model).
at::Tensor WeightedSoftmaxKL(const at::Tensor& teacher, const at::Tensor& student, const at::Tensor& rowWeights,
                             int64_t split, LossImplementation implementation = LossImplementation::kFused);

// logits: float32 [R, C]; labels: int64 [R] in [0, C); rowWeights: float32 [R].
// Differentiable w.r.t. logits only.
at::Tensor WeightedCrossEntropy(const at::Tensor& logits, const at::Tensor& labels, const at::Tensor& rowWeights,
                                int64_t split, LossImplementation implementation = LossImplementation::kFused);

// Row weights for two concatenated blocks of rows: `first` rows weighted a, then `second` rows b.
at::Tensor BlockWeights(int64_t first, double a, int64_t second, double b, const at::Device& device);

}  // namespace camu::kernels
