// Adam with L2 weight decay: the update of torch.optim.Adam (amsgrad off, PyTorch 1.13's
// sequence: g += wd·p; m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²; p -= lr/bc1 · m / (√v/√bc2 + ε)),
// applied to each parameter in ONE pass instead of libtorch's eight elementwise ops. The CaMU
// step runs two of these per step; libtorch's Adam was ~10% of the step on CPU. On CUDA the same
// update goes through libtorch's multi-tensor kernel (at::_fused_adam_, torch.optim.Adam's
// fused=True): one launch for all parameters instead of ~9 per parameter, where a batch-32 step is
// launch-bound. For contiguous float32 parameters on CPU or CUDA (Supports); callers use
// torch::optim::Adam for the others.
// Like torch.optim.Adam, parameters without a gradient are skipped, and each parameter counts
// its own steps (its bias correction starts with its first update).
#pragma once
#include <ATen/ATen.h>

#include <memory>
#include <vector>

namespace torch::optim {
class Adam;
}

namespace camu::train {

class FusedAdam {
 public:
  FusedAdam(std::vector<at::Tensor> parameters, double learningRate, double weightDecay, double beta1 = 0.9,
            double beta2 = 0.999, double eps = 1e-8);

  static bool Supports(const at::Tensor& parameter);

  void Step();
  // The moment estimates (for the cross-rank consistency check of distributed training).
  std::vector<at::Tensor> State() const;

 private:
  std::vector<at::Tensor> parameters_;
  std::vector<at::Tensor> expAvg_, expAvgSq_;
  double learningRate_, weightDecay_, beta1_, beta2_, eps_;
  std::vector<int64_t> steps_;
  std::vector<at::Tensor> deviceSteps_;  // CUDA: each parameter's step count, read by the kernel
};

// The Adam the trainer and the CaMU engine step: FusedAdam where it applies and `fused` is on, else
// torch::optim::Adam (the same formula; the reference the fused one is tested against).
class Adam {
 public:
  Adam(const std::vector<at::Tensor>& parameters, double learningRate, double weightDecay, bool fused);
  ~Adam();
  Adam(const Adam&) = delete;
  Adam& operator=(const Adam&) = delete;

  // Zeroes the gradients in place, keeping them defined: optimizer.zero_grad() of PyTorch 1.13,
  // which the PyTorch original ran on (2.x's default sets them to None, and Adam then skips a
  // parameter the next loss does not reach). One multi-tensor op: on CUDA one launch.
  void ZeroGrad();
  void Step();
  // Every state tensor (moments, step counts), in a fixed order: distributed training checks that
  // ranks hold the same optimiser state.
  std::vector<at::Tensor> State() const;

 private:
  std::vector<at::Tensor> parameters_;
  std::unique_ptr<FusedAdam> fused_;
  std::unique_ptr<torch::optim::Adam> plain_;
};

}  // namespace camu::train
