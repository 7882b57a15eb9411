#include "kernels/linear.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdint>

#include "kernels/avx512.h"

namespace camu::kernels {

namespace {

#ifdef CAMU_HAVE_AVX512_KERNELS

// All three products are C[i, j] = Σ_p A(i, p) · B[p, j] with B's rows contiguous, so one
// micro-kernel serves them: an MR x (16·NV) tile of C in registers, per p one broadcast of A per
// row and NV vector loads of B (no packing: at these sizes the panels stay in L1/L2). A(i, p) is
// a[i·as + p] (kRowsContiguous) or a[i + p·as]. Columns past `cols` are masked off.

CAMU_AVX512 inline __mmask16 ColumnMask(int64_t remaining) {
  if (remaining >= 16) return static_cast<__mmask16>(0xFFFF);
  if (remaining <= 0) return 0;
  return static_cast<__mmask16>((1u << remaining) - 1);
}

template <int MR, int NV, bool kRowsContiguous>
CAMU_AVX512 void Tile(int64_t depth, const float* a, int64_t as, const float* b, int64_t ldb, float* c, int64_t ldc,
                      int64_t cols) {
  __mmask16 mask[NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) mask[v] = ColumnMask(cols - 16 * v);
  __m512 acc[MR][NV];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();
  for (int64_t p = 0; p < depth; ++p) {
    __m512 row[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) row[v] = _mm512_maskz_loadu_ps(mask[v], b + p * ldb + 16 * v);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const __m512 scale = _mm512_set1_ps(kRowsContiguous ? a[i * as + p] : a[i + p * as]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(scale, row[v], acc[i][v]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) _mm512_mask_storeu_ps(c + i * ldc + 16 * v, mask[v], acc[i][v]);
}

// The tile for the last `rows` < MR rows of C (a register block sized to them).
template <int NV, bool kRowsContiguous, int R>
void TileRows(int64_t rows, int64_t depth, const float* a, int64_t as, const float* b, int64_t ldb, float* c,
              int64_t ldc, int64_t cols) {
  if constexpr (R >= 1) {
    if (rows == R) return Tile<R, NV, kRowsContiguous>(depth, a, as, b, ldb, c, ldc, cols);
    TileRows<NV, kRowsContiguous, R - 1>(rows, depth, a, as, b, ldb, c, ldc, cols);
  }
}

// C [rows x cols] = A (rows x depth) · B [depth x cols], ldb / ldc the row strides of B and C.
// Tiles go column block by column block (a block of B is then read from cache by every row
// block) and are split across libtorch's intra-op threads; each tile is summed by one thread in
// one order, so the result does not depend on the thread count.
template <int MR, int NV, bool kRowsContiguous>
void Gemm(int64_t rows, int64_t cols, int64_t depth, const float* a, int64_t as, const float* b, int64_t ldb, float* c,
          int64_t ldc) {
  constexpr int64_t kTileCols = 16 * NV;
  const int64_t rowBlocks = (rows + MR - 1) / MR, colBlocks = (cols + kTileCols - 1) / kTileCols;
  // About a million multiply-adds per parallel task, so the fork costs little.
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 20) / (MR * kTileCols * std::max<int64_t>(depth, 1)));
  at::parallel_for(0, rowBlocks * colBlocks, grain, [&](int64_t begin, int64_t end) {
    for (int64_t tile = begin; tile < end; ++tile) {
      const int64_t i0 = (tile % rowBlocks) * MR, j0 = (tile / rowBlocks) * kTileCols;
      const float* aTile = kRowsContiguous ? a + i0 * as : a + i0;
      const int64_t tileRows = std::min<int64_t>(MR, rows - i0);
      if (tileRows == MR) {
        Tile<MR, NV, kRowsContiguous>(depth, aTile, as, b + j0, ldb, c + i0 * ldc + j0, ldc, cols - j0);
      } else {
        TileRows<NV, kRowsContiguous, MR - 1>(tileRows, depth, aTile, as, b + j0, ldb, c + i0 * ldc + j0, ldc,
                                               cols - j0);
      }
    }
  });
}

// y [M, N] = x [M, K] · wᵀ + bias, computed as yᵀ = w · xᵀ: w's rows are then the broadcast
// operand and xᵀ (4x smaller than wᵀ for fc1 at batch 64) the one transposed copy.
at::Tensor Forward(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias) {
  const int64_t m = input.size(0), k = input.size(1), n = weight.size(0);
  const at::Tensor inputT = input.t().contiguous();
  const at::Tensor weightC = weight.contiguous();
  at::Tensor outputT = at::empty({n, m}, input.options());
  Gemm<6, 4, true>(n, m, k, weightC.data_ptr<float>(), k, inputT.data_ptr<float>(), m, outputT.data_ptr<float>(), m);
  at::Tensor output = at::empty({m, n}, input.options());
  at::add_out(output, outputT.t(), bias);
  return output;
}

// d input [M, K] = dy [M, N] · w [N, K].
at::Tensor InputGradient(const at::Tensor& gradOutput, const at::Tensor& weight) {
  const int64_t m = gradOutput.size(0), n = gradOutput.size(1), k = weight.size(1);
  const at::Tensor weightC = weight.contiguous();
  at::Tensor gradInput = at::empty({m, k}, gradOutput.options());
  Gemm<8, 3, true>(m, k, n, gradOutput.data_ptr<float>(), n, weightC.data_ptr<float>(), k, gradInput.data_ptr<float>(),
                   k);
  return gradInput;
}

// d w [N, K] = dyᵀ [N, M] · x [M, K]: A(i, p) = dy[p, i], read down dy's columns.
at::Tensor WeightGradient(const at::Tensor& gradOutput, const at::Tensor& input) {
  const int64_t m = gradOutput.size(0), n = gradOutput.size(1), k = input.size(1);
  at::Tensor gradWeight = at::empty({n, k}, gradOutput.options());
  Gemm<8, 3, false>(n, k, m, gradOutput.data_ptr<float>(), n, input.data_ptr<float>(), k, gradWeight.data_ptr<float>(),
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
