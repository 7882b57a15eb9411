#include "kernels/linear.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdint>

#include "kernels/avx512.h"
#include "kernels/gemm.h"

namespace camu::kernels {

namespace {

#ifdef CAMU_HAVE_AVX512_KERNELS

// y [M, N] = x [M, K] · wᵀ + bias, computed as yᵀ = w · xᵀ: w's rows are then the broadcast
// operand and xᵀ (4x smaller than wᵀ for fc1 at batch 64) the one transposed copy.
at::Tensor Forward(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias) {
  const int64_t m = input.size(0), k = input.size(1), n = weight.size(0);
  const at::Tensor inputT = input.t().contiguous();
  const at::Tensor weightC = weight.contiguous();
  at::Tensor outputT = at::empty({n, m}, input.options());
  gemm::Gemm<6, 4, true>(n, m, k, weightC.data_ptr<float>(), k, inputT.data_ptr<float>(), m, outputT.data_ptr<float>(), m);
  at::Tensor output = at::empty({m, n}, input.options());
  at::add_out(output, outputT.t(), bias);
  return output;
}

// d input [M, K] = dy [M, N] · w [N, K].
at::Tensor InputGradient(const at::Tensor& gradOutput, const at::Tensor& weight) {
  const int64_t m = gradOutput.size(0), n = gradOutput.size(1), k = weight.size(1);
  const at::Tensor weightC = weight.contiguous();
  at::Tensor gradInput = at::empty({m, k}, gradOutput.options());
  gemm::Gemm<8, 3, true>(m, k, n, gradOutput.data_ptr<float>(), n, weightC.data_ptr<float>(), k, gradInput.data_ptr<float>(),
                   k);
  return gradInput;
}

// d w [N, K] = dyᵀ [N, M] · x [M, K]: A(i, p) = dy[p, i], read down dy's columns.
at::Tensor WeightGradient(const at::Tensor& gradOutput, const at::Tensor& input) {
  const int64_t m = gradOutput.size(0), n = gradOutput.size(1), k = input.size(1);
  at::Tensor gradWeight = at::empty({n, k}, gradOutput.options());
  gemm::Gemm<8, 3, false>(n, k, m, gradOutput.data_ptr<float>(), n, input.data_ptr<float>(), k, gradWeight.data_ptr<float>(),
                    k);
  return gradWeight;
}

class LinearFunction : public torch::autograd::Function<LinearFunction> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* context, const at::Tensor& input,
                            const at::Tensor& weight, const at::Tensor& bias) {
    const at::Tensor inputC = input.contiguous();
    context->save_for_backward({inputC, weight});
    return Forward(inputC, weight, bias);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* context,
                                                 torch::autograd::variable_list gradOutputs) {
    const torch::autograd::variable_list saved = context->get_saved_variables();
    const at::Tensor gradOutput = gradOutputs[0].contiguous();
    at::Tensor gradInput, gradWeight, gradBias;
    if (context->needs_input_grad(0)) gradInput = InputGradient(gradOutput, saved[1]);
    if (context->needs_input_grad(1)) gradWeight = WeightGradient(gradOutput, saved[0]);
    if (context->needs_input_grad(2)) gradBias = gradOutput.sum(0);
    return {gradInput, gradWeight, gradBias};
  }
};

#endif  // CAMU_HAVE_AVX512_KERNELS

}  // namespace

at::Tensor Linear(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                  LinearImplementation implementation) {
#ifdef CAMU_HAVE_AVX512_KERNELS
  const auto cpuFloat = [](const at::Tensor& t) { return t.device().is_cpu() && t.scalar_type() == at::kFloat; };
  if (implementation == LinearImplementation::kFused && HasAvx512() && input.dim() == 2 && weight.dim() == 2 &&
      input.size(1) == weight.size(1) && input.numel() > 0 && weight.numel() > 0 && cpuFloat(input) &&
      cpuFloat(weight) && (!bias.defined() || (cpuFloat(bias) && bias.dim() == 1 && bias.size(0) == weight.size(0)))) {
    // Function::apply takes no undefined tensors: a bias-free layer adds zeros (no gradient is
    // asked of them; camu's models all have biases).
    return LinearFunction::apply(input, weight, bias.defined() ? bias : at::zeros({weight.size(0)}, weight.options()));
  }
#endif
  return at::linear(input, weight, bias.defined() ? c10::optional<at::Tensor>(bias) : c10::nullopt);
}

}  // namespace camu::kernels
