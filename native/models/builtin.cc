#include "models/builtin.h"

#include <torch/torch.h>

#include <cctype>
#include <cmath>
#include <map>

#include "core/errors.h"

namespace camu::models {

std::vector<at::Tensor> BuiltinModel::Parameters() const {
  std::vector<at::Tensor> parameters;
  for (const Entry& entry : entries_) {
    if (entry.parameter) parameters.push_back(entry.tensor);
  }
  return parameters;
}

NamedTensors BuiltinModel::NamedState() const {
  NamedTensors state;
  state.reserve(entries_.size());
  for (const Entry& entry : entries_) state.emplace_back(entry.name, entry.tensor);
  return state;
}

std::shared_ptr<Model> BuiltinModel::Clone() const {
  std::shared_ptr<BuiltinModel> copy = MakeUninitialised();
  copy->To(Device());
  torch::NoGradGuard noGrad;
  for (size_t i = 0; i < entries_.size(); ++i) copy->entries_[i].tensor.copy_(entries_[i].tensor);
  copy->training_ = training_;
  return copy;
}

void BuiltinModel::To(const at::Device& device) {
  torch::NoGradGuard noGrad;
  // set_data keeps each tensor's identity, so the handles architectures hold stay valid.
  for (Entry& entry : entries_) entry.tensor.set_data(entry.tensor.to(device));
}

at::Device BuiltinModel::Device() const { return entries_.front().tensor.device(); }

at::Tensor BuiltinModel::AddParameter(const std::string& name, at::IntArrayRef shape) {
  at::Tensor tensor = at::empty(shape, at::kFloat).requires_grad_(true);
  entries_.push_back({name, tensor, true});
  return tensor;
}

at::Tensor BuiltinModel::AddBuffer(const std::string& name, at::Tensor value) {
  entries_.push_back({name, value, false});
  return value;
}

std::string BuiltinModel::Access(const std::string& path) {
  std::string expression = "self";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('.', start);
    if (end == std::string::npos) end = path.size();
    std::string atom = path.substr(start, end - start);
    if (!atom.empty() && std::isdigit(static_cast<unsigned char>(atom[0]))) {
      expression = "getattr(" + expression + ", \"" + atom + "\")";  // Sequential children "0", "1", ...
    } else {
      expression += "." + atom;
    }
    start = end + 1;
  }
  return expression;
}

namespace {

std::string TypeAtom(const std::string& text) {
  std::string atom;
  for (char c : text) atom += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return atom;
}

}  // namespace

torch::jit::Module BuiltinModel::ToTorchScript() const {
  auto unit = std::make_shared<torch::jit::CompilationUnit>();
  const std::string typePrefix = "__torch__.camu." + TypeAtom(Architecture());
  auto makeModule = [&](const std::string& path) {
    torch::jit::Module module(c10::QualifiedName(path.empty() ? typePrefix : typePrefix + "_" + TypeAtom(path)), unit);
    module.register_attribute("training", c10::BoolType::get(), training_);
    return module;
  };
  torch::jit::Module top = makeModule("");
  std::map<std::string, torch::jit::Module> modules{{"", top}};
  // The module at `path`, created with its parents on first use (pre-order, like nn.Module).
  std::function<torch::jit::Module(const std::string&)> moduleAt = [&](const std::string& path) {
    auto found = modules.find(path);
    if (found != modules.end()) return found->second;
    size_t dot = path.rfind('.');
    std::string parentPath = dot == std::string::npos ? "" : path.substr(0, dot);
    torch::jit::Module parent = moduleAt(parentPath);
    torch::jit::Module module = makeModule(path);
    parent.register_module(dot == std::string::npos ? path : path.substr(dot + 1), module);
    modules.emplace(path, module);
    return module;
  };
  torch::NoGradGuard noGrad;
  for (const Entry& entry : entries_) {
    size_t dot = entry.name.rfind('.');
    torch::jit::Module owner = moduleAt(dot == std::string::npos ? "" : entry.name.substr(0, dot));
    at::Tensor copy = entry.tensor.detach().clone();
    if (entry.parameter) copy.requires_grad_(true);
    owner.register_parameter(entry.name.substr(dot + 1), copy, /*is_buffer=*/!entry.parameter);
  }
  top.define(ScriptSource());
  return top;
}

int64_t FanIn(const at::Tensor& weight) {
  int64_t fanIn = weight.size(1);
  for (int64_t d = 2; d < weight.dim(); ++d) fanIn *= weight.size(d);
  return fanIn;
}

void InitDefaultWeight(at::Tensor& weight, at::Generator& generator) {
  double bound = 1.0 / std::sqrt(static_cast<double>(FanIn(weight)));
  weight.uniform_(-bound, bound, generator);
}

void InitDefaultBias(at::Tensor& bias, int64_t fanIn, at::Generator& generator) {
  double bound = 1.0 / std::sqrt(static_cast<double>(fanIn));
  bias.uniform_(-bound, bound, generator);
}

std::shared_ptr<Model> CreateBuiltin(const BuiltinConfig& config) {
  if (config.architecture == "cnn") return CreateCnn(config, true);
  if (config.architecture == "resnet18" || config.architecture == "resnet18-cifar") return CreateResNet18(config, true);
  if (config.architecture == "mlp") return CreateMlp(config, true);
  ThrowRangeError("architecture must be one of 'cnn', 'resnet18', 'resnet18-cifar', 'mlp', got '" +
                  config.architecture + "'");
}

}  // namespace camu::models
