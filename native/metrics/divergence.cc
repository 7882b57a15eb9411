#include "metrics/divergence.h"

#include <cmath>

#include "core/errors.h"
#include "metrics/inputs.h"

namespace camu::metrics {

namespace {

void CheckPair(const at::Tensor& p, const at::Tensor& q, const std::string& pName, const std::string& qName) {
  if (!p.sizes().equals(q.sizes())) {
    ThrowRangeError(pName + " and " + qName + " must have the same shape (the same rows of two models), got " +
                    DescribeTensor(p) + " and " + DescribeTensor(q));
  }
  CheckMinRows(p, pName, 1, "to average over");
}

}  // namespace

at::Tensor RowJsDivergence(const at::Tensor& p, const at::Tensor& q) {
  at::Tensor m = 0.5 * (p + q);
  // xlogy(0, .) = 0: a class one side gives no mass adds nothing to that side's KL.
  at::Tensor klPm = (at::xlogy(p, p) - at::xlogy(p, m)).sum(1);
  at::Tensor klQm = (at::xlogy(q, q) - at::xlogy(q, m)).sum(1);
  return (0.5 * (klPm + klQm)).clamp_min(0);  // non-negative; rounding can leave -1e-17
}

OutputDistances DistanceToRetrained(const at::Tensor& probabilities, const at::Tensor& retrainedProbabilities) {
  at::Tensor p = ProbabilityRows(probabilities, "distance: probabilities");
  at::Tensor q = ProbabilityRows(retrainedProbabilities, "distance: retrainedProbabilities");
  CheckPair(p, q, "distance: probabilities", "distance: retrainedProbabilities");
  OutputDistances result;
  result.rows = p.size(0);
  result.activationDistance = (p - q).pow(2).sum(1).sqrt().mean().item<double>();
  result.jsDivergence = RowJsDivergence(p, q).mean().item<double>();
  return result;
}

ZrfResult Zrf(const at::Tensor& probabilities, const at::Tensor& randomProbabilities) {
  at::Tensor p = ProbabilityRows(probabilities, "zrf: probabilities");
  at::Tensor q = ProbabilityRows(randomProbabilities, "zrf: randomProbabilities");
  CheckPair(p, q, "zrf: probabilities", "zrf: randomProbabilities");
  ZrfResult result;
  result.rows = p.size(0);
  result.jsDivergence = RowJsDivergence(p, q).mean().item<double>();
  result.zrf = 1.0 - result.jsDivergence;

  // Legacy: metrics.py of github.com/vikram2000b/bad-teaching-unlearning (Chundawat et al., AAAI
  // 2023, "Can bad teaching induce forgetting?"), copied by many unlearning repositories:
  //     JSDiv(p, q) = 0.5 * F.kl_div(torch.log(p), m) + 0.5 * F.kl_div(torch.log(q), m),  m = (p + q) / 2
  //     UnLearningScore = 1 - JSDiv(softmax of the model, softmax of the random model)
  // F.kl_div(input, target) with its default reduction 'mean' is the mean over ALL rows x classes
  // elements of target * (log target - input), i.e. sum_rows KL(m || p) / (rows * classes): the KL
  // direction is reversed from the JS definition and the sum is divided by the class count too
  // (PyTorch's docs: 'mean' divides by the number of elements; 'batchmean' would divide by rows
  // only). Evaluated with the same ATen op, on the caller's dtype, as the original does.
  at::Tensor pIn = probabilities.to(at::kCPU).contiguous();
  at::Tensor qIn = randomProbabilities.to(at::kCPU, pIn.scalar_type()).contiguous();
  at::Tensor m = (pIn + qIn) / 2;
  double legacy = (1 - (0.5 * at::kl_div(at::log(pIn), m, at::Reduction::Mean) +
                        0.5 * at::kl_div(at::log(qIn), m, at::Reduction::Mean)))
                      .item<double>();
  if (std::isfinite(legacy)) result.legacyBadTeacher = legacy;
  return result;
}

}  // namespace camu::metrics
