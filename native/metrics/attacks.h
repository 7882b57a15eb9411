// The logistic-regression membership attacks (the attacker is FitLogistic1D, logistic.h):
//   mia.loss    — the NeurIPS 2023 unlearning challenge's simple MIA: per-sample cross-entropy,
//                 D_f (member) vs T (non-member), class-balanced, stratified k-fold CV accuracy.
//   mia.entropy — prediction entropy, fitted on D_r (member) vs T (non-member), balanced, reported
//                 as the fraction of D_f the attacker calls member.
// and the SVC attack (the attacker is FitSvc, svm.h):
//   mia.efficacy — "MIA-efficacy" (Jia et al., "Model sparsity can simplify machine unlearning",
//                 NeurIPS 2023, after Song & Mittal's confidence attack): an RBF support vector
//                 classifier (C = 3, gamma = 1 / features = 1) on the true-class confidence p_y,
//                 fitted on D_r (member) vs T (non-member), balanced; reported as the fraction of
//                 D_f it calls non-member (higher = more forgotten).
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "core/job_context.h"

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

inline constexpr double kEfficacyMiaC = 3.0;
inline constexpr double kEfficacyMiaGamma = 1.0;  // scikit-learn's gamma='auto' on one feature

// The attack's rows, validated and subsampled on the calling thread, so bad inputs throw before a
// job starts. Fit rows: the members (a seeded subsample of D_r to min(|D_r|, |T|) rows) then the
// non-members (the same for T), each side in its drawn order.
struct EfficacyMiaData {
  std::vector<double> fitConfidence;
  std::vector<uint8_t> fitMember;
  std::vector<double> forgetConfidence;
  int64_t trainMembers = 0, trainNonMembers = 0;
  uint64_t seed = 0;
};

// Names arguments "mia.efficacy: retainProbabilities" etc. in errors; labels are class indices of
// the rows, one per row.
EfficacyMiaData PrepareEfficacyMia(const at::Tensor& retainProbabilities, const at::Tensor& retainLabels,
                                   const at::Tensor& testProbabilities, const at::Tensor& testLabels,
                                   const at::Tensor& forgetProbabilities, const at::Tensor& forgetLabels,
                                   uint64_t seed);

struct EfficacyMiaResult {
  double efficacy = 0;              // fraction of D_f rows predicted non-member
  int64_t predictedNonMembers = 0;
  int64_t forgetRows = 0;
  int64_t supportVectors = 0;
  int64_t iterations = 0;           // SMO iterations of the fit
  bool converged = true;            // false: the fit stopped at LIBSVM's iteration cap instead
};

// Fits and applies the attacker; every kSvcCheckpointInterval iterations of the fit it checks for
// an abort and reports progress (phase "svc fit", step = iterations, total 0 = not known in advance,
// value "violation").
EfficacyMiaResult RunEfficacyMia(const EfficacyMiaData& data, const JobContext& context);

// Entropy of each row of a float64 [rows, classes] probability matrix, natural log.
at::Tensor RowEntropy(const at::Tensor& probabilities);

}  // namespace camu::metrics
