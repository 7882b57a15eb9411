// 3x3 convolutions with stride 1 and padding 1 (most of ResNet-18's arithmetic) through Winograd
// F(4x4, 3x3), forward and both gradients. Why: libtorch never selects Winograd, and on the
// project's AVX-512 machine oneDNN's Winograd kernels ran ResNet-18-cifar's stride-1 convolutions
// 2.6 to 3.6x faster than libtorch's convolution (oneDNN's direct kernels), layout reorders
// included (bench/conv3x3.js; docs/performance.md, "Winograd convolutions").
//
// Two paths. Images of 8 px and more: oneDNN's kernels, where the build found oneDNN 2's headers
// and this libtorch links oneDNN as a shared library (one oneDNN and one OpenMP runtime in the
// process; Debian's libtorch does, the wheels link it statically and hide it), and the CPU has
// AVX-512. Images of 4 x 4: camu's own (kernels/winograd_single_tile.h), in every build on CPUs
// with AVX-512. Elsewhere Conv3x3 is libtorch's convolution.
#pragma once
#include <ATen/ATen.h>

#include <string>

namespace camu::kernels {

enum class Conv3x3Implementation { kWinograd, kReference };

struct WinogradStatus {
  bool available = false;
  std::string implementation;  // oneDNN's name for the kernel, when available
  std::string reason;          // why not, when unavailable
  // camu's single-tile path for 4 x 4 images (kernels/winograd_single_tile.h): on CPUs with
  // AVX-512 unless CAMU_WINOGRAD turns Winograd off.
  bool singleTile = false;
};

// Checked once per process (it makes the primitives of one shape). CAMU_WINOGRAD=off in the
// environment turns both paths off, for libtorch's convolutions to the last bit.
const WinogradStatus& WinogradConvStatus();

// at::conv2d(input, weight, {}, 1, 1), differentiable w.r.t. both. kWinograd takes the oneDNN path
// for 4-D CPU float32 tensors with channel counts in multiples of 16 and images of at least 8 x 8,
// when WinogradConvStatus().available, and the single-tile path for 4 x 4 images with 64 channels
// or more in and out, when WinogradConvStatus().singleTile; kReference (and everything else) is
// at::conv2d. The paths agree with it to float rounding of a different summation (Winograd's
// transforms): within 1e-6 to 2e-5 of the largest value in
// test/native/kernels/winograd-conv.test.ts's shapes.
at::Tensor Conv3x3(const at::Tensor& input, const at::Tensor& weight,
                   Conv3x3Implementation implementation = Conv3x3Implementation::kWinograd);

}  // namespace camu::kernels
