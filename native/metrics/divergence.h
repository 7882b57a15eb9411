// Distances between two models' softmax outputs on the same rows (same order):
//   distance.activation     mean over rows of || p - q ||_2
//   distance.jsDivergence   mean over rows of JS(p, q) = 0.5 KL(p || m) + 0.5 KL(q || m), m = (p + q) / 2,
//                           natural log (0 for identical rows, at most ln 2)
//   zrf                     1 - mean JS(unlearned, randomly initialised model), natural log
//   zrf.legacyBadTeacher    the formula of the Bad-Teacher code (see Zrf), labelled legacy
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <optional>

namespace camu::metrics {

struct OutputDistances {
  double activationDistance = 0;
  double jsDivergence = 0;
  int64_t rows = 0;
};

// `probabilities`: the evaluated model's; `retrainedProbabilities`: the model retrained on D_r.
OutputDistances DistanceToRetrained(const at::Tensor& probabilities, const at::Tensor& retrainedProbabilities);

struct ZrfResult {
  double zrf = 0;
  double jsDivergence = 0;  // mean JS the zrf is 1 minus
  // Empty where the legacy formula is not finite: a zero probability makes log(p) = -inf there,
  // which PyTorch turns into NaN or inf.
  std::optional<double> legacyBadTeacher;
  int64_t rows = 0;
};

ZrfResult Zrf(const at::Tensor& probabilities, const at::Tensor& randomProbabilities);

// Per-row JS divergence (natural log) of two float64 [rows, classes] probability matrices.
at::Tensor RowJsDivergence(const at::Tensor& p, const at::Tensor& q);

}  // namespace camu::metrics
