// kernels::Conv3x3 without Node: the Winograd paths against at::conv2d on shapes that take every
// buffer of each (oneDNN's: layout copies, chunks, a remainder chunk; the single-tile path: its
// blocks of channels both ways), so that the sanitizer build runs them. test/native/kernels/winograd-conv.test.ts covers more shapes through the addon.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <torch/torch.h>

#include "kernels/winograd_conv.h"

namespace camu::kernels {
namespace {

struct Result {
  at::Tensor output, gradInput, gradWeight;
};

Result Convolve(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& gradOutput,
           Conv3x3Implementation implementation) {
  at::Tensor x = input.clone().requires_grad_(true);
  at::Tensor w = weight.clone().requires_grad_(true);
  at::Tensor output = Conv3x3(x, w, implementation);
  output.backward(gradOutput);
  return {output.detach(), x.grad(), w.grad()};
}

double RelativeError(const at::Tensor& actual, const at::Tensor& expected) {
  return (actual - expected).abs().max().item<double>() / expected.abs().max().item<double>();
}

// Output and both gradients within 1e-4 of libtorch's largest value, and not libtorch's under
// another name (a different computation rounds differently).
void ExpectAgreement(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& gradOutput) {
  Result fast = Convolve(input, weight, gradOutput, Conv3x3Implementation::kWinograd);
  Result reference = Convolve(input, weight, gradOutput, Conv3x3Implementation::kReference);
  EXPECT_LT(RelativeError(fast.output, reference.output), 1e-4);
  EXPECT_LT(RelativeError(fast.gradInput, reference.gradInput), 1e-4);
  EXPECT_LT(RelativeError(fast.gradWeight, reference.gradWeight), 1e-4);
  EXPECT_GT(RelativeError(fast.output, reference.output), 0);
}

TEST(WinogradConv, AgreesWithLibtorchsConvolutionOutputAndGradients) {
  if (!WinogradConvStatus().available) GTEST_SKIP() << WinogradConvStatus().reason;
  torch::manual_seed(0);
  // 70 images: two full chunks of 32 and a remainder of 6, whose weight gradients add up.
  ExpectAgreement(at::randn({70, 16, 9, 10}), at::randn({32, 16, 3, 3}) / 12, at::randn({70, 32, 9, 10}));
}

TEST(WinogradConv, SingleTilePathAgreesWithLibtorchsConvolutionOnFourPixelImages) {
  if (!WinogradConvStatus().singleTile) GTEST_SKIP() << "no AVX-512 or CAMU_WINOGRAD=off";
  torch::manual_seed(2);
  // 64 input and 80 output channels (8 blocks one way, 10 the other); 37 images: a chunk of 32 and
  // a remainder of 5, whose weight gradients add up.
  ExpectAgreement(at::randn({37, 64, 4, 4}), at::randn({80, 64, 3, 3}) / 24, at::randn({37, 80, 4, 4}));
}

TEST(WinogradConv, LeavesShapesItDoesNotTakeToLibtorch) {
  torch::manual_seed(1);
  for (const auto& [channels, side] : {std::pair<int64_t, int64_t>{3, 8}, {16, 4}}) {
    at::Tensor input = at::randn({2, channels, side, side});
    at::Tensor weight = at::randn({16, channels, 3, 3});
    at::Tensor gradOutput = at::randn({2, 16, side, side});
    Result fast = Convolve(input, weight, gradOutput, Conv3x3Implementation::kWinograd);
    Result reference = Convolve(input, weight, gradOutput, Conv3x3Implementation::kReference);
    EXPECT_TRUE(fast.output.equal(reference.output));
    EXPECT_TRUE(fast.gradWeight.equal(reference.gradWeight));
  }
}

}  // namespace
}  // namespace camu::kernels
