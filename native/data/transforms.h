// How stored images (uint8 N×C×H×W) become network input, one batch at a time, in C++.
//
// A Transform = a geometry (resize / crop / flip) + the InputSpec normalisation. Geometry runs on
// the batch scaled to [0, 1]; normalisation comes last, so counterfactual noise added to the
// result lies "on the network input" (docs/algorithm.md §2). Random choices come from the
// caller's generator, drawn per batch as small CPU tensors, in a fixed order: the same seed and
// the same batches give the same inputs.
#pragma once
#include <ATen/ATen.h>

#include <string>
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

enum class Geometry {
  // Images go in at their stored size (MNIST, Fashion-MNIST, user data).
  kNone,
  // The paper's CIFAR pipeline at 224 px (torchvision semantics):
  //   training:   Resize(224) -> RandomResizedCrop(224, scale (0.08, 1), ratio (3/4, 4/3)) -> RandomHorizontalFlip
  //   evaluation: Resize(224) -> CenterCrop(224)
  // Resize and crop are composed into ONE bilinear resampling (grid_sample, align_corners=false,
  // border padding) over the crop box mapped back to the stored image: the same geometry with one
  // interpolation instead of two. For evaluation it equals Resize + CenterCrop exactly.
  kResize224,
  // The 32-px CIFAR variant: training: RandomCrop(size, padding 4, zero fill) -> RandomHorizontalFlip;
  // evaluation: the stored image.
  kPadCrop32,
};

// "none", "resize-224", "pad-crop-32" (the names the JS API uses).
const char* GeometryName(Geometry geometry);
// RangeError naming `argName` for an unknown name.
Geometry GeometryFromName(const std::string& name, const std::string& argName);

struct Transform {
  InputSpec input;
  Geometry geometry = Geometry::kNone;
};

// The network-input shape [C,H',W'] of a stored sample of shape [C,H,W].
std::vector<int64_t> TransformedSampleShape(const Transform& transform, at::IntArrayRef sampleShape);

// Training input: the geometry's random augmentation (drawn from `generator`), then normalisation.
// batch: uint8 [N,C,H,W] or float32 already scaled to [0,1]; result float32 [N,C,H',W'] on the
// batch's device.
at::Tensor TrainingInput(const at::Tensor& batch, const Transform& transform, at::Generator& generator);

// Evaluation input: the geometry's deterministic part (no randomness), then normalisation.
at::Tensor EvaluationInput(const at::Tensor& batch, const Transform& transform);

}  // namespace camu::data
