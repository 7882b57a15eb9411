#include "models/layer_plan.h"

#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/passes/constant_propagation.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/passes/inliner.h>

#include <map>
#include <sstream>

#include "kernels/conv_pool.h"
#include "kernels/linear.h"
#include "kernels/max_pool_relu.h"

namespace camu::models {

namespace {

using torch::jit::Node;
using torch::jit::Value;

constexpr const char* kLayerList = "conv2d, relu, max_pool2d, flatten, view/reshape, linear";

// Why a graph has no plan; caught by PlanLayers and turned into PlanResult::reason.
struct NoPlan {
  std::string reason;
};

[[noreturn]] void Refuse(const std::string& reason) { throw NoPlan{reason}; }

std::string Join(const std::string& path, const std::string& name) { return path.empty() ? name : path + "." + name; }

// The attribute at a dotted path ("conv1.0.weight") of `module`.
c10::IValue AttributeAt(const torch::jit::Module& module, const std::string& path) {
  c10::IValue current = module._ivalue();
  std::stringstream atoms(path);
  std::string atom;
  while (std::getline(atoms, atom, '.')) {
    if (!current.isObject()) Refuse("attribute path '" + path + "' does not lead to a tensor");
    const auto object = current.toObject();
    if (!object->type()->hasAttribute(atom)) Refuse("no attribute '" + path + "'");
    current = object->getAttr(atom);
  }
  return current;
}

bool IsTensorType(const c10::TypePtr& type) {
  if (type->kind() == c10::TypeKind::TensorType) return true;
  if (auto optional = type->cast<c10::OptionalType>()) return optional->getElementType()->kind() == c10::TypeKind::TensorType;
  return false;
}

std::vector<int64_t> IntPair(const std::vector<int64_t>& values, const std::string& what) {
  if (values.size() == 1) return {values[0], values[0]};
  if (values.size() == 2) return values;
  Refuse(what + " has " + std::to_string(values.size()) + " values; camu's layers are 2-D");
}

// Reads one forward graph as a chain of layers, appending to `layers`.
class ChainReader {
 public:
  ChainReader(const torch::jit::Module& root, std::vector<PlannedLayer>& layers) : root_(root), layers_(layers) {}

  // Reads `method` of the submodule at `modulePath` ("" = the root) with its input being the
  // activation `inputLayer` (-1 = the model's input). Returns the graph's output value.
  Value* Read(const std::string& modulePath, int64_t inputLayer) {
    const torch::jit::Module module = modulePath.empty() ? root_ : AttributeAt(root_, modulePath).toModule();
    std::shared_ptr<torch::jit::Graph> graph = module.get_method("forward").graph()->copy();
    torch::jit::Inline(*graph);
    torch::jit::ConstantPropagation(graph);
    torch::jit::EliminateDeadCode(graph);
    if (graph->inputs().size() != 2) Refuse("forward takes more than one input");
    graph_ = graph;
    modules_[graph->inputs()[0]] = modulePath;
    activations_[graph->inputs()[1]] = inputLayer;
    chainEnd_ = graph->inputs()[1];
    for (Node* node : graph->nodes()) Visit(node);
    return graph->outputs()[0];
  }

  // The layer whose output `value` is; Refuse when it is none.
  int64_t LayerOf(Value* value, const std::string& what) const {
    auto found = activations_.find(value);
    if (found == activations_.end() || found->second < 0) Refuse(what + " is not the output of a layer");
    return found->second;
  }
  Value* ChainEnd() const { return chainEnd_; }

 private:
  void Visit(Node* node) {
    const std::string kind = node->kind().toQualString();
    if (kind == "prim::Constant") return;
    if (kind == "prim::GetAttr") return GetAttr(node);
    if (kind == "prim::TupleConstruct") return;  // the outputs, checked by PlanLayers
    if (kind == "aten::size") return Size(node);
    if (kind == "prim::ListConstruct") return ListConstruct(node);
    PlannedLayer layer;
    if (kind == "aten::conv2d") {
      layer.kind = LayerKind::kConv2d;
      layer.weight = TensorAttribute(node->input(1), "conv2d's weight");
      layer.bias = OptionalTensorAttribute(node->input(2), "conv2d's bias");
      layer.stride = IntPair(Ints(node->input(3), "conv2d's stride"), "conv2d's stride");
      if (!node->input(4)->type()->cast<c10::ListType>()) Refuse("conv2d with a padding string ('same' / 'valid')");
      layer.padding = IntPair(Ints(node->input(4), "conv2d's padding"), "conv2d's padding");
      layer.dilation = IntPair(Ints(node->input(5), "conv2d's dilation"), "conv2d's dilation");
      layer.groups = Int(node->input(6), "conv2d's groups");
    } else if (kind == "aten::relu" || kind == "aten::relu_") {
      // In place, relu_ would also change every other use of its input.
      if (kind == "aten::relu_" && node->input(0)->uses().size() > 1) Refuse("relu_ on a value used elsewhere");
      layer.kind = LayerKind::kRelu;
    } else if (kind == "aten::max_pool2d") {
      layer.kind = LayerKind::kMaxPool2d;
      layer.kernelSize = IntPair(Ints(node->input(1), "max_pool2d's kernel_size"), "max_pool2d's kernel_size");
      std::vector<int64_t> stride = Ints(node->input(2), "max_pool2d's stride");
      layer.stride = stride.empty() ? layer.kernelSize : IntPair(stride, "max_pool2d's stride");
      layer.padding = IntPair(Ints(node->input(3), "max_pool2d's padding"), "max_pool2d's padding");
      layer.dilation = IntPair(Ints(node->input(4), "max_pool2d's dilation"), "max_pool2d's dilation");
      layer.ceilMode = Constant(node->input(5), "max_pool2d's ceil_mode").toBool();
    } else if (kind == "aten::flatten") {
      layer.kind = LayerKind::kFlatten;
      layer.startDim = Int(node->input(1), "flatten's start_dim");
      layer.endDim = Int(node->input(2), "flatten's end_dim");
    } else if (kind == "aten::view" || kind == "aten::reshape") {
      // x.view(x.size(0), -1): flatten(1); a constant shape: that shape.
      if (flattenShapes_.count(node->input(1))) {
        if (flattenShapes_.at(node->input(1)) != node->input(0)) Refuse(kind + " to the batch size of another value");
        layer.kind = LayerKind::kFlatten;
      } else {
        layer.kind = LayerKind::kReshape;
        layer.shape = Ints(node->input(1), kind + "'s shape");
      }
    } else if (kind == "aten::linear") {
      layer.kind = LayerKind::kLinear;
      layer.weight = TensorAttribute(node->input(1), "linear's weight");
      layer.bias = OptionalTensorAttribute(node->input(2), "linear's bias");
    } else {
      Refuse(kind + " is not one of camu's layers (" + kLayerList + ")");
    }
    if (node->input(0) != chainEnd_) {
      Refuse(kind + " takes a value other than the previous layer's output (a branch or a skip connection)");
    }
    layers_.push_back(layer);
    activations_[node->output()] = static_cast<int64_t>(layers_.size()) - 1;
    chainEnd_ = node->output();
  }

  void GetAttr(Node* node) {
    auto owner = modules_.find(node->input(0));
    if (owner == modules_.end()) Refuse("an attribute of something other than a submodule");
    const std::string path = Join(owner->second, node->s(c10::attr::name));
    const c10::TypePtr& type = node->output()->type();
    if (type->cast<c10::ClassType>()) {
      modules_[node->output()] = path;
    } else if (IsTensorType(type)) {
      tensors_[node->output()] = path;
    } else if (node->s(c10::attr::name) == "training") {
      Refuse("forward reads '" + path + "': it has layers that behave differently in training (batch norm, dropout, ...)");
    } else {
      Refuse("forward reads the attribute '" + path + "' (" + type->annotation_str() + ")");
    }
  }

  // x.size(0) of the chain's current value, for x.view(x.size(0), -1).
  void Size(Node* node) {
    if (node->inputs().size() != 2 || Int(node->input(1), "size's dim") != 0) Refuse("aten::size other than x.size(0)");
    batchSizes_[node->output()] = node->input(0);
  }

  void ListConstruct(Node* node) {
    if (node->inputs().size() == 2 && batchSizes_.count(node->input(0))) {
      c10::optional<c10::IValue> last = torch::jit::toIValue(node->input(1));
      if (last && last->isInt() && last->toInt() == -1) {
        flattenShapes_[node->output()] = batchSizes_.at(node->input(0));
        return;
      }
    }
    Refuse("a list built at run time (other than [x.size(0), -1])");
  }

  std::string TensorAttribute(Value* value, const std::string& what) const {
    auto found = tensors_.find(value);
    if (found == tensors_.end()) Refuse(what + " is not a tensor attribute of the module");
    return found->second;
  }

  std::string OptionalTensorAttribute(Value* value, const std::string& what) const {
    c10::optional<c10::IValue> constant = torch::jit::toIValue(value);
    if (constant && constant->isNone()) return "";
    return TensorAttribute(value, what);
  }

  static c10::IValue Constant(Value* value, const std::string& what) {
    c10::optional<c10::IValue> constant = torch::jit::toIValue(value);
    if (!constant) Refuse(what + " is computed at run time");
    return *constant;
  }
  static int64_t Int(Value* value, const std::string& what) {
    c10::IValue constant = Constant(value, what);
    if (!constant.isInt()) Refuse(what + " is not an integer");
    return constant.toInt();
  }
  static std::vector<int64_t> Ints(Value* value, const std::string& what) {
    c10::IValue constant = Constant(value, what);
    if (!constant.isIntList()) Refuse(what + " is not a list of integers");
    return constant.toIntVector();
  }

  const torch::jit::Module& root_;
  std::vector<PlannedLayer>& layers_;
  std::shared_ptr<torch::jit::Graph> graph_;  // keeps the Values above alive
  std::map<Value*, std::string> modules_, tensors_;
  std::map<Value*, int64_t> activations_;
  std::map<Value*, Value*> batchSizes_, flattenShapes_;
  Value* chainEnd_ = nullptr;
};

bool IsPool2x2(const PlannedLayer& layer) {
  return layer.kind == LayerKind::kMaxPool2d && layer.kernelSize == std::vector<int64_t>{2, 2} &&
         layer.stride == std::vector<int64_t>{2, 2} && layer.padding == std::vector<int64_t>{0, 0} &&
         layer.dilation == std::vector<int64_t>{1, 1} && !layer.ceilMode;
}

// The first stage of the built-in CNN (kernels/conv_pool.h): on the model's input, a one-channel
// 5x5 convolution with stride 1 and padding 2.
bool IsCnnFirstConv(const PlannedLayer& layer, const torch::jit::Module& module) {
  if (layer.kind != LayerKind::kConv2d || layer.bias.empty() || layer.stride != std::vector<int64_t>{1, 1} ||
      layer.padding != std::vector<int64_t>{2, 2} || layer.dilation != std::vector<int64_t>{1, 1} || layer.groups != 1) {
    return false;
  }
  const c10::IValue weight = AttributeAt(module, layer.weight);
  return weight.isTensor() && weight.toTensor().dim() == 4 && weight.toTensor().size(1) == 1 &&
         weight.toTensor().size(2) == 5 && weight.toTensor().size(3) == 5;
}

// Replaces the built-in CNN's stages by their fused kernels; a layer whose output is the
// embedding ends a stage.
LayerPlan Fuse(const LayerPlan& plain, const torch::jit::Module& module) {
  LayerPlan fused;
  const std::vector<PlannedLayer>& layers = plain.layers;
  auto innerFree = [&](size_t first, size_t count) {  // none of the stage's inner outputs is the embedding
    return plain.embeddingLayer < first || plain.embeddingLayer >= first + count - 1;
  };
  for (size_t i = 0; i < layers.size();) {
    size_t take = 1;
    PlannedLayer layer = layers[i];
    if (i == 0 && i + 2 < layers.size() && IsCnnFirstConv(layers[i], module) && layers[i + 1].kind == LayerKind::kRelu &&
        IsPool2x2(layers[i + 2]) && innerFree(i, 3)) {
      layer.kind = LayerKind::kConvReluPool;
      take = 3;
    } else if (i + 1 < layers.size() && innerFree(i, 2) &&
               ((layers[i].kind == LayerKind::kRelu && IsPool2x2(layers[i + 1])) ||
                (IsPool2x2(layers[i]) && layers[i + 1].kind == LayerKind::kRelu))) {
      layer = PlannedLayer();
      layer.kind = LayerKind::kPoolRelu;
      take = 2;
    }
    if (plain.embeddingLayer >= i && plain.embeddingLayer < i + take) fused.embeddingLayer = fused.layers.size();
    fused.layers.push_back(layer);
    i += take;
  }
  return fused;
}

std::string LayerName(LayerKind kind) {
  switch (kind) {
    case LayerKind::kConv2d: return "conv2d";
    case LayerKind::kRelu: return "relu";
    case LayerKind::kMaxPool2d: return "max-pool";
    case LayerKind::kFlatten: return "flatten";
    case LayerKind::kReshape: return "reshape";
    case LayerKind::kLinear: return "linear";
    case LayerKind::kConvReluPool: return "conv-relu-pool";
    case LayerKind::kPoolRelu: return "pool-relu";
  }
  return "?";
}

// "conv1.0.weight" -> "conv1.0"
std::string OwnerOf(const std::string& path) {
  const size_t dot = path.rfind('.');
  return dot == std::string::npos ? "" : path.substr(0, dot);
}

at::Tensor BindTensor(const torch::jit::Module& module, const std::string& path) {
  if (path.empty()) return {};
  c10::IValue value = AttributeAt(module, path);
  if (value.isNone()) return {};
  if (!value.isTensor()) Refuse("'" + path + "' is not a tensor");
  return value.toTensor();
}

}  // namespace

std::vector<std::string> LayerPlan::Describe() const {
  std::vector<std::string> lines;
  for (size_t i = 0; i < layers.size(); ++i) {
    std::string line = LayerName(layers[i].kind);
    if (!layers[i].weight.empty()) line += " " + OwnerOf(layers[i].weight);
    if (i == embeddingLayer) line += " (embedding)";
    lines.push_back(line);
  }
  return lines;
}

PlanResult PlanLayers(const torch::jit::Module& module, const std::string& features, const std::string& head) {
  try {
    LayerPlan plain;
    ChainReader reader(module, plain.layers);
    if (features.empty()) {
      Value* output = reader.Read("", -1);
      Node* tuple = output->node();
      if (tuple->kind().toQualString() != std::string("prim::TupleConstruct") || tuple->inputs().size() != 2) {
        Refuse("forward does not build its (logits, embedding) pair from layer outputs");
      }
      reader.LayerOf(tuple->input(0), "the logits");  // refuses the model's input as the logits
      if (tuple->input(0) != reader.ChainEnd()) Refuse("the logits are not the last layer's output");
      plain.embeddingLayer = static_cast<size_t>(reader.LayerOf(tuple->input(1), "the embedding"));
    } else {
      Value* embedding = reader.Read(features, -1);
      if (embedding != reader.ChainEnd() || plain.layers.empty()) Refuse(features + ".forward does not return its last layer's output");
      plain.layers.emplace_back().kind = LayerKind::kFlatten;  // embedding = features(x), flattened
      plain.embeddingLayer = plain.layers.size() - 1;
      ChainReader headReader(module, plain.layers);
      Value* logits = headReader.Read(head, static_cast<int64_t>(plain.embeddingLayer));
      if (logits != headReader.ChainEnd() || plain.layers.size() == plain.embeddingLayer + 1) {
        Refuse(head + ".forward does not return its last layer's output");
      }
    }
    PlanResult result;
    result.plan = Fuse(plain, module);
    return result;
  } catch (const NoPlan& noPlan) {
    return PlanResult{std::nullopt, noPlan.reason};
  } catch (const c10::Error& error) {
    return PlanResult{std::nullopt, error.what_without_backtrace()};
  }
}

BoundLayerPlan::BoundLayerPlan(LayerPlan plan, const torch::jit::Module& module) : plan_(std::move(plan)) {
  for (const PlannedLayer& layer : plan_.layers) {
    tensors_.push_back({BindTensor(module, layer.weight), BindTensor(module, layer.bias)});
  }
}

ModelOutput BoundLayerPlan::Forward(const at::Tensor& input) const {
  at::Tensor x = input, embedding;
  for (size_t i = 0; i < plan_.layers.size(); ++i) {
    const PlannedLayer& layer = plan_.layers[i];
    switch (layer.kind) {
      case LayerKind::kConvReluPool:
        x = kernels::ConvReluPool(kernels::ChannelsLastView(x), tensors_[i].weight, tensors_[i].bias);
        break;
      case LayerKind::kConv2d:
        x = at::conv2d(x, tensors_[i].weight, tensors_[i].bias, layer.stride, layer.padding, layer.dilation, layer.groups);
        break;
      case LayerKind::kRelu:
        x = at::relu(x);
        break;
      case LayerKind::kMaxPool2d:
        x = at::max_pool2d(x, layer.kernelSize, layer.stride, layer.padding, layer.dilation, layer.ceilMode);
        break;
      case LayerKind::kPoolRelu:
        x = kernels::MaxPool2x2Relu(x);
        break;
      case LayerKind::kFlatten:
        x = x.flatten(layer.startDim, layer.endDim);
        break;
      case LayerKind::kReshape:
        // Not view(): a channels-last activation (the fused kernels' layout) has no view of the
        // shape the module's channels-first one had; the values are the same.
        x = x.reshape(layer.shape);
        break;
      case LayerKind::kLinear:
        x = kernels::Linear(x, tensors_[i].weight, tensors_[i].bias);
        break;
    }
    if (i == plan_.embeddingLayer) embedding = x;
  }
  return {x, embedding.dim() > 2 ? embedding.flatten(1) : embedding};
}

}  // namespace camu::models
