// Distillation KL and the optimizer choice of the baselines (distillation.h).
#include "unlearn/distillation.h"

#include <torch/torch.h>

#include "train/adam.h"

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

void OptimizerOptions::Read(const MethodOptions& o) {
  optimizer = o.OneOf("optimizer", optimizer, {"sgd", "adam"});
  learningRate = o.Number("learningRate", learningRate);
  momentum = o.Number("momentum", momentum);
  weightDecay = o.Number("weightDecay", weightDecay);
  fusedAdam = o.Boolean("fusedAdam", fusedAdam);
}

MethodOptimizer::MethodOptimizer(const std::vector<at::Tensor>& parameters, const OptimizerOptions& options) {
  if (options.optimizer == "adam") {
    adam_ = std::make_unique<train::Adam>(parameters, options.learningRate, options.weightDecay, options.fusedAdam);
  } else {
    sgd_ = std::make_unique<torch::optim::SGD>(
        parameters,
        torch::optim::SGDOptions(options.learningRate).momentum(options.momentum).weight_decay(options.weightDecay));
  }
}

MethodOptimizer::~MethodOptimizer() = default;

void MethodOptimizer::ZeroGrad() {
  if (adam_) adam_->ZeroGrad();
  else sgd_->zero_grad();
}

void MethodOptimizer::Step() {
  if (adam_) adam_->Step();
  else sgd_->step();
}

}  // namespace camu::unlearn
