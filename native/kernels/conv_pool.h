// relu(max_pool2d(conv2d(x, w, b, stride 1, padding 2), 2)) for a one-channel image and a 5x5
// kernel: the first stage of the paper's MNIST / Fashion-MNIST CNN. On CPUs with AVX-512 (float32,
// output channels a multiple of 16), one kernel computes the convolution, relu and pooling per
// 2x2 window in registers and writes only the pooled output and a one-byte winner code per value;
// its backward pass computes the weight and bias gradients straight from the pooled gradient.
// Why: through libtorch (oneDNN convolution, then the fused pool kernel) this stage wrote and
// re-read the full-resolution activation and its gradient (3.2 MB each at batch 64) and oneDNN's
// weight gradient for one input channel ran at a quarter of the core's FMA rate
// (docs/performance.md, "The CNN's first stage"). Elsewhere: MaxPool2x2Relu(at::conv2d(...)), the
// path it replaces.
#pragma once
#include <ATen/ATen.h>

namespace camu::kernels {

enum class ConvPoolImplementation { kFused, kReference };

// input [N, 1, H, W], weight [C, 1, 5, 5], bias [C] -> [N, C, H/2, W/2] (channels-last on the
// fused path). Differentiable w.r.t. weight and bias (and input, which the fused path does not
// take: an input that requires grad goes the libtorch way). kReference is the module's own
// order, at::max_pool2d(at::relu(at::conv2d(...)), 2), for comparisons.
at::Tensor ConvReluPool(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                        ConvPoolImplementation implementation = ConvPoolImplementation::kFused);

// A one-channel CPU input [N, 1, H, W] with channels-last strides (the same bytes: no copy), for
// the input of ConvReluPool: where the fused kernel does not apply, the convolution then runs
// channels-last, its output feeds the channels-last pool kernel directly and its gradient comes
// back channels-last, where an NCHW conv costs a layout conversion of the largest activation each
// way (libtorch 1.13, batch 64, 1 thread: conv forward + conversion 0.76 ms vs 0.55 ms
// channels-last; weight gradient + conversion 0.77 vs 0.52 ms). Other inputs (more channels, CUDA,
// non-contiguous) are returned as they are: there the change would be a copy, and it was not measured.
at::Tensor ChannelsLastView(const at::Tensor& input);

}  // namespace camu::kernels
