// ResNet-18 with torchvision's layout and state_dict keys (conv1, bn1, layer1.0.conv1, ...,
// layerN.0.downsample.{0,1}, fc), so weights interchange with torchvision.models.resnet18.
// "resnet18": the ImageNet stem (7x7 stride-2 conv + 3x3 max-pool) for 224-px inputs, as in the
// paper. "resnet18-cifar": a 3x3 stride-1 stem without max-pool for 32-px inputs.
// Embedding = the 512-d globally pooled features; head = fc, Linear 512 -> C.
#include <torch/torch.h>

#include <cmath>

#include "core/errors.h"
#include "kernels/linear.h"
#include "kernels/winograd_conv.h"
#include "models/builtin.h"

namespace camu::models {

namespace {

constexpr double kBatchNormMomentum = 0.1;
constexpr double kBatchNormEps = 1e-5;
constexpr int64_t kEmbedding = 512;

struct BatchNorm {
  at::Tensor weight, bias, runningMean, runningVar, batchesTracked;
};

struct Block {
  std::string path;  // "layer2.0"
  int64_t stride = 1;
  at::Tensor conv1, conv2, downsampleConv;
  BatchNorm bn1, bn2, downsampleBn;
  bool hasDownsample() const { return downsampleConv.defined(); }
};

class ResNet18 : public BuiltinModel {
 public:
  ResNet18(const BuiltinConfig& config, bool initialise)
      : BuiltinModel(config),
        cifarStem_(config.architecture == "resnet18-cifar"),
        computeType_(config.precision == "bfloat16" ? at::kBFloat16 : at::kFloat) {
    int64_t stemKernel = cifarStem_ ? 3 : 7;
    stem_ = AddParameter("conv1.weight", {64, config.inChannels, stemKernel, stemKernel});
    stemBn_ = AddBatchNorm("bn1", 64);
    int64_t inPlanes = 64;
    const int64_t planes[4] = {64, 128, 256, 512};
    for (int layer = 0; layer < 4; ++layer) {
      for (int index = 0; index < 2; ++index) {
        Block block;
        block.path = "layer" + std::to_string(layer + 1) + "." + std::to_string(index);
        block.stride = (layer > 0 && index == 0) ? 2 : 1;
        int64_t out = planes[layer];
        block.conv1 = AddParameter(block.path + ".conv1.weight", {out, inPlanes, 3, 3});
        block.bn1 = AddBatchNorm(block.path + ".bn1", out);
        block.conv2 = AddParameter(block.path + ".conv2.weight", {out, out, 3, 3});
        block.bn2 = AddBatchNorm(block.path + ".bn2", out);
        if (block.stride != 1 || inPlanes != out) {
          block.downsampleConv = AddParameter(block.path + ".downsample.0.weight", {out, inPlanes, 1, 1});
          block.downsampleBn = AddBatchNorm(block.path + ".downsample.1", out);
        }
        inPlanes = out;
        blocks_.push_back(std::move(block));
      }
    }
    fcWeight_ = AddParameter("fc.weight", {config.numClasses, kEmbedding});
    fcBias_ = AddParameter("fc.bias", {config.numClasses});
    if (initialise) Initialise(config.seed);
  }

  ModelOutput Forward(const at::Tensor& input) override {
    CheckInput(input, "input");
    at::Tensor x;
    if (cifarStem_) {
      x = Norm(Conv(input, stem_, 1, 1), stemBn_).relu_();
    } else {
      x = Norm(Conv(input, stem_, 2, 3), stemBn_).relu_();
      x = at::max_pool2d(x, {3, 3}, {2, 2}, {1, 1});
    }
    for (Block& block : blocks_) {
      at::Tensor out = Norm(Conv(x, block.conv1, block.stride, 1), block.bn1).relu_();
      out = Norm(Conv(out, block.conv2, 1, 1), block.bn2);
      at::Tensor identity =
          block.hasDownsample() ? Norm(Conv(x, block.downsampleConv, block.stride, 0), block.downsampleBn) : x;
      x = out.add_(identity).relu_();
    }
    // The pooled features leave the compute type: embedding, head and losses are float32.
    at::Tensor embedding = at::adaptive_avg_pool2d(x, {1, 1}).flatten(1).to(at::kFloat);
    return {kernels::Linear(embedding, fcWeight_, fcBias_), embedding};
  }

  bool HasBatchStatistics() const override { return true; }
  std::vector<int64_t> InputShape() const override { return {config().inChannels, -1, -1}; }
  int64_t EmbeddingSize() const override { return kEmbedding; }

 protected:
  std::shared_ptr<BuiltinModel> MakeUninitialised() const override { return CreateResNet18(config(), false); }

  std::string ScriptSource() const override {
    std::string source = R"(
def _norm(self, x: Tensor, weight: Tensor, bias: Tensor, running_mean: Tensor, running_var: Tensor, batches: Tensor) -> Tensor:
    if self.training:
        batches.add_(1)
    return torch.batch_norm(x, weight, bias, running_mean, running_var, self.training, 0.1, 1e-05, True)

def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
)";
    auto norm = [](const std::string& input, const std::string& path) {
      std::string bn = Access(path);
      return "self._norm(" + input + ", " + bn + ".weight, " + bn + ".bias, " + bn + ".running_mean, " + bn +
             ".running_var, " + bn + ".num_batches_tracked)";
    };
    if (cifarStem_) {
      source += "    x = torch.relu(" + norm("torch.conv2d(x, self.conv1.weight, None, [1, 1], [1, 1])", "bn1") + ")\n";
    } else {
      source += "    x = torch.relu(" + norm("torch.conv2d(x, self.conv1.weight, None, [2, 2], [3, 3])", "bn1") + ")\n";
      source += "    x = torch.max_pool2d(x, [3, 3], [2, 2], [1, 1])\n";
    }
    for (const Block& block : blocks_) {
      std::string stride = "[" + std::to_string(block.stride) + ", " + std::to_string(block.stride) + "]";
      std::string base = Access(block.path);
      source += "    out = torch.relu(" +
                norm("torch.conv2d(x, " + base + ".conv1.weight, None, " + stride + ", [1, 1])", block.path + ".bn1") +
                ")\n";
      source += "    out = " + norm("torch.conv2d(out, " + base + ".conv2.weight, None, [1, 1], [1, 1])", block.path + ".bn2") + "\n";
      if (block.hasDownsample()) {
        source += "    identity = " +
                  norm("torch.conv2d(x, " + Access(block.path + ".downsample.0") + ".weight, None, " + stride + ")",
                       block.path + ".downsample.1") +
                  "\n";
      } else {
        source += "    identity = x\n";
      }
      source += "    x = torch.relu(out + identity)\n";
    }
    source += "    embedding = torch.flatten(torch.adaptive_avg_pool2d(x, [1, 1]), 1)\n";
    source += "    return torch.linear(embedding, self.fc.weight, self.fc.bias), embedding\n";
    return source;
  }

 private:
  BatchNorm AddBatchNorm(const std::string& path, int64_t channels) {
    BatchNorm bn;
    bn.weight = AddParameter(path + ".weight", {channels});
    bn.bias = AddParameter(path + ".bias", {channels});
    bn.runningMean = AddBuffer(path + ".running_mean", at::zeros({channels}));
    bn.runningVar = AddBuffer(path + ".running_var", at::ones({channels}));
    bn.batchesTracked = AddBuffer(path + ".num_batches_tracked", at::zeros({}, at::kLong));
    return bn;
  }

  // A convolution in the compute type. For bfloat16 the input (the network's float32 input at the
  // stem; bfloat16 after it) and a bfloat16 copy of the float32 weight go in, so autograd returns
  // float32 gradients to the weight; oneDNN runs it on AVX-512 BF16 where the CPU has them.
  // In float32 the 3x3 stride-1 convolutions go through kernels::Conv3x3: oneDNN's Winograd kernels
  // on the CPU where this build has them and the shape suits them (not the 3-channel CIFAR stem).
  at::Tensor Conv(const at::Tensor& x, const at::Tensor& weight, int64_t stride, int64_t padding) const {
    if (computeType_ == at::kFloat && stride == 1 && padding == 1 && weight.size(2) == 3) {
      return kernels::Conv3x3(x, weight);
    }
    if (computeType_ == at::kFloat) return at::conv2d(x, weight, {}, {stride, stride}, {padding, padding});
    return at::conv2d(x.to(computeType_), weight.to(computeType_), {}, {stride, stride}, {padding, padding});
  }

  // Batch norm keeps float32 parameters and running statistics for bfloat16 activations too
  // (libtorch's mixed-type batch norm accumulates in float32).
  at::Tensor Norm(const at::Tensor& x, BatchNorm& bn) {
    bool training = IsTraining();
    if (training) bn.batchesTracked.add_(1);
    return at::batch_norm(x, bn.weight, bn.bias, bn.runningMean, bn.runningVar, training, kBatchNormMomentum,
                          kBatchNormEps, /*cudnn_enabled=*/true);
  }

  // torchvision: convolutions kaiming_normal_(mode="fan_out", nonlinearity="relu"); BatchNorm
  // weight 1, bias 0; fc keeps nn.Linear's default.
  void Initialise(uint64_t seed) {
    torch::NoGradGuard noGrad;
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    auto kaiming = [&](at::Tensor& weight) {
      double fanOut = static_cast<double>(weight.size(0) * weight.size(2) * weight.size(3));
      weight.normal_(0.0, std::sqrt(2.0 / fanOut), generator);
    };
    auto unitNorm = [](BatchNorm& bn) {
      bn.weight.fill_(1.0);
      bn.bias.zero_();
    };
    kaiming(stem_);
    unitNorm(stemBn_);
    for (Block& block : blocks_) {
      kaiming(block.conv1);
      unitNorm(block.bn1);
      kaiming(block.conv2);
      unitNorm(block.bn2);
      if (block.hasDownsample()) {
        kaiming(block.downsampleConv);
        unitNorm(block.downsampleBn);
      }
    }
    InitDefaultWeight(fcWeight_, generator);
    InitDefaultBias(fcBias_, kEmbedding, generator);
  }

  bool cifarStem_;
  at::ScalarType computeType_;
  at::Tensor stem_;
  BatchNorm stemBn_;
  std::vector<Block> blocks_;
  at::Tensor fcWeight_, fcBias_;
};

}  // namespace

std::shared_ptr<BuiltinModel> CreateResNet18(const BuiltinConfig& config, bool initialise) {
  return std::make_shared<ResNet18>(config, initialise);
}

}  // namespace camu::models
