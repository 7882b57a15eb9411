// The paper's MNIST / Fashion-MNIST CNN (docs/algorithm.md §5), with the state_dict keys of the
// authors' PyTorch module: conv1.0.*, conv2.0.*, fc1.*, fc2.0.*, fc2.1.*. Embedding = fc1's output.
#include <torch/torch.h>

#include "core/errors.h"
#include "kernels/conv_pool.h"
#include "kernels/linear.h"
#include "kernels/max_pool_relu.h"
#include "models/builtin.h"

namespace camu::models {

namespace {

constexpr int64_t kConv1Channels = 16;
constexpr int64_t kConv2Channels = 32;
constexpr int64_t kEmbedding = 256;
constexpr int64_t kHidden = 128;

class Cnn : public BuiltinModel {
 public:
  Cnn(const BuiltinConfig& config, bool initialise) : BuiltinModel(config) {
    int64_t pooled = config.inputSize / 2 / 2;  // two 2x2 max-pools, floor like PyTorch
    flatten_ = kConv2Channels * pooled * pooled;
    conv1Weight_ = AddParameter("conv1.0.weight", {kConv1Channels, config.inChannels, 5, 5});
    conv1Bias_ = AddParameter("conv1.0.bias", {kConv1Channels});
    conv2Weight_ = AddParameter("conv2.0.weight", {kConv2Channels, kConv1Channels, 5, 5});
    conv2Bias_ = AddParameter("conv2.0.bias", {kConv2Channels});
    fc1Weight_ = AddParameter("fc1.weight", {kEmbedding, flatten_});
    fc1Bias_ = AddParameter("fc1.bias", {kEmbedding});
    fc2aWeight_ = AddParameter("fc2.0.weight", {kHidden, kEmbedding});
    fc2aBias_ = AddParameter("fc2.0.bias", {kHidden});
    fc2bWeight_ = AddParameter("fc2.1.weight", {config.numClasses, kHidden});
    fc2bBias_ = AddParameter("fc2.1.bias", {config.numClasses});
    if (!initialise) return;
    torch::NoGradGuard noGrad;
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(config.seed);
    std::vector<std::pair<at::Tensor*, at::Tensor*>> layers = {{&conv1Weight_, &conv1Bias_},
                                                               {&conv2Weight_, &conv2Bias_},
                                                               {&fc1Weight_, &fc1Bias_},
                                                               {&fc2aWeight_, &fc2aBias_},
                                                               {&fc2bWeight_, &fc2bBias_}};
    for (auto& [weight, bias] : layers) {
      InitDefaultWeight(*weight, generator);
      InitDefaultBias(*bias, FanIn(*weight), generator);
    }
  }

  ModelOutput Forward(const at::Tensor& input) override {
    CheckInput(input, "input");
    // conv -> relu -> max-pool: the first stage as one kernel where it applies (kernels/conv_pool.h),
    // the second with relu and pooling fused as one pass (kernels/max_pool_relu.h); equal values
    // and gradients to the module's.
    at::Tensor x = kernels::ConvReluPool(kernels::ChannelsLastView(input), conv1Weight_, conv1Bias_);
    x = kernels::MaxPool2x2Relu(at::conv2d(x, conv2Weight_, conv2Bias_, {1, 1}, {2, 2}));
    at::Tensor embedding = kernels::Linear(x.flatten(1), fc1Weight_, fc1Bias_);
    at::Tensor logits = kernels::Linear(kernels::Linear(embedding, fc2aWeight_, fc2aBias_), fc2bWeight_, fc2bBias_);
    return {logits, embedding};
  }

  bool HasBatchStatistics() const override { return false; }
  std::vector<int64_t> InputShape() const override {
    return {config().inChannels, config().inputSize, config().inputSize};
  }
  int64_t EmbeddingSize() const override { return kEmbedding; }

 protected:
  std::shared_ptr<BuiltinModel> MakeUninitialised() const override { return CreateCnn(config(), false); }

  std::string ScriptSource() const override {
    return R"(
def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
    conv1 = getattr(self.conv1, "0")
    conv2 = getattr(self.conv2, "0")
    x = torch.max_pool2d(torch.relu(torch.conv2d(x, conv1.weight, conv1.bias, [1, 1], [2, 2])), [2, 2])
    x = torch.max_pool2d(torch.relu(torch.conv2d(x, conv2.weight, conv2.bias, [1, 1], [2, 2])), [2, 2])
    embedding = torch.linear(torch.flatten(x, 1), self.fc1.weight, self.fc1.bias)
    hidden = torch.linear(embedding, getattr(self.fc2, "0").weight, getattr(self.fc2, "0").bias)
    logits = torch.linear(hidden, getattr(self.fc2, "1").weight, getattr(self.fc2, "1").bias)
    return logits, embedding
)";
  }

 private:
  int64_t flatten_ = 0;
  at::Tensor conv1Weight_, conv1Bias_, conv2Weight_, conv2Bias_, fc1Weight_, fc1Bias_;
  at::Tensor fc2aWeight_, fc2aBias_, fc2bWeight_, fc2bBias_;
};

}  // namespace

std::shared_ptr<BuiltinModel> CreateCnn(const BuiltinConfig& config, bool initialise) {
  if (config.inputSize < 4) ThrowRangeError("cnn: inputSize must be at least 4, got " + std::to_string(config.inputSize));
  return std::make_shared<Cnn>(config, initialise);
}

}  // namespace camu::models
