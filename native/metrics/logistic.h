// Logistic regression on one feature, written out (no solver library): the attacker of the
// loss and entropy membership attacks.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace camu::metrics {

// Predicts "member" when weight * (x - mean) / scale + bias > 0.
struct LogisticModel1D {
  double mean = 0;
  double scale = 1;  // the training feature's population standard deviation (1 when it is 0)
  double weight = 0;
  double bias = 0;
  int iterations = 0;  // Newton steps taken
  bool Member(double x) const { return weight * (x - mean) / scale + bias > 0; }
};

// Fits on the standardised feature, minimising 0.5 * weight^2 + c * sum of log-losses with the
// bias unpenalised: scikit-learn's LogisticRegression() objective (L2, C = 1), so separable data
// still has a finite optimum. Newton's method with a backtracking line search, run until the
// gradient vanishes; deterministic. `member` holds 0 / 1 per row.
LogisticModel1D FitLogistic1D(const std::vector<double>& x, const std::vector<uint8_t>& member, double c = 1.0);

// The values of a float64 [rows] tensor at `rows` (an int64 index tensor, in its order).
std::vector<double> Gather(const at::Tensor& values, const at::Tensor& rows);

// The first `count` entries of a seeded permutation of [0, n): a uniform subsample in random order.
at::Tensor SeededSubsample(int64_t n, int64_t count, at::Generator& generator);

}  // namespace camu::metrics
