// A C-support vector classifier with an RBF kernel, written out (no solver library): the attacker
// of the SVC membership attack (mia.efficacy, attacks.h). It solves the dual the way LIBSVM does
// (Chang & Lin, "LIBSVM: a library for support vector machines", §4; Fan, Chen & Lin, JMLR 2005):
// SMO on two variables at a time, the working set chosen with second-order information, stopped
// when the maximal KKT violation is below `tolerance`, so that it decides like scikit-learn's
// SVC(kernel='rbf', C, gamma, tol) on the same rows (which also stores kernel values as float).
// No shrinking: it changes only the order of work, not what the solution must satisfy.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace camu::metrics {

struct SvcOptions {
  double c = 1.0;          // box constraint
  double gamma = 1.0;      // K(a, b) = exp(-gamma * |a - b|^2)
  double tolerance = 1e-3; // stopping tolerance on the maximal violating pair (scikit-learn's tol)
  int64_t maxIterations = 0;  // 0: max(10^7, 100 * rows), LIBSVM's cap
  // Called every kSvcCheckpointInterval iterations (a fit of 20000 rows takes seconds) with the
  // iterations so far and the current maximal violation (the fit stops below `tolerance`); it may
  // throw to stop the fit (an aborted job).
  std::function<void(int64_t iterations, double violation)> checkpoint;
};

inline constexpr int64_t kSvcCheckpointInterval = 1024;

struct SvcModel {
  int64_t features = 0;
  double gamma = 1.0;
  double rho = 0;                       // decision(x) = sum_i coef_i K(sv_i, x) - rho
  std::vector<double> supportVectors;   // [count, features], row-major
  std::vector<double> coefficients;     // alpha_i * y_i of each support vector
  int64_t iterations = 0;
  bool converged = true;                // false: stopped at maxIterations

  double Decision(const double* x) const;
  // The positive class (label 1 in the fit) when the decision value is above 0, as LIBSVM.
  bool Positive(const double* x) const { return Decision(x) > 0; }
  int64_t SupportVectorCount() const { return static_cast<int64_t>(coefficients.size()); }
};

// Fits on `rows` rows of `features` doubles (row-major `x`); `positive` holds 1 for the positive
// class and 0 for the other, and both classes must occur. Deterministic: LIBSVM breaks ties in
// the working-set choice towards the later row, and so does this, so the row order matters as it
// does there (scikit-learn passes rows in the order given).
SvcModel FitSvc(const std::vector<double>& x, int64_t features, const std::vector<uint8_t>& positive,
                const SvcOptions& options);

}  // namespace camu::metrics
