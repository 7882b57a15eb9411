// camu's kernels on a TorchScript module's recognised layers (models/layer_plan.h): each pattern
// against the module's own forward (values and parameter gradients), and the graphs that must keep
// the module's forward.
#include "models/layer_plan.h"

#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstdio>
#include <map>

#include "models/torchscript_model.h"

namespace camu::models {
namespace {

// A module tree from parameters under dotted paths and TorchScript sources per module path
// ("" = the top module): the shape a scripted nn.Module has.
torch::jit::Module MakeModule(const std::vector<std::pair<std::string, std::vector<int64_t>>>& parameters,
                              const std::map<std::string, std::string>& sources) {
  auto unit = std::make_shared<torch::jit::CompilationUnit>();
  std::map<std::string, torch::jit::Module> modules;
  int counter = 0;
  std::function<torch::jit::Module(const std::string&)> moduleAt = [&](const std::string& path) {
    auto found = modules.find(path);
    if (found != modules.end()) return found->second;
    torch::jit::Module module(c10::QualifiedName("__torch__.test.M" + std::to_string(counter++)), unit);
    module.register_attribute("training", c10::BoolType::get(), true);
    if (!path.empty()) {
      const size_t dot = path.rfind('.');
      moduleAt(dot == std::string::npos ? "" : path.substr(0, dot))
          .register_module(dot == std::string::npos ? path : path.substr(dot + 1), module);
    }
    modules.emplace(path, module);
    return module;
  };
  torch::jit::Module top = moduleAt("");
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(7);
  for (const auto& [name, shape] : parameters) {
    const size_t dot = name.rfind('.');
    at::Tensor value = (at::rand(shape, generator) - 0.5) * 0.4;
    moduleAt(dot == std::string::npos ? "" : name.substr(0, dot))
        .register_parameter(name.substr(dot + 1), value.requires_grad_(true), false);
  }
  // Children first: a parent's source calls its children's forward.
  for (auto it = sources.rbegin(); it != sources.rend(); ++it) moduleAt(it->first).define(it->second);
  return top;
}

ModelOutput ModuleForward(torch::jit::Module& module, const at::Tensor& input) {
  auto tuple = module.forward({input}).toTuple();
  return {tuple->elements()[0].toTensor(), tuple->elements()[1].toTensor()};
}

// Values and parameter gradients of a weighted sum of both outputs.
struct Result {
  ModelOutput output;
  std::vector<at::Tensor> gradients;
};

Result Run(torch::jit::Module& module, const std::function<ModelOutput()>& forward) {
  for (const at::Tensor& parameter : module.parameters()) parameter.mutable_grad() = at::Tensor();
  ModelOutput output = forward();
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(3);
  at::Tensor loss = (output.logits * at::rand(output.logits.sizes(), generator)).sum() +
                    (output.embedding * at::rand(output.embedding.sizes(), generator)).sum();
  loss.backward();
  Result result{{output.logits.detach(), output.embedding.detach()}, {}};
  for (const at::Tensor& parameter : module.parameters()) result.gradients.push_back(parameter.grad().clone());
  return result;
}

void ExpectClose(const at::Tensor& actual, const at::Tensor& expected, const std::string& what) {
  ASSERT_TRUE(actual.sizes().equals(expected.sizes())) << what << ": " << actual.sizes() << " vs " << expected.sizes();
  const double scale = 1 + expected.abs().max().item<double>();
  EXPECT_LE((actual - expected).abs().max().item<double>(), 2e-5 * scale) << what;
}

// The plan's values and gradients equal the module's own.
void ExpectPlanMatchesModule(torch::jit::Module module, const at::Tensor& input, const std::vector<std::string>& layers,
                             const std::string& features = "", const std::string& head = "") {
  PlanResult planned = PlanLayers(module, features, head);
  ASSERT_TRUE(planned.plan) << planned.reason;
  EXPECT_EQ(planned.plan->Describe(), layers);
  BoundLayerPlan bound(*planned.plan, module);
  Result own = Run(module, [&] {
    if (features.empty()) return ModuleForward(module, input);
    at::Tensor embedding = module.attr(features).toModule().forward({input}).toTensor().flatten(1);
    return ModelOutput{module.attr(head).toModule().forward({embedding}).toTensor(), embedding};
  });
  Result kernels = Run(module, [&] { return bound.Forward(input); });
  ExpectClose(kernels.output.logits, own.output.logits, "logits");
  ExpectClose(kernels.output.embedding, own.output.embedding, "embedding");
  ASSERT_EQ(kernels.gradients.size(), own.gradients.size());
  for (size_t i = 0; i < own.gradients.size(); ++i) {
    ExpectClose(kernels.gradients[i], own.gradients[i], "gradient of parameter " + std::to_string(i));
  }
}

const std::vector<std::pair<std::string, std::vector<int64_t>>> kPaperCnn = {
    {"conv1.0.weight", {16, 1, 5, 5}}, {"conv1.0.bias", {16}},     {"conv2.0.weight", {32, 16, 5, 5}},
    {"conv2.0.bias", {32}},            {"fc1.weight", {256, 1568}}, {"fc1.bias", {256}},
    {"fc2.0.weight", {128, 256}},      {"fc2.0.bias", {128}},       {"fc2.1.weight", {10, 128}},
    {"fc2.1.bias", {10}}};

// The paper's CNN as a PyTorch user writes it: submodules whose forward the top forward calls,
// torch.relu then max_pool2d, x.view(x.size(0), -1).
TEST(LayerPlan, ThePaperCnnAsAUsersModuleRunsOnTheBuiltInCnnsKernels) {
  const std::string conv = R"(
def forward(self, x: Tensor) -> Tensor:
    return torch.conv2d(x, self.weight, self.bias, [1, 1], [2, 2])
)";
  const std::string linear = R"(
def forward(self, x: Tensor) -> Tensor:
    return torch.linear(x, self.weight, self.bias)
)";
  torch::jit::Module module = MakeModule(kPaperCnn, {{"conv1.0", conv}, {"conv2.0", conv}, {"fc1", linear},
                                                     {"fc2.0", linear}, {"fc2.1", linear}, {"", R"(
def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
    x = torch.max_pool2d(torch.relu(getattr(self.conv1, "0").forward(x)), [2, 2])
    x = torch.max_pool2d(torch.relu(getattr(self.conv2, "0").forward(x)), [2, 2], [2, 2])
    embedding = self.fc1.forward(x.view(x.size(0), -1))
    return getattr(self.fc2, "1").forward(getattr(self.fc2, "0").forward(embedding)), embedding
)"}});
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(1);
  ExpectPlanMatchesModule(module, at::rand({8, 1, 28, 28}, generator),
                          {"conv-relu-pool conv1.0", "conv2d conv2.0", "pool-relu", "flatten", "linear fc1 (embedding)",
                           "linear fc2.0", "linear fc2.1"});
}

// Layers that are not the built-in CNN's stages: three input channels, a 3x3 pool with stride 2,
// pool before an in-place relu, a reshape to a constant shape, a linear layer without bias, and
// the flattened activation as the embedding.
TEST(LayerPlan, OtherLayerSettingsRunUnfusedAndMatch) {
  torch::jit::Module module = MakeModule({{"conv.weight", {8, 3, 3, 3}}, {"conv.bias", {8}}, {"fc.weight", {5, 8 * 3 * 3}}},
                                         {{"", R"(
def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
    x = torch.conv2d(x, self.conv.weight, self.conv.bias, [2, 2], [1, 1])
    x = torch.max_pool2d(x, [3, 3], [2, 2])
    x = torch.relu_(x)
    flat = x.reshape([-1, 72])
    return torch.linear(flat, self.fc.weight), flat
)"}});
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(2);
  ExpectPlanMatchesModule(module, at::rand({4, 3, 16, 16}, generator),
                          {"conv2d conv", "max-pool", "relu", "reshape (embedding)", "linear fc"});
}

TEST(LayerPlan, FeaturesAndHeadSubmodulesFormOnePlan) {
  torch::jit::Module module =
      MakeModule({{"features.weight", {16, 1, 5, 5}}, {"features.bias", {16}}, {"head.weight", {3, 16 * 7 * 7}}, {"head.bias", {3}}},
                 {{"features", R"(
def forward(self, x: Tensor) -> Tensor:
    return torch.relu(torch.max_pool2d(torch.conv2d(x, self.weight, self.bias, [1, 1], [2, 2]), [2, 2]))
)"},
                  {"head", R"(
def forward(self, x: Tensor) -> Tensor:
    return torch.linear(x, self.weight, self.bias)
)"},
                  {"", R"(
def forward(self, x: Tensor) -> Tensor:
    return self.head.forward(torch.flatten(self.features.forward(x), 1))
)"}});
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(3);
  ExpectPlanMatchesModule(module, at::rand({5, 1, 14, 14}, generator),
                          {"conv2d features", "pool-relu", "flatten (embedding)", "linear head"}, "features", "head");
}

std::string ReasonFor(const std::string& forward,
                      std::vector<std::pair<std::string, std::vector<int64_t>>> parameters = {{"a.weight", {4, 4}},
                                                                                              {"b.weight", {4, 4}}}) {
  torch::jit::Module module = MakeModule(parameters, {{"", forward}});
  PlanResult planned = PlanLayers(module, "", "");
  EXPECT_FALSE(planned.plan);
  return planned.reason;
}

void ExpectReason(const std::string& forward, const std::string& expected) {
  const std::string reason = ReasonFor(forward);
  EXPECT_NE(reason.find(expected), std::string::npos) << "reason: " << reason << "\nexpected: " << expected;
}

TEST(LayerPlan, GraphsCamuHasNoKernelsForKeepTheModulesForward) {
  ExpectReason(R"(
def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
    e = torch.linear(x, self.a.weight)
    return torch.linear(e, self.b.weight) + e, e
)", "aten::add is not one of camu's layers");
  ExpectReason(R"(
def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
    e = torch.linear(x, self.a.weight)
    return torch.linear(x, self.b.weight), e
)", "a branch or a skip connection");
  ExpectReason(R"(
def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
    e = torch.linear(x, self.a.weight)
    return torch.linear(torch.relu_(e), self.b.weight), e
)", "relu_ on a value used elsewhere");
  ExpectReason(R"(
def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
    e = torch.dropout(torch.linear(x, self.a.weight), 0.5, self.training)
    return torch.linear(e, self.b.weight), e
)", "layers that behave differently in training");
  ExpectReason(R"(
def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
    e = torch.linear(x, self.a.weight)
    return e, torch.linear(e, self.b.weight)
)", "the logits are not the last layer's output");
}

// Through LoadTorchScript: the model reports which engine runs it, a clone keeps camu's kernels on
// its own parameters, and camuKernels: false keeps the module's forward.
TEST(LayerPlan, ALoadedModuleReportsItsEngineAndClonesKeepIt) {
  std::shared_ptr<Model> builtin = CreateBuiltin(BuiltinConfig{"cnn", 10, 1, 28, 784, 256, 0, {}});
  char path[] = "/tmp/camu-layer-plan-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  SaveTorchScript(builtin->ToTorchScript(), path, builtin.get());
  TorchScriptOptions options;
  options.trustCode = true;
  std::shared_ptr<Model> fast = LoadTorchScript(path, options);
  options.camuKernels = false;
  std::shared_ptr<Model> plain = LoadTorchScript(path, options);
  std::remove(path);
  EXPECT_EQ(fast->DescribeExecution().engine, "camu-kernels");
  EXPECT_EQ(plain->DescribeExecution().engine, "torchscript");
  EXPECT_EQ(plain->DescribeExecution().reason, "off (camuKernels: false)");

  std::shared_ptr<Model> clone = fast->Clone();
  EXPECT_EQ(clone->DescribeExecution().engine, "camu-kernels");
  {
    torch::NoGradGuard noGrad;
    for (const at::Tensor& parameter : clone->Parameters()) parameter.mul_(0.5);
  }
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(4);
  at::Tensor input = at::rand({6, 1, 28, 28}, generator);
  torch::NoGradGuard noGrad;
  ExpectClose(fast->Forward(input).logits, builtin->Forward(input).logits, "the loaded module");
  ExpectClose(plain->Forward(input).logits, builtin->Forward(input).logits, "the module's own forward");
  EXPECT_GT((clone->Forward(input).logits - fast->Forward(input).logits).abs().max().item<double>(), 1e-3)
      << "the clone must run on its own parameters";
}

}  // namespace
}  // namespace camu::models
