// The autograd function of camu's 3x3 convolution paths (winograd_conv.cc, winograd_single_tile.cc):
// it saves the input and the weight, and the path's backward pass computes the gradients asked for.
#pragma once
#include <ATen/ATen.h>
#include <torch/autograd.h>

#include <utility>

namespace camu::kernels {

// Path::kForward(input, weight) -> output and Path::kBackward(gradOutput, input, weight,
// inputGrad, weightGrad) -> {gradInput, gradWeight} (undefined where not asked for); the tensors
// they get are contiguous.
template <typename Path>
class ConvFunction : public torch::autograd::Function<ConvFunction<Path>> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* context, const at::Tensor& input,
                            const at::Tensor& weight) {
    context->save_for_backward({input, weight});
    return Path::kForward(input, weight);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* context,
                                                 torch::autograd::variable_list gradOutput) {
    const torch::autograd::variable_list saved = context->get_saved_variables();
    auto [gradInput, gradWeight] = Path::kBackward(gradOutput[0].contiguous(), saved[0], saved[1],
                                                   context->needs_input_grad(0), context->needs_input_grad(1));
    return {gradInput, gradWeight};
  }
};

}  // namespace camu::kernels
