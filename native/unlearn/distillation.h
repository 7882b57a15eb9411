// Pieces shared by the teacher-student baselines (scrub.cc, bad_teacher.cc, boundary_shrink.cc):
// Hinton-style distillation KL with a temperature, and the SGD-or-Adam choice the baselines offer.
//
// Merge note: MethodOptimizer repeats the optimizer choice of finetune.cc, which
// native/unlearn/building_blocks.{h,cc} takes over on main; at the merge it should become theirs.
#pragma once
#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "unlearn/method.h"

namespace torch::optim {
class SGD;
}

namespace camu::train {
class Adam;
}

namespace camu::unlearn {

// Per row: KL(softmax(teacher/T) ‖ softmax(student/T)) · T², float [N]. The T² keeps the
// gradient's scale independent of T (Hinton et al., "Distilling the Knowledge in a Neural
// Network", 2015), as SCRUB and Bad Teaching both scale it. Gradients flow into `student` only
// when `teacher` is detached (the callers' teachers are frozen).
at::Tensor DistillationKLPerRow(const at::Tensor& teacherLogits, const at::Tensor& studentLogits, double temperature);

// The mean over rows of DistillationKLPerRow (KLDivLoss's 'batchmean'); 0 for an empty batch.
at::Tensor DistillationKL(const at::Tensor& teacherLogits, const at::Tensor& studentLogits, double temperature);

// The optimizer options every baseline reads, with the method's defaults.
struct OptimizerOptions {
  std::string optimizer = "sgd";  // "sgd" (with momentum) or "adam"
  double learningRate = 0.01;
  double momentum = 0.9;          // SGD only
  double weightDecay = 5e-4;
  bool fusedAdam = true;          // Adam: camu's one-pass update where it applies (train/adam.h)

  // Reads optimizer, learningRate, momentum, weightDecay, fusedAdam over these defaults.
  void Read(const MethodOptions& o);
};

// SGD with momentum (torch::optim::SGD) or Adam (train::Adam) over `parameters`.
class MethodOptimizer {
 public:
  MethodOptimizer(const std::vector<at::Tensor>& parameters, const OptimizerOptions& options);
  ~MethodOptimizer();
  MethodOptimizer(const MethodOptimizer&) = delete;
  MethodOptimizer& operator=(const MethodOptimizer&) = delete;

  void ZeroGrad();
  void Step();

 private:
  std::unique_ptr<train::Adam> adam_;
  std::unique_ptr<torch::optim::SGD> sgd_;
};

}  // namespace camu::unlearn
