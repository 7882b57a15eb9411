// Distillation KL (distillation.h).
#include "unlearn/distillation.h"

#include <torch/torch.h>


namespace camu::unlearn {

at::Tensor DistillationKLPerRow(const at::Tensor& teacherLogits, const at::Tensor& studentLogits, double temperature) {
  const at::Tensor logP = at::log_softmax(teacherLogits / temperature, 1);
  const at::Tensor logQ = at::log_softmax(studentLogits / temperature, 1);
  // Σ_c p_c (log p_c − log q_c); p = exp(log p) keeps rows with p_c = 0 exact (0·(−inf) never occurs).
  return (logP.exp() * (logP - logQ)).sum(1) * (temperature * temperature);
}

at::Tensor DistillationKL(const at::Tensor& teacherLogits, const at::Tensor& studentLogits, double temperature) {
  if (studentLogits.size(0) == 0) return at::zeros({}, studentLogits.options());
  return DistillationKLPerRow(teacherLogits, studentLogits, temperature).mean();
}

}  // namespace camu::unlearn
