#include "kernels/max_pool_relu.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdint>

#include "core/cpu_dispatch.h"

namespace camu::kernels {

namespace {

// Winner code of a window: 0..3 in row-major order, or kBlocked when relu zeroes the output.
constexpr uint8_t kBlocked = 255;

// Output rows per parallel task (a row of the first CNN pool is 14 x 16 values).
constexpr int64_t kRowGrain = 8;

// One output pixel over all channels: the window's four input pixels a b / d e (each `c`
// contiguous channels). Branch-free selects with restrict pointers so the compiler vectorises
// the channel loop; channels-first windows measured 10-20x slower (strided or branchy), so
// other layouts are converted to channels-last first.
template <bool kWithCodes>
void PoolPixel(const float* __restrict a, const float* __restrict b, const float* __restrict d,
               const float* __restrict e, float* __restrict out, uint8_t* __restrict code, int64_t c) {
  for (int64_t channel = 0; channel < c; ++channel) {
    // max_pool2d's rule: a later value wins only if strictly greater, or NaN.
    float best = a[channel];
    uint8_t winner = 0;
    float v = b[channel];
    bool take = (v > best) | (v != v);
    best = take ? v : best;
    winner = take ? 1 : winner;
    v = d[channel];
    take = (v > best) | (v != v);
    best = take ? v : best;
    winner = take ? 2 : winner;
    v = e[channel];
    take = (v > best) | (v != v);
    best = take ? v : best;
    winner = take ? 3 : winner;
    const bool blocked = best <= 0.0f;  // relu's backward passes the gradient where its output > 0
    out[channel] = blocked ? 0.0f : best;
    if constexpr (kWithCodes) code[channel] = blocked ? kBlocked : winner;
  }
}

// The four input gradients of one output pixel over all channels (a b / d e as in PoolPixel):
// each input element is written exactly once (the winner's gradient or 0), so there is no
// separate zero fill, and the selects vectorise over the channels.
void UnpoolPixel(const float* __restrict grad, const uint8_t* __restrict code, float* __restrict a,
                 float* __restrict b, float* __restrict d, float* __restrict e, int64_t c) {
  for (int64_t channel = 0; channel < c; ++channel) {
    const float g = grad[channel];
    const uint8_t winner = code[channel];
    a[channel] = winner == 0 ? g : 0.0f;
    b[channel] = winner == 1 ? g : 0.0f;
    d[channel] = winner == 2 ? g : 0.0f;
    e[channel] = winner == 3 ? g : 0.0f;
  }
}

// Channels-last sizes of one pooling: channels, input height and width, output height and width.
struct PoolShape {
  int64_t c, h, w, oh, ow;
};

// Output rows [begin, end) (row = sample * oh + y) of the forward pass; `code` may be null. The
// AVX2 clone (1 thread, batch 64, forward + backward): 16 channels x 28 x 28 0.33 -> 0.27 ms,
// 32 x 14 x 14 0.17 -> 0.08 ms. An AVX-512 clone measured slower than AVX2 here: not listed.
CAMU_CPU_CLONES("avx2")
void PoolRows(const float* src, float* dst, uint8_t* code, const PoolShape& s, int64_t begin, int64_t end) {
  const int64_t rowStride = s.w * s.c;  // one input row of one sample
  for (int64_t row = begin; row < end; ++row) {
    const int64_t sample = row / s.oh, y = row % s.oh;
    const float* top = src + sample * s.h * rowStride + 2 * y * rowStride;
    const float* bottom = top + rowStride;
    for (int64_t x = 0; x < s.ow; ++x) {
      const int64_t in = 2 * x * s.c, out = (row * s.ow + x) * s.c;
      if (code != nullptr) {
        PoolPixel<true>(top + in, top + in + s.c, bottom + in, bottom + in + s.c, dst + out, code + out, s.c);
      } else {
        PoolPixel<false>(top + in, top + in + s.c, bottom + in, bottom + in + s.c, dst + out, nullptr, s.c);
      }
    }
  }
}

// Rows [begin, end) of the backward pass: every input gradient under those output rows.
CAMU_CPU_CLONES("avx2")
void UnpoolRows(const float* grad, const uint8_t* code, float* dst, const PoolShape& s, int64_t begin, int64_t end) {
  const int64_t rowStride = s.w * s.c;
  for (int64_t row = begin; row < end; ++row) {
    const int64_t sample = row / s.oh, y = row % s.oh;
    float* top = dst + sample * s.h * rowStride + 2 * y * rowStride;
    float* bottom = top + rowStride;
    for (int64_t x = 0; x < s.ow; ++x) {
      const int64_t in = 2 * x * s.c, out = (row * s.ow + x) * s.c;
      UnpoolPixel(grad + out, code + out, top + in, top + in + s.c, bottom + in, bottom + in + s.c, s.c);
    }
  }
}

// The pooled output (channels-last) and, when `codes` is given, the winner codes (same layout).
at::Tensor PoolForward(const at::Tensor& input, at::Tensor* codes) {
  const at::Tensor source = input.contiguous(at::MemoryFormat::ChannelsLast);
  const int64_t n = source.size(0), c = source.size(1), h = source.size(2), w = source.size(3);
  const int64_t oh = h / 2, ow = w / 2;  // floor, as max_pool2d
  at::Tensor output = at::empty({n, c, oh, ow}, source.options().memory_format(at::MemoryFormat::ChannelsLast));
  uint8_t* code = nullptr;
  if (codes != nullptr) {
    *codes = at::empty({n, c, oh, ow}, source.options().dtype(at::kByte).memory_format(at::MemoryFormat::ChannelsLast));
    code = codes->data_ptr<uint8_t>();
  }
  const PoolShape shape{c, h, w, oh, ow};
  const float* src = source.data_ptr<float>();
  float* dst = output.data_ptr<float>();
  at::parallel_for(0, n * oh, kRowGrain,
                   [&](int64_t begin, int64_t end) { PoolRows(src, dst, code, shape, begin, end); });
  return output;
}

// The gradient w.r.t. the pooled input, from a gradient of the output in any layout; computed
// channels-last, returned in the input's layout (`inputFormat`), which libtorch's convolution
// backward expects of its output gradient.
at::Tensor PoolBackward(const at::Tensor& gradOutput, const at::Tensor& codes, at::IntArrayRef inputSizes,
                        at::MemoryFormat inputFormat) {
  const at::Tensor grad = gradOutput.contiguous(at::MemoryFormat::ChannelsLast);
  const int64_t n = codes.size(0), c = codes.size(1), oh = codes.size(2), ow = codes.size(3);
  const int64_t h = inputSizes[2], w = inputSizes[3];
  at::Tensor gradInput = at::empty(inputSizes, grad.options().memory_format(at::MemoryFormat::ChannelsLast));
  // Rows and columns beyond the last whole window (odd sizes) take no gradient.
  if (h % 2 != 0 || w % 2 != 0) gradInput.zero_();
  const PoolShape shape{c, h, w, oh, ow};
  const float* g = grad.data_ptr<float>();
  const uint8_t* code = codes.data_ptr<uint8_t>();
  float* dst = gradInput.data_ptr<float>();
  at::parallel_for(0, n * oh, kRowGrain,
                   [&](int64_t begin, int64_t end) { UnpoolRows(g, code, dst, shape, begin, end); });
  return gradInput.contiguous(inputFormat);
}

class MaxPoolReluFunction : public torch::autograd::Function<MaxPoolReluFunction> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* context, const at::Tensor& input) {
    at::Tensor codes;
    at::Tensor output = PoolForward(input, &codes);
    context->save_for_backward({codes});
    context->saved_data["sizes"] = input.sizes();
    context->saved_data["channelsLast"] =
        !input.is_contiguous() && input.is_contiguous(at::MemoryFormat::ChannelsLast);
    return output;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* context,
                                                 torch::autograd::variable_list gradOutputs) {
    const at::Tensor codes = context->get_saved_variables()[0];
    const at::MemoryFormat inputFormat = context->saved_data["channelsLast"].toBool() ? at::MemoryFormat::ChannelsLast
                                                                                       : at::MemoryFormat::Contiguous;
    return {PoolBackward(gradOutputs[0], codes, context->saved_data["sizes"].toIntVector(), inputFormat)};
  }
};

}  // namespace

at::Tensor MaxPool2x2Relu(const at::Tensor& input, PoolImplementation implementation) {
  if (implementation == PoolImplementation::kReference) return at::max_pool2d(at::relu(input), {2, 2});
  if (!input.is_cpu() || input.scalar_type() != at::kFloat || input.dim() != 4) {
    return at::max_pool2d(input, {2, 2}).relu_();
  }
  if (input.requires_grad() && at::GradMode::is_enabled()) return MaxPoolReluFunction::apply(input);
  return PoolForward(input, nullptr);
}

}  // namespace camu::kernels
