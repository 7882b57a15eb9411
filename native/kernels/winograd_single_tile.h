// 3x3 convolutions with stride 1 and padding 1 on 4 x 4 images (ResNet-18-cifar's last stage, 512
// channels), forward and both gradients, as camu's own Winograd F(4x4, 3x3): each zero-padded
// 6 x 6 image is exactly one Winograd tile, so a convolution is 36 channel products of
// N x C x O multiply-adds instead of a direct convolution's 144 (Lavin and Gray, "Fast Algorithms
// for Convolutional Neural Networks", CVPR 2016). Why: oneDNN's Winograd kernels gained nothing on
// these images, and the plain formulation (transform all weights, then 36 GEMMs) was slower than
// libtorch's direct convolution, because the transformed weights (4x the weights: 36 MiB at 512
// channels) went through memory several times a step; here each block of 8 channels' transformed
// weights is made, used and dropped while it sits in L2 (docs/performance.md, "Winograd
// convolutions").
//
// Needs a CPU with AVX-512 (its GEMM is kernels/gemm.h's). The reference twin is at::conv2d;
// winograd_conv.h's Conv3x3 decides which runs.
#pragma once
#include <ATen/ATen.h>

namespace camu::kernels {

// CPU float32 4-D tensors, images 4 x 4, weight [O, C, 3, 3], channel counts multiples of 16 and at
// least 64 in and out, on a CPU with AVX-512.
bool SingleTileWinogradAccepts(const at::Tensor& input, const at::Tensor& weight);

// at::conv2d(input, weight, {}, 1, 1), differentiable w.r.t. both: by this path for the shapes
// SingleTileWinogradAccepts (equal up to float rounding of a different summation), else at::conv2d.
at::Tensor SingleTileWinogradConv3x3(const at::Tensor& input, const at::Tensor& weight);

}  // namespace camu::kernels
