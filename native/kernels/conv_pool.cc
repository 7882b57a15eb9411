#include "kernels/conv_pool.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "kernels/avx512.h"
#include "kernels/max_pool_relu.h"

namespace camu::kernels {

namespace {

constexpr int64_t kPadding = 2;  // a 5x5 kernel with "same" padding
constexpr int kKernelSize = 5, kTaps = kKernelSize * kKernelSize;
constexpr int64_t kLanes = 16;  // output channels per AVX-512 register

#ifdef CAMU_HAVE_AVX512_KERNELS

// Winner code of a window, as in the pool kernel: 0..3 row-major, kBlocked where relu zeroes the output.
constexpr int kBlocked = 255;

// The masked forms of the byte <-> int32 conversions, with every lane on: GCC 12 warns about the
// unmasked ones' undefined pass-through operand.
constexpr __mmask16 kAllLanes = 0xFFFF;

// One call's sizes: samples, output channels, image, pooled output, padded image width.
struct Shape {
  int64_t n, channels, h, w, oh, ow, wp;
};

// max_pool2d's rule for a later window value: it wins only if strictly greater, or NaN.
CAMU_AVX512 inline void Consider(__m512 value, int code, __m512& best, __m512i& winner) {
  const __mmask16 take = _mm512_cmp_ps_mask(value, best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(value, value, _CMP_UNORD_Q);
  best = _mm512_mask_mov_ps(best, take, value);
  winner = _mm512_mask_mov_epi32(winner, take, _mm512_set1_epi32(code));
}

// One 2x2 window (a b / d e) of 16 channels: the maximum, then relu (0 and kBlocked where the
// maximum is <= 0: relu's backward passes no gradient there). `code` may be null.
CAMU_AVX512 inline void PoolWindow(__m512 a, __m512 b, __m512 d, __m512 e, float* out, uint8_t* code) {
  __m512 best = a;
  __m512i winner = _mm512_setzero_si512();
  Consider(b, 1, best, winner);
  Consider(d, 2, best, winner);
  Consider(e, 3, best, winner);
  const __mmask16 blocked = _mm512_cmp_ps_mask(best, _mm512_setzero_ps(), _CMP_LE_OQ);
  _mm512_storeu_ps(out, _mm512_mask_mov_ps(best, blocked, _mm512_setzero_ps()));
  if (code != nullptr) {
    winner = _mm512_mask_mov_epi32(winner, blocked, _mm512_set1_epi32(kBlocked));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(code), _mm512_maskz_cvtepi32_epi8(kAllLanes, winner));
  }
}

// P pooled outputs of pooled row i from pooled column j0, one group of 16 channels: the 2 x 2P
// convolution outputs under them are summed in registers (28 at P = 7), each tap's 16 weights
// loaded once per block and each input value broadcast. `image` is the padded sample, `taps`
// the group's [25][16] weights.
template <int P>
CAMU_AVX512 void ForwardBlock(const float* image, int64_t wp, const float* taps, const float* bias, int64_t i,
                              int64_t j0, float* out, uint8_t* code, int64_t channels) {
  __m512 acc[2][2 * P];
  const __m512 b = _mm512_loadu_ps(bias);
#pragma GCC unroll 2
  for (int r = 0; r < 2; ++r)
#pragma GCC unroll 14
    for (int c = 0; c < 2 * P; ++c) acc[r][c] = b;
  const float* top = image + 2 * i * wp + 2 * j0;
  for (int kh = 0; kh < kKernelSize; ++kh) {
    for (int kw = 0; kw < kKernelSize; ++kw) {
      const __m512 w = _mm512_loadu_ps(taps + (kh * kKernelSize + kw) * kLanes);
#pragma GCC unroll 2
      for (int r = 0; r < 2; ++r) {
        const float* x = top + (r + kh) * wp + kw;
#pragma GCC unroll 14
        for (int c = 0; c < 2 * P; ++c) acc[r][c] = _mm512_fmadd_ps(w, _mm512_set1_ps(x[c]), acc[r][c]);
      }
    }
  }
#pragma GCC unroll 7
  for (int p = 0; p < P; ++p) {
    PoolWindow(acc[0][2 * p], acc[0][2 * p + 1], acc[1][2 * p], acc[1][2 * p + 1], out + p * channels,
               code != nullptr ? code + p * channels : nullptr);
  }
}

// Pooled row i of one sample and channel group, in blocks of 7 pooled columns and one remainder block.
CAMU_AVX512 void ForwardRow(const float* image, int64_t wp, const float* taps, const float* bias, int64_t i,
                            int64_t ow, float* out, uint8_t* code, int64_t channels) {
  constexpr int kBlock = 7;
  int64_t j = 0;
  const auto codeAt = [&](int64_t column) { return code != nullptr ? code + column * channels : nullptr; };
  for (; j + kBlock <= ow; j += kBlock) {
    ForwardBlock<kBlock>(image, wp, taps, bias, i, j, out + j * channels, codeAt(j), channels);
  }
  switch (ow - j) {
    case 6: return ForwardBlock<6>(image, wp, taps, bias, i, j, out + j * channels, codeAt(j), channels);
    case 5: return ForwardBlock<5>(image, wp, taps, bias, i, j, out + j * channels, codeAt(j), channels);
    case 4: return ForwardBlock<4>(image, wp, taps, bias, i, j, out + j * channels, codeAt(j), channels);
    case 3: return ForwardBlock<3>(image, wp, taps, bias, i, j, out + j * channels, codeAt(j), channels);
    case 2: return ForwardBlock<2>(image, wp, taps, bias, i, j, out + j * channels, codeAt(j), channels);
    case 1: return ForwardBlock<1>(image, wp, taps, bias, i, j, out + j * channels, codeAt(j), channels);
    default: return;
  }
}

// One sample's weight and bias gradients for one group of 16 channels, into partial [26][16]
// (25 taps, then the bias). Each window's gradient goes to its winner's position: one masked
// copy of it per position, so every tap takes four multiply-adds per window.
CAMU_AVX512 void BackwardSample(const float* image, int64_t wp, const float* grad, const uint8_t* code, int64_t oh,
                                int64_t ow, int64_t channels, float* partial) {
  __m512 acc[kTaps];
#pragma GCC unroll 25
  for (int t = 0; t < kTaps; ++t) acc[t] = _mm512_setzero_ps();
  __m512 biasAcc = _mm512_setzero_ps();
  for (int64_t i = 0; i < oh; ++i) {
    for (int64_t j = 0; j < ow; ++j) {
      const int64_t index = (i * ow + j) * channels;
      const __m512 g = _mm512_loadu_ps(grad + index);
      const __m512i k = _mm512_maskz_cvtepu8_epi32(kAllLanes, _mm_loadu_si128(reinterpret_cast<const __m128i*>(code + index)));
      const __m512 g0 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(k, _mm512_set1_epi32(0)), g);
      const __m512 g1 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(k, _mm512_set1_epi32(1)), g);
      const __m512 g2 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(k, _mm512_set1_epi32(2)), g);
      const __m512 g3 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(k, _mm512_set1_epi32(3)), g);
      biasAcc = _mm512_mask_add_ps(biasAcc, _mm512_cmpneq_epi32_mask(k, _mm512_set1_epi32(kBlocked)), biasAcc, g);
      const float* window = image + 2 * i * wp + 2 * j;
#pragma GCC unroll 5
      for (int kh = 0; kh < kKernelSize; ++kh) {
#pragma GCC unroll 5
        for (int kw = 0; kw < kKernelSize; ++kw) {
          const float* x = window + kh * wp + kw;
          __m512& a = acc[kh * kKernelSize + kw];
          a = _mm512_fmadd_ps(g0, _mm512_set1_ps(x[0]), a);
          a = _mm512_fmadd_ps(g1, _mm512_set1_ps(x[1]), a);
          a = _mm512_fmadd_ps(g2, _mm512_set1_ps(x[wp]), a);
          a = _mm512_fmadd_ps(g3, _mm512_set1_ps(x[wp + 1]), a);
        }
      }
    }
  }
#pragma GCC unroll 25
  for (int t = 0; t < kTaps; ++t) _mm512_storeu_ps(partial + t * kLanes, acc[t]);
  _mm512_storeu_ps(partial + kTaps * kLanes, biasAcc);
}

// [N, 1, H, W] -> [N, H + 4, W + 4] with zero borders, so no tap needs a bounds check.
at::Tensor PadImages(const at::Tensor& input) {
  return at::constant_pad_nd(input.reshape({input.size(0), input.size(2), input.size(3)}),
                             {kPadding, kPadding, kPadding, kPadding})
      .contiguous();
}

Shape ShapeOf(const at::Tensor& padded, int64_t channels) {
  const int64_t h = padded.size(1) - 2 * kPadding, w = padded.size(2) - 2 * kPadding;
  return {padded.size(0), channels, h, w, h / 2, w / 2, padded.size(2)};
}

// The pooled output (channels-last) and, when `codes` is given, the winner codes [N, H/2, W/2, C].
at::Tensor Forward(const at::Tensor& padded, const at::Tensor& weight, const at::Tensor& bias, at::Tensor* codes) {
  const Shape s = ShapeOf(padded, weight.size(0));
  const int64_t groups = s.channels / kLanes;
  // [C, 1, 5, 5] -> [groups][25 taps][16 channels]: one tap's weights for a group in one register.
  const at::Tensor taps = weight.reshape({groups, kLanes, kTaps}).transpose(1, 2).contiguous();
  const at::Tensor biasC = bias.contiguous();
  at::Tensor output = at::empty({s.n, s.channels, s.oh, s.ow}, padded.options().memory_format(at::MemoryFormat::ChannelsLast));
  uint8_t* codeData = nullptr;
  if (codes != nullptr) {
    *codes = at::empty({s.n, s.oh, s.ow, s.channels}, padded.options().dtype(at::kByte));
    codeData = codes->data_ptr<uint8_t>();
  }
  const float* images = padded.data_ptr<float>();
  const float* tapData = taps.data_ptr<float>();
  const float* biasData = biasC.data_ptr<float>();
  float* out = output.data_ptr<float>();
  const int64_t imageSize = padded.size(1) * s.wp;
  at::parallel_for(0, s.n * s.oh, 4, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const float* image = images + (row / s.oh) * imageSize;
      for (int64_t g = 0; g < groups; ++g) {
        const int64_t offset = row * s.ow * s.channels + g * kLanes;
        ForwardRow(image, s.wp, tapData + g * kTaps * kLanes, biasData + g * kLanes, row % s.oh, s.ow, out + offset,
                   codeData != nullptr ? codeData + offset : nullptr, s.channels);
      }
    }
  });
  return output;
}

// Weight and bias gradients from the pooled output's gradient. Partial sums per sample and
// group, added in sample order: the result does not depend on the thread count.
std::pair<at::Tensor, at::Tensor> Backward(const at::Tensor& padded, const at::Tensor& codes, const at::Tensor& gradOutput) {
  const Shape s = ShapeOf(padded, codes.size(3));
  const int64_t groups = s.channels / kLanes, partialSize = (kTaps + 1) * kLanes;
  const at::Tensor grad = gradOutput.contiguous(at::MemoryFormat::ChannelsLast);
  std::vector<float> partials(s.n * groups * partialSize);
  const float* images = padded.data_ptr<float>();
  const float* gradData = grad.data_ptr<float>();
  const uint8_t* codeData = codes.data_ptr<uint8_t>();
  const int64_t imageSize = padded.size(1) * s.wp, sampleSize = s.oh * s.ow * s.channels;
  at::parallel_for(0, s.n * groups, 1, [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t sample = task / groups, g = task % groups;
      const int64_t offset = sample * sampleSize + g * kLanes;
      BackwardSample(images + sample * imageSize, s.wp, gradData + offset, codeData + offset, s.oh, s.ow, s.channels,
                     partials.data() + task * partialSize);
    }
  });
  at::Tensor packed = at::zeros({groups, kTaps + 1, kLanes}, gradOutput.options());
  float* sum = packed.data_ptr<float>();
  for (int64_t sample = 0; sample < s.n; ++sample) {
    const float* partial = partials.data() + sample * groups * partialSize;
    for (int64_t e = 0; e < groups * partialSize; ++e) sum[e] += partial[e];
  }
  at::Tensor gradWeight = packed.narrow(1, 0, kTaps).transpose(1, 2).reshape({s.channels, 1, kKernelSize, kKernelSize});
  at::Tensor gradBias = packed.select(1, kTaps).reshape({s.channels});
  return {gradWeight, gradBias};
}

class ConvReluPoolFunction : public torch::autograd::Function<ConvReluPoolFunction> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* context, const at::Tensor& input,
                            const at::Tensor& weight, const at::Tensor& bias) {
    const at::Tensor padded = PadImages(input);
    at::Tensor codes;
    at::Tensor output = Forward(padded, weight, bias, &codes);
    context->save_for_backward({padded, codes});
    return output;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* context,
                                                 torch::autograd::variable_list gradOutputs) {
    const torch::autograd::variable_list saved = context->get_saved_variables();
    auto [gradWeight, gradBias] = Backward(saved[0], saved[1], gradOutputs[0]);
    return {at::Tensor(), context->needs_input_grad(1) ? gradWeight : at::Tensor(),
            context->needs_input_grad(2) ? gradBias : at::Tensor()};
  }
};

bool FusedApplies(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias) {
  const auto cpuFloat = [](const at::Tensor& t) { return t.device().is_cpu() && t.scalar_type() == at::kFloat; };
  const bool gradMode = at::GradMode::is_enabled();
  return HasAvx512() && cpuFloat(input) && input.dim() == 4 && input.size(0) > 0 && input.size(1) == 1 &&
         input.size(2) >= 2 && input.size(3) >= 2 && !(gradMode && input.requires_grad()) && cpuFloat(weight) &&
         weight.dim() == 4 && weight.size(0) > 0 && weight.size(0) % kLanes == 0 && weight.size(1) == 1 &&
         weight.size(2) == kKernelSize && weight.size(3) == kKernelSize && bias.defined() && cpuFloat(bias) &&
         bias.dim() == 1 && bias.size(0) == weight.size(0);
}

#endif  // CAMU_HAVE_AVX512_KERNELS

}  // namespace

at::Tensor ConvReluPool(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                        ConvPoolImplementation implementation) {
  if (implementation == ConvPoolImplementation::kReference) {
    return at::max_pool2d(at::relu(at::conv2d(input, weight, bias, {1, 1}, {kPadding, kPadding})), {2, 2});
  }
#ifdef CAMU_HAVE_AVX512_KERNELS
  if (FusedApplies(input, weight, bias)) {
    if (at::GradMode::is_enabled() && (weight.requires_grad() || bias.requires_grad())) {
      return ConvReluPoolFunction::apply(input, weight, bias);
    }
    return Forward(PadImages(input), weight, bias, nullptr);
  }
#endif
  return MaxPool2x2Relu(at::conv2d(input, weight, bias, {1, 1}, {kPadding, kPadding}));
}

at::Tensor ChannelsLastView(const at::Tensor& input) {
  if (!input.is_cpu() || input.dim() != 4 || input.size(1) != 1 || !input.is_contiguous()) return input;
  return input.as_strided(input.sizes(), {input.stride(0), 1, input.size(3), 1});
}

}  // namespace camu::kernels
