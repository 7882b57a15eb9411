// The logistic-regression membership attacks (the attacker is FitLogistic1D, logistic.h):
//   mia.loss    — the NeurIPS 2023 unlearning challenge's simple MIA: per-sample cross-entropy,
//                 D_f (member) vs T (non-member), class-balanced, stratified k-fold CV accuracy.
//   mia.entropy — prediction entropy, fitted on D_r (member) vs T (non-member), balanced, reported
//                 as the fraction of D_f the attacker calls member.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace camu::metrics {

struct LossMiaResult {
  double accuracy = 0;                // mean of the fold accuracies
  std::vector<double> foldAccuracies;  // held-out accuracy of each fold, fold 0 first
  int64_t perSide = 0;                 // rows used from each side: min(|forget|, |test|)
  int64_t folds = 0;
  int64_t forgetRows = 0;              // rows given
  int64_t testRows = 0;
};

// Balanced: the larger side is subsampled to the smaller side's size, both sides drawn in a
// seeded random order; row j of a side goes to fold j % folds (stratified folds). Each fold's
// attacker is fitted on the other folds (standardisation included). Needs folds >= 2 and at
// least `folds` rows on each side.
LossMiaResult MiaLoss(const at::Tensor& forgetLosses, const at::Tensor& testLosses, int64_t folds, uint64_t seed);

struct EntropyMiaResult {
  double memberFraction = 0;  // fraction of D_f rows predicted member
  int64_t predictedMembers = 0;
  int64_t trainMembers = 0;     // retain rows fitted on (= trainNonMembers: balanced)
  int64_t trainNonMembers = 0;  // test rows fitted on
  int64_t forgetRows = 0;
};

// Entropy -sum p ln p of each softmax row (0 ln 0 = 0). The larger of retain / test is subsampled
// (seeded) to the smaller one's size.
EntropyMiaResult MiaEntropy(const at::Tensor& retainProbabilities, const at::Tensor& testProbabilities,
                            const at::Tensor& forgetProbabilities, uint64_t seed);

// Entropy of each row of a float64 [rows, classes] probability matrix, natural log.
at::Tensor RowEntropy(const at::Tensor& probabilities);

}  // namespace camu::metrics
