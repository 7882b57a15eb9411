// A small MLP for flat inputs: fc1 (F -> H), ReLU, fc2 (H -> H), ReLU = embedding, head (H -> C).
// Image batches [N, C, H, W] with C*H*W = F are flattened.
#include <torch/torch.h>

#include "core/errors.h"
#include "kernels/linear.h"
#include "models/builtin.h"

namespace camu::models {

namespace {

class Mlp : public BuiltinModel {
 public:
  Mlp(const BuiltinConfig& config, bool initialise) : BuiltinModel(config) {
    fc1Weight_ = AddParameter("fc1.weight", {config.hiddenSize, config.inFeatures});
    fc1Bias_ = AddParameter("fc1.bias", {config.hiddenSize});
    fc2Weight_ = AddParameter("fc2.weight", {config.hiddenSize, config.hiddenSize});
    fc2Bias_ = AddParameter("fc2.bias", {config.hiddenSize});
    headWeight_ = AddParameter("head.weight", {config.numClasses, config.hiddenSize});
    headBias_ = AddParameter("head.bias", {config.numClasses});
    if (!initialise) return;
    torch::NoGradGuard noGrad;
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(config.seed);
    std::vector<std::pair<at::Tensor*, at::Tensor*>> layers = {
        {&fc1Weight_, &fc1Bias_}, {&fc2Weight_, &fc2Bias_}, {&headWeight_, &headBias_}};
    for (auto& [weight, bias] : layers) {
      InitDefaultWeight(*weight, generator);
      InitDefaultBias(*bias, FanIn(*weight), generator);
    }
  }

  ModelOutput Forward(const at::Tensor& input) override {
    CheckInput(input, "input");
    at::Tensor flat = input.dim() > 2 ? input.flatten(1) : input;
    at::Tensor hidden = kernels::Linear(flat, fc1Weight_, fc1Bias_).relu_();
    at::Tensor embedding = kernels::Linear(hidden, fc2Weight_, fc2Bias_).relu_();
    return {kernels::Linear(embedding, headWeight_, headBias_), embedding};
  }

  bool HasBatchStatistics() const override { return false; }
  std::vector<int64_t> InputShape() const override { return {config().inFeatures}; }
  int64_t EmbeddingSize() const override { return config().hiddenSize; }

 protected:
  std::shared_ptr<BuiltinModel> MakeUninitialised() const override { return CreateMlp(config(), false); }

  std::string ScriptSource() const override {
    return R"(
def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
    if x.dim() > 2:
        x = torch.flatten(x, 1)
    hidden = torch.relu(torch.linear(x, self.fc1.weight, self.fc1.bias))
    embedding = torch.relu(torch.linear(hidden, self.fc2.weight, self.fc2.bias))
    return torch.linear(embedding, self.head.weight, self.head.bias), embedding
)";
  }

 private:
  at::Tensor fc1Weight_, fc1Bias_, fc2Weight_, fc2Bias_, headWeight_, headBias_;
};

}  // namespace

std::shared_ptr<BuiltinModel> CreateMlp(const BuiltinConfig& config, bool initialise) {
  return std::make_shared<Mlp>(config, initialise);
}

}  // namespace camu::models
