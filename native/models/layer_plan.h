// camu's kernels for models camu did not build. The forward graph of a TorchScript module is read
// as a chain of layers camu has kernels for (conv2d, relu, max_pool2d, flatten/view, linear); when every
// node of it is one of them, the chain runs through those kernels (with the built-in CNN's fused
// stages where the pattern fits) on the module's own parameter tensors, so training the module's
// parameters trains what runs. Anything else (batch norm, dropout, branches, ...) keeps the
// module's own forward, which also stays the reference: test/models/torchscript-kernels.test.ts and
// native/tests/layer_plan_test.cc compare both on each pattern.
#pragma once
#include <ATen/ATen.h>
#include <torch/script.h>

#include <optional>
#include <string>
#include <vector>

#include "models/model.h"

namespace camu::models {

enum class LayerKind {
  kConv2d,
  kRelu,
  kMaxPool2d,
  kFlatten,
  kReshape,
  kLinear,
  kConvReluPool,  // conv 5x5 / stride 1 / padding 2 on one input channel, relu, max-pool 2x2 (kernels/conv_pool.h)
  kPoolRelu,      // relu and max-pool 2x2 in either order (kernels/max_pool_relu.h)
};

struct PlannedLayer {
  LayerKind kind = LayerKind::kRelu;
  std::string weight, bias;  // attribute paths in the module ("conv1.0.weight"); "" = none
  std::vector<int64_t> stride, padding, dilation, kernelSize;  // conv2d, max_pool2d
  int64_t groups = 1;
  bool ceilMode = false;
  int64_t startDim = 1, endDim = -1;  // flatten
  std::vector<int64_t> shape;         // reshape (a view or reshape to a constant shape)
};

struct LayerPlan {
  std::vector<PlannedLayer> layers;
  // The embedding is this layer's output (flattened to [N, D]); the logits are the last layer's.
  size_t embeddingLayer = 0;
  // One entry per layer, e.g. "conv-relu-pool conv1.0", "linear fc1".
  std::vector<std::string> Describe() const;
};

struct PlanResult {
  std::optional<LayerPlan> plan;
  std::string reason;  // why there is none: the first node that is not one of camu's layers, ...
};

// The plan of `module`'s forward returning (logits, embedding), or, with both submodule paths
// given, of head(features(x)) with embedding = features(x).
PlanResult PlanLayers(const torch::jit::Module& module, const std::string& features, const std::string& head);

// A plan bound to one module's tensors (they alias the module's parameters and buffers).
class BoundLayerPlan {
 public:
  BoundLayerPlan(LayerPlan plan, const torch::jit::Module& module);
  ModelOutput Forward(const at::Tensor& input) const;
  const LayerPlan& plan() const { return plan_; }

 private:
  struct LayerTensors {
    at::Tensor weight, bias;  // undefined where the layer has none
  };
  LayerPlan plan_;
  std::vector<LayerTensors> tensors_;  // per layer
};

}  // namespace camu::models
