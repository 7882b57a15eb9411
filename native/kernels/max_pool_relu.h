// relu(max_pool2d(x, 2)) for N×C×H×W float32: the pooling stage of the paper's CNN (which applies
// relu first; the two orders give equal values and gradients because max and relu commute and both
// route the gradient to the window's first maximum). The fused CPU kernel works channels-last
// (the input is converted if needed; the output stays channels-last, the layout the next
// convolution runs fastest on), reads each 2×2 window once and keeps a one-byte winner code for
// the backward pass. libtorch 1.13's channels-first max-pool kernel and the separate relu were
// the largest non-convolution cost of a CNN step on CPU.
#pragma once
#include <ATen/ATen.h>

namespace camu::kernels {

enum class PoolImplementation { kFused, kReference };

// Differentiable w.r.t. `input`. kFused: the fused kernel for CPU float32 input (any strides), and
// at::max_pool2d(input, 2).relu_() elsewhere (CUDA, other dtypes). kReference: the module's own
// order, at::max_pool2d(at::relu(input), 2), for comparisons.
at::Tensor MaxPool2x2Relu(const at::Tensor& input, PoolImplementation implementation = PoolImplementation::kFused);

}  // namespace camu::kernels
