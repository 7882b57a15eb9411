// Shared machinery of the built-in architectures (cnn.cc, resnet.cc, mlp.cc): an ordered registry
// of named parameters and buffers under PyTorch's state_dict keys, functional forward passes over
// them (no torch::nn modules, so no global-RNG initialisation), seeded initialisation, and
// TorchScript export from a generated forward.
#pragma once
#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "models/model.h"

namespace camu::models {

class BuiltinModel : public Model {
 public:
  explicit BuiltinModel(BuiltinConfig config) : config_(std::move(config)) {}

  void SetTraining(bool training) override { training_ = training; }
  bool IsTraining() const override { return training_; }
  std::vector<at::Tensor> Parameters() const override;
  NamedTensors NamedState() const override;
  std::shared_ptr<Model> Clone() const override;
  void To(const at::Device& device) override;
  at::Device Device() const override;
  std::string Architecture() const override { return config_.architecture; }
  Execution DescribeExecution() const override { return {"builtin", {}, "", config_.precision}; }
  const data::InputSpec& Input() const override { return config_.input; }
  int64_t NumClasses() const override { return config_.numClasses; }
  torch::jit::Module ToTorchScript() const override;

  const BuiltinConfig& config() const { return config_; }

 protected:
  // A model of the same configuration whose tensors are allocated but not initialised.
  virtual std::shared_ptr<BuiltinModel> MakeUninitialised() const = 0;
  // TorchScript source of the methods of the exported top module; it must define
  // `forward(self, x: Tensor) -> Tuple[Tensor, Tensor]`. Access() spells a state key in it.
  virtual std::string ScriptSource() const = 0;

  // Registers tensors in state_dict order. The returned handle stays valid across To() (which
  // moves data in place), so architectures keep it as a member.
  at::Tensor AddParameter(const std::string& name, at::IntArrayRef shape);
  at::Tensor AddBuffer(const std::string& name, at::Tensor value);

  // TorchScript expression for module path "layer1.0.conv1" relative to self:
  // getattr(self.layer1, "0").conv1
  static std::string Access(const std::string& path);

 private:
  struct Entry {
    std::string name;
    at::Tensor tensor;
    bool parameter;
  };
  BuiltinConfig config_;
  std::vector<Entry> entries_;
  bool training_ = true;  // like a freshly constructed torch.nn.Module
};

// PyTorch's default initialisation of Conv2d / Linear: weight and bias ~ U(-1/sqrt(fan_in),
// 1/sqrt(fan_in)) (kaiming_uniform_ with a = sqrt(5)), drawn from `generator`.
void InitDefaultWeight(at::Tensor& weight, at::Generator& generator);
void InitDefaultBias(at::Tensor& bias, int64_t fanIn, at::Generator& generator);
int64_t FanIn(const at::Tensor& weight);

std::shared_ptr<BuiltinModel> CreateCnn(const BuiltinConfig& config, bool initialise);
std::shared_ptr<BuiltinModel> CreateResNet18(const BuiltinConfig& config, bool initialise);
std::shared_ptr<BuiltinModel> CreateMlp(const BuiltinConfig& config, bool initialise);

}  // namespace camu::models
