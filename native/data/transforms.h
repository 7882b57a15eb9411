// How stored images (uint8 N×C×H×W) become network input, one batch at a time, in C++.
#pragma once
#include <ATen/ATen.h>

#include <vector>

namespace camu::data {

struct InputSpec {
  // Per-channel normalisation after scaling to [0, 1]; empty = none (the paper's MNIST CNN).
  std::vector<double> mean;
  std::vector<double> std;
};

// uint8 [N,C,H,W] -> float32 [N,C,H,W] in [0,1], then (x - mean) / std per channel.
// A float32 batch is taken as already scaled and is only normalised.
at::Tensor ToNetworkInput(const at::Tensor& batch, const InputSpec& spec);

}  // namespace camu::data
